"""Research requests on the website: the researcher role, asking for a
dataset, the organisers' decision, who may see what, the register and the
plain-words page.

Non-researchers get 404 on the research pages, as outsiders do for any
research request: like the verifiers' queue, the pages do not exist for
them."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from kinwell.accounts.access import holds_powers
from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.lib import ratelimit
from kinwell.tracking.models import DatasetRequest
from kinwell.tracking.research import services
from tests import factories
from tests import research_helpers as rh
from tests.helpers import assert_bounded_queries

Clients = Callable[[User], Client]
Status = DatasetRequest.Status
NEW = "/research/"


def _post_new(client: Client, to: Community, **fields: Any) -> Any:
    """Posts the new-request form; a field given as None is left out."""
    data = {
        "community": to.pk,
        "title": "Fatigue over a year",
        "institution": "University of Leeds",
        "purpose": rh.PURPOSE_TEXT,
        "include_conditions": "on",
        "include_check_ins": "on",
        "include_treatments": "on",
    } | fields
    return client.post(NEW, {k: v for k, v in data.items() if v is not None})


@pytest.fixture
def scientist(db: None) -> User:
    return rh.make_researcher()


# The role ----------------------------------------------------------------------------


def test_administrators_grant_the_researcher_role_in_the_admin(
    client_for: Clients, administrator: User, outsider: User
) -> None:
    page = client_for(administrator).get(f"/admin/accounts/user/{outsider.pk}/change/")
    assert page.status_code == 200
    assert 'name="is_researcher"' in page.content.decode()
    response = client_for(administrator).post(
        f"/admin/accounts/user/{outsider.pk}/change/",
        {"is_active": "on", "is_researcher": "on"},
    )
    assert response.status_code == 302
    outsider.refresh_from_db()
    assert outsider.is_researcher


def test_researchers_hold_powers_that_need_two_factor(researcher: User) -> None:
    assert holds_powers(researcher)


def test_researcher_without_two_factor_is_sent_to_set_it_up(
    client_for: Clients, community: Community
) -> None:
    unsecured = rh.make_researcher("Una Unsecured", totp=False)
    response = client_for(unsecured).get(NEW)
    assert response.status_code == 302
    assert "/mfa/" in response["Location"] or "totp" in response["Location"]
    with pytest.raises(PermissionDenied):
        rh.make_request(unsecured, community)


@pytest.mark.parametrize(
    "persona", ["member", "organiser", "outsider", "administrator"]
)
def test_non_researchers_get_404_for_the_research_pages(
    request: pytest.FixtureRequest, client_for: Clients, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    assert client_for(user).get(NEW).status_code == 404


def test_visitors_are_asked_to_log_in(visitor_client: Client) -> None:
    response = visitor_client.get(NEW)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_non_researchers_cannot_request_through_the_service(
    member: User, community: Community
) -> None:
    with pytest.raises(Http404):
        rh.make_request(member, community)
    assert not DatasetRequest.objects.exists()


# Asking for a dataset ----------------------------------------------------------------


def test_researcher_asks_for_a_dataset_and_organisers_are_told(
    client_for: Clients,
    scientist: User,
    community: Community,
    organiser: User,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(scientist)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_new(client, community, include_notes="on")
    made = DatasetRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/research/requests/{made.pk}/"
    assert made.researcher == scientist
    assert made.status == Status.PENDING
    assert made.include_notes
    assert not made.include_questionnaires
    assert [m.to for m in mailoutbox] == [[organiser.email]]
    assert "Fatigue" not in mailoutbox[0].body  # no health words, only a link
    page = client.get(NEW).content.decode()
    assert "Fatigue over a year" in page
    assert "Waiting for the organisers" in page


def test_the_form_offers_only_communities_the_researcher_can_see(
    client_for: Clients,
    scientist: User,
    community: Community,
    hidden_community: Community,
) -> None:
    page = client_for(scientist).get(NEW).content.decode()
    assert community.name in page
    assert hidden_community.name not in page
    response = _post_new(client_for(scientist), hidden_community)
    assert response.status_code == 200
    assert not DatasetRequest.objects.exists()
    with pytest.raises(ValidationError):
        rh.make_request(scientist, hidden_community)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"purpose": "For science."}, "Say what the data is for"),
        (
            {
                "include_conditions": None,
                "include_check_ins": None,
                "include_treatments": None,
            },
            "Choose at least one kind of record",
        ),
        (
            {"period_from": "2026-05-01", "period_to": "2026-01-01"},
            "comes before its start",
        ),
        ({"title": None}, "This field is required"),
        ({"community": "999999"}, "Select a valid choice"),
    ],
)
def test_bad_requests_get_form_errors_and_write_nothing(
    client_for: Clients,
    scientist: User,
    community: Community,
    fields: dict[str, str | None],
    message: str,
) -> None:
    response = _post_new(client_for(scientist), community, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DatasetRequest.objects.exists()


def test_notes_need_check_ins_or_treatments(
    scientist: User, community: Community
) -> None:
    with pytest.raises(ValidationError) as raised:
        rh.make_request(
            scientist,
            community,
            include_check_ins=False,
            include_treatments=False,
            include_notes=True,
        )
    assert "include_notes" in raised.value.message_dict


# Who may see a request ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("scientist", 200),
        ("organiser", 200),
        ("moderator", 404),
        ("member", 404),
        ("carer", 404),
        ("outsider", 404),
        ("other_researcher", 404),
        ("administrator", 404),
    ],
)
def test_a_request_is_seen_by_its_researcher_and_the_organisers_only(
    request: pytest.FixtureRequest,
    client_for: Clients,
    scientist: User,
    community: Community,
    persona: str,
    status: int,
) -> None:
    made = rh.make_request(scientist, community)
    if persona == "other_researcher":
        user = rh.make_researcher("Other Researcher")
    else:
        user = request.getfixturevalue(persona)
    response = client_for(user).get(f"/research/requests/{made.pk}/")
    assert response.status_code == status
    if status == 200:
        assert made.title in response.content.decode()


def test_a_missing_request_is_404(client_for: Clients, scientist: User) -> None:
    assert client_for(scientist).get("/research/requests/999999/").status_code == 404


def test_a_researcher_who_lost_the_role_no_longer_sees_their_requests(
    client_for: Clients, scientist: User, community: Community
) -> None:
    made = rh.make_request(scientist, community)
    scientist.is_researcher = False
    scientist.save(update_fields=["is_researcher"])
    assert (
        client_for(scientist).get(f"/research/requests/{made.pk}/").status_code == 404
    )


# Deciding ----------------------------------------------------------------------------


def test_organiser_approves_with_a_note_and_the_researcher_is_told(
    client_for: Clients,
    scientist: User,
    organiser: User,
    community: Community,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    made = rh.make_request(scientist, community)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(organiser).post(
            f"/research/requests/{made.pk}/decide/",
            {"decision": "approve", "note": "Please share the results."},
        )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == Status.APPROVED
    assert made.decided_by == organiser
    assert made.decision_note == "Please share the results."
    assert [m.to for m in mailoutbox] == [[scientist.email]]
    page = client_for(scientist).get(f"/research/requests/{made.pk}/")
    assert "Please share the results." in page.content.decode()
    assert "Build and release the dataset" in page.content.decode()


def test_refusing_needs_a_note(
    client_for: Clients, scientist: User, organiser: User, community: Community
) -> None:
    made = rh.make_request(scientist, community)
    path = f"/research/requests/{made.pk}/decide/"
    response = client_for(organiser).post(path, {"decision": "refuse", "note": ""})
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    made.refresh_from_db()
    assert made.status == Status.PENDING
    client_for(organiser).post(path, {"decision": "refuse", "note": "Too broad."})
    made.refresh_from_db()
    assert made.status == Status.REFUSED


@pytest.mark.parametrize("persona", ["moderator", "member", "outsider", "scientist"])
def test_only_organisers_decide(
    request: pytest.FixtureRequest,
    client_for: Clients,
    scientist: User,
    community: Community,
    persona: str,
) -> None:
    made = rh.make_request(scientist, community)
    user = request.getfixturevalue(persona)
    response = client_for(user).post(
        f"/research/requests/{made.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 404
    made.refresh_from_db()
    assert made.status == Status.PENDING


def test_a_researcher_who_organises_cannot_approve_their_own_request(
    client_for: Clients, organiser: User, community: Community
) -> None:
    organiser.is_researcher = True
    organiser.save(update_fields=["is_researcher"])
    made = rh.make_request(organiser, community)
    response = client_for(organiser).post(
        f"/research/requests/{made.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 400
    assert "another organiser must" in response.content.decode()
    made.refresh_from_db()
    assert made.status == Status.PENDING
    second = factories.make_user("Second Organiser")
    factories.give_totp(second)
    community.memberships.create(user=second, role="organiser")
    services.approve_request(second, request=made)
    made.refresh_from_db()
    assert made.status == Status.APPROVED


def test_an_organiser_without_two_factor_cannot_decide(
    scientist: User, community: Community
) -> None:
    unsecured = factories.make_user("Una Organiser")
    community.memberships.create(user=unsecured, role="organiser")
    made = rh.make_request(scientist, community)
    with pytest.raises(PermissionDenied):
        services.approve_request(unsecured, request=made)


def test_a_decided_request_cannot_be_decided_again(
    scientist: User, organiser: User, community: Community
) -> None:
    made = rh.approved_request(scientist, community, organiser)
    with pytest.raises(ValidationError, match="already been approved"):
        services.approve_request(organiser, request=made)


def test_organisers_can_end_an_approval(
    client_for: Clients, scientist: User, organiser: User, community: Community
) -> None:
    made = rh.approved_request(scientist, community, organiser)
    response = client_for(organiser).post(
        f"/research/requests/{made.pk}/end/", {"note": "Members asked us to stop."}
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == Status.REFUSED
    assert made.decision_note == "Members asked us to stop."


def test_researcher_withdraws_a_request(
    client_for: Clients, scientist: User, organiser: User, community: Community
) -> None:
    made = rh.make_request(scientist, community)
    response = client_for(scientist).post(f"/research/requests/{made.pk}/withdraw/")
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == Status.WITHDRAWN
    with pytest.raises(ValidationError, match="withdrawn"):
        services.approve_request(organiser, request=made)
    other = rh.make_researcher("Other Researcher")
    path = f"/research/requests/{made.pk}/withdraw/"
    assert client_for(other).post(path).status_code == 404
    assert client_for(organiser).post(path).status_code == 404


# The organisers' review page ---------------------------------------------------------


def test_review_lists_pending_and_decided_requests(
    client_for: Clients, scientist: User, organiser: User, community: Community
) -> None:
    rh.make_request(scientist, community, title="Waiting study")
    rh.approved_request(scientist, community, organiser, title="Approved study")
    page = client_for(organiser).get(f"/c/{community.slug}/research/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Waiting study" in text
    assert "Approved study" in text
    assert text.index("Waiting study") < text.index("Decided")
    assert "University of Leeds" in text
    assert 'id="id_request' in text  # each form's fields have their own ids


@pytest.mark.parametrize(
    ("persona", "status"), [("moderator", 403), ("member", 403), ("outsider", 403)]
)
def test_review_is_for_organisers(
    request: pytest.FixtureRequest,
    client_for: Clients,
    community: Community,
    persona: str,
    status: int,
) -> None:
    user = request.getfixturevalue(persona)
    page = client_for(user).get(f"/c/{community.slug}/research/")
    assert page.status_code == status


def test_review_of_a_hidden_community_is_404_for_outsiders(
    client_for: Clients, outsider: User, hidden_community: Community
) -> None:
    page = client_for(outsider).get(f"/c/{hidden_community.slug}/research/")
    assert page.status_code == 404


def test_review_runs_a_bounded_number_of_queries(
    client_for: Clients, scientist: User, organiser: User, community: Community
) -> None:
    client = client_for(organiser)

    def add_rows(count: int) -> None:
        with ratelimit.suspended():
            for number in range(count):
                rh.make_request(scientist, community, title=f"Study {number}")
                made = rh.make_request(scientist, community, title=f"Other {number}")
                services.approve_request(organiser, request=made)

    def fetch() -> None:
        assert client.get(f"/c/{community.slug}/research/").status_code == 200

    assert_bounded_queries(fetch, add_rows, max_queries=20, rows=2)


# The register and the plain-words page ------------------------------------------------


def test_register_shows_approved_requests_only(
    visitor_client: Client, scientist: User, organiser: User, community: Community
) -> None:
    rh.make_request(scientist, community, title="Still waiting")
    rh.approved_request(scientist, community, organiser, title="Open study")
    page = visitor_client.get(f"/c/{community.slug}/data-releases/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Open study" in text
    assert "Still waiting" not in text
    assert "Rae Researcher, University of Leeds" in text
    assert rh.PURPOSE_TEXT in text
    assert "nothing has been released yet" in text
    assert scientist.email not in text


def test_register_of_a_members_only_community(
    client_for: Clients, organiser: User, member: User, outsider: User
) -> None:
    closed = factories.make_community(
        organiser, visibility="members", members=(member,)
    )
    path = f"/c/{closed.slug}/data-releases/"
    assert client_for(member).get(path).status_code == 200
    assert client_for(outsider).get(path).status_code == 403


def test_register_of_a_hidden_community_is_404_for_outsiders(
    client_for: Clients,
    visitor_client: Client,
    member: User,
    outsider: User,
    hidden_community: Community,
) -> None:
    path = f"/c/{hidden_community.slug}/data-releases/"
    assert client_for(member).get(path).status_code == 200
    assert client_for(outsider).get(path).status_code == 404
    assert visitor_client.get(path).status_code == 404


def test_the_plain_words_page_is_for_everyone(visitor_client: Client) -> None:
    page = visitor_client.get("/research/how-it-works/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "You decide" in text
    assert "differential privacy" in text


def test_the_researchers_page_runs_a_bounded_number_of_queries(
    client_for: Clients, scientist: User, organiser: User, community: Community
) -> None:
    client = client_for(scientist)

    def add_rows(count: int) -> None:
        with ratelimit.suspended():
            for number in range(count):
                rh.approved_request(scientist, community, organiser, title=f"S{number}")

    def fetch() -> None:
        assert client.get(NEW).status_code == 200

    assert_bounded_queries(fetch, add_rows, max_queries=20, rows=2)


def test_members_read_what_research_consent_means(
    client_for: Clients, member: User
) -> None:
    page = client_for(member).get("/me/consents/").content.decode()
    assert "Research datasets" in page
    assert "de-identified records" in page
    assert "My notes in research datasets" in page


def test_an_organiser_is_not_offered_to_decide_their_own_request(
    client_for: Clients, organiser: User, community: Community
) -> None:
    organiser.is_researcher = True
    organiser.save(update_fields=["is_researcher"])
    made = rh.make_request(organiser, community)
    page = client_for(organiser).get(f"/research/requests/{made.pk}/")
    text = page.content.decode()
    assert "another organiser of" in text
    assert f"/research/requests/{made.pk}/decide/" not in text
