"""Counts with differential privacy: the budget is never exceeded, noise is
added as documented, contributions are bounded, and everything works
(hidden, with a clear error) when OpenDP is not installed."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kinwell.accounts.models import AuditEvent, User
from kinwell.communities.models import Community
from kinwell.tracking import catalogue
from kinwell.tracking.forms.research import DatasetRequestForm, ReleaseForm
from kinwell.tracking.models import DataRelease, DatasetRequest, Symptom
from kinwell.tracking.research import files, privacy, release
from tests import research_helpers as rh
from tests import tracking_factories as tf

Clients = Callable[[User], Client]
COUNTS = DataRelease.Kind.PRIVATE_COUNTS


@pytest.fixture
def scientist(db: None) -> User:
    return rh.make_researcher()


@pytest.fixture
def budgeted(scientist: User, organiser: User, community: Community) -> DatasetRequest:
    return rh.approved_request(
        scientist, community, organiser, privacy_budget=Decimal("1")
    )


@pytest.fixture
def without_opendp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(privacy, "_load_opendp", lambda: None)


def _consenting(community: Community, count: int) -> list[rh.Tracked]:
    people = [rh.Tracked(community, f"Person {n}") for n in range(count)]
    for person in people:
        rh.consent(person.user)
    return people


def _release(scientist: User, request: DatasetRequest, epsilon: str) -> DataRelease:
    return release.release_dataset(
        scientist, request=request, kind=COUNTS, epsilon=Decimal(epsilon)
    )


# The budget -----------------------------------------------------------------------


def test_each_release_spends_from_the_budget(
    scientist: User, community: Community, budgeted: DatasetRequest
) -> None:
    _consenting(community, 2)
    first = _release(scientist, budgeted, "0.4")
    second = _release(scientist, budgeted, "0.6")
    budgeted.refresh_from_db()
    assert budgeted.privacy_spent == Decimal("1.000")
    assert (first.epsilon, second.epsilon) == (Decimal("0.4"), Decimal("0.6"))
    assert first.member_count == 2


def test_a_release_beyond_the_budget_is_refused_and_writes_nothing(
    scientist: User, community: Community, budgeted: DatasetRequest
) -> None:
    _consenting(community, 2)
    _release(scientist, budgeted, "0.7")
    events = AuditEvent.objects.count()
    stored = set(files.releases_root().iterdir())
    with pytest.raises(ValidationError) as raised:
        _release(scientist, budgeted, "0.4")
    assert "exceed the privacy budget" in str(raised.value)
    assert "0.300 of 1.000 is left" in str(raised.value)
    budgeted.refresh_from_db()
    assert budgeted.privacy_spent == Decimal("0.700")
    assert DataRelease.objects.count() == 1
    assert AuditEvent.objects.count() == events
    assert set(files.releases_root().iterdir()) == stored


def test_refused_on_the_website_with_a_clear_message(
    client_for: Clients,
    scientist: User,
    community: Community,
    budgeted: DatasetRequest,
) -> None:
    _consenting(community, 1)
    response = client_for(scientist).post(
        f"/research/requests/{budgeted.pk}/releases/",
        {"kind": COUNTS, "epsilon": "1.5"},
    )
    assert response.status_code == 400
    assert "exceed the privacy budget" in response.content.decode()
    assert not DataRelease.objects.exists()


def test_an_epsilon_is_needed(
    scientist: User, community: Community, budgeted: DatasetRequest
) -> None:
    _consenting(community, 1)
    with pytest.raises(ValidationError, match="how much of the budget"):
        release.release_dataset(scientist, request=budgeted, kind=COUNTS)


def test_a_request_without_a_budget_releases_no_counts(
    scientist: User, community: Community, organiser: User
) -> None:
    plain = rh.approved_request(scientist, community, organiser)
    _consenting(community, 1)
    with pytest.raises(ValidationError, match="no privacy budget"):
        _release(scientist, plain, "0.1")
    assert COUNTS not in dict(ReleaseForm(request=plain).fields["kind"].choices)  # type: ignore[attr-defined]


@pytest.mark.parametrize("budget", ["0", "-1", "10.5", "0.0001", "NaN", "1e30"])
def test_budgets_are_bounded(
    scientist: User, community: Community, budget: str
) -> None:
    with pytest.raises(ValidationError):
        rh.make_request(scientist, community, privacy_budget=Decimal(budget))


def test_budgets_are_kept_to_the_thousandth(
    scientist: User, community: Community
) -> None:
    made = rh.make_request(scientist, community, privacy_budget=Decimal("0.12345"))
    made.refresh_from_db()
    assert made.privacy_budget == Decimal("0.123")


def test_the_register_shows_the_budget(
    visitor_client: Client,
    scientist: User,
    community: Community,
    budgeted: DatasetRequest,
) -> None:
    _consenting(community, 1)
    _release(scientist, budgeted, "0.25")
    text = visitor_client.get(f"/c/{community.slug}/data-releases/").content.decode()
    assert "0.250 of 1.000 spent" in text
    assert "Counts with differential privacy, spending 0.250 of the budget" in text


# The counts ------------------------------------------------------------------------


def test_counts_are_noisy_as_documented(
    scientist: User, organiser: User, community: Community
) -> None:
    symptoms = [tf.make_symptom(f"Symptom {n}", community=community) for n in range(12)]
    people = _consenting(community, 3)
    request = rh.approved_request(
        scientist,
        community,
        organiser,
        include_treatments=False,
        privacy_budget=Decimal("5"),
    )
    made = _release(scientist, request, "5")
    payload = rh.release_json(made)
    (table,) = payload["tables"]
    assert table["name"] == "members_per_symptom"
    assert table["epsilon"] == pytest.approx(5)
    assert table["noise_scale"] == pytest.approx(privacy.CONTRIBUTIONS / 5, rel=0.01)
    counts = {row["name"]: row["count"] for row in table["rows"]}
    true = {s.name: 0 for s in Symptom.objects.for_community(community)}
    true[people[0].symptom.name] = 3
    assert set(counts) == set(true)
    assert counts != true  # 13 cells, each exact with probability about 0.2
    assert all(isinstance(value, int) for value in counts.values())
    assert len(symptoms) == 12


def test_a_removed_entry_has_no_row_whether_or_not_recorded(
    scientist: User, organiser: User, community: Community, budgeted: DatasetRequest
) -> None:
    recorded = tf.make_symptom("Canary recorded", community=community)
    unrecorded = tf.make_symptom("Canary unrecorded", community=community)
    [person] = _consenting(community, 1)
    tf.track(person.user, recorded)
    for entry in (recorded, unrecorded):
        catalogue.remove_entry(organiser, entry=entry)
    payload = rh.release_json(_release(scientist, budgeted, "0.3"))
    names = {row["name"] for table in payload["tables"] for row in table["rows"]}
    assert "Fatigue" in names
    assert not {name for name in names if name.startswith("Canary")}


def test_the_file_says_what_was_spent_and_how(
    scientist: User, community: Community, budgeted: DatasetRequest
) -> None:
    _consenting(community, 1)
    payload = rh.release_json(_release(scientist, budgeted, "0.3"))
    assert payload["epsilon"] == "0.300"
    assert payload["contributions_per_member_per_table"] == privacy.CONTRIBUTIONS
    assert [t["name"] for t in payload["tables"]] == [
        "members_per_symptom",
        "members_per_treatment",
        "effectiveness_per_treatment",
    ]
    assert sum(t["epsilon"] for t in payload["tables"]) == pytest.approx(0.3)
    text = str(payload)
    assert "Person 0" not in text


def test_each_member_adds_at_most_five_rows_to_a_table(
    scientist: User, organiser: User, community: Community, budgeted: DatasetRequest
) -> None:
    busy = rh.Tracked(community, "Busy Bee")
    rh.consent(busy.user)
    many = [tf.make_symptom(f"Symptom {n}", community=community) for n in range(8)]
    tf.track(busy.user, *many)
    tf.check_in(busy.user, dict.fromkeys(many, 2))
    tables = privacy.counted_tables(budgeted, [busy.user.pk])
    for table in tables:
        for given in table.contributions.values():
            assert len(given) <= privacy.CONTRIBUTIONS
    assert len(tables[0].contributions[busy.user.pk]) == privacy.CONTRIBUTIONS


def test_included_members_see_the_counts_on_access_to_my_data(
    client_for: Clients,
    scientist: User,
    community: Community,
    budgeted: DatasetRequest,
) -> None:
    (person,) = _consenting(community, 1)
    _release(scientist, budgeted, "0.2")
    page = client_for(person.user).get("/me/data-access/").content.decode()
    assert "Counted, with differential privacy, in figures from the dataset" in page


def test_releasing_counts_on_the_website(
    client_for: Clients,
    scientist: User,
    community: Community,
    budgeted: DatasetRequest,
) -> None:
    _consenting(community, 1)
    client = client_for(scientist)
    page = client.get(f"/research/requests/{budgeted.pk}/").content.decode()
    assert "Counts with differential privacy" in page
    assert "1.000 of the privacy budget is left" in page
    response = client.post(
        f"/research/requests/{budgeted.pk}/releases/",
        {"kind": COUNTS, "epsilon": "0.5"},
    )
    assert response.status_code == 302
    made = DataRelease.objects.get()
    download = client.get(f"/research/releases/{made.pk}/download")
    assert download["Content-Disposition"].endswith('.json"')


# Without OpenDP ---------------------------------------------------------------------


@pytest.mark.usefixtures("without_opendp")
def test_without_opendp_the_service_says_so_and_writes_nothing(
    scientist: User, community: Community, budgeted: DatasetRequest
) -> None:
    _consenting(community, 1)
    with pytest.raises(ValidationError, match="optional OpenDP package"):
        _release(scientist, budgeted, "0.1")
    budgeted.refresh_from_db()
    assert budgeted.privacy_spent == 0
    assert not DataRelease.objects.exists()


@pytest.mark.usefixtures("without_opendp")
def test_without_opendp_the_option_is_hidden(
    client_for: Clients,
    scientist: User,
    community: Community,
    budgeted: DatasetRequest,
) -> None:
    assert not privacy.available()
    form = ReleaseForm(request=budgeted)
    assert COUNTS not in dict(form.fields["kind"].choices)  # type: ignore[attr-defined]
    assert "epsilon" not in form.fields
    assert "privacy_budget" not in DatasetRequestForm(researcher=scientist).fields
    client = client_for(scientist)
    page = client.get(f"/research/requests/{budgeted.pk}/").content.decode()
    assert "Counts with differential privacy" not in page
    assert "Privacy budget for counts" not in client.get("/research/").content.decode()
    about = client.get("/research/how-it-works/").content.decode()
    assert "Counts with differential privacy" not in about


def test_with_opendp_the_option_is_offered(
    scientist: User, budgeted: DatasetRequest
) -> None:
    assert privacy.available()
    assert COUNTS in dict(ReleaseForm(request=budgeted).fields["kind"].choices)  # type: ignore[attr-defined]
    assert "privacy_budget" in DatasetRequestForm(researcher=scientist).fields
