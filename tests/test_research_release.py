"""Releasing datasets: who is in them, how they are de-identified, where
they are kept, who may download them, and how each release is shown to its
members and in the register."""

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kinwell.accounts.models import AuditEvent, User
from kinwell.communities.models import Community, Membership
from kinwell.tracking.models import DataRelease, DatasetRequest
from kinwell.tracking.research import deid, files, register, release, services
from tests import factories
from tests import research_helpers as rh
from tests import tracking_factories as tf

Clients = Callable[[User], Client]
PSEUDONYM = re.compile(r"P-[0-9a-f]{16}")


@pytest.fixture
def scientist(db: None) -> User:
    return rh.make_researcher()


@pytest.fixture
def approved(scientist: User, organiser: User, community: Community) -> DatasetRequest:
    return rh.approved_request(scientist, community, organiser, include_notes=True)


def _everything_in(found: DataRelease) -> str:
    with rh.release_zip(found) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


def _members_in(found: DataRelease) -> set[str]:
    return {row["member"] for row in rh.csv_rows(found, "check_ins.csv")}


# Who is included ------------------------------------------------------------------


def test_only_members_who_consent_now_are_included(
    scientist: User, community: Community, approved: DatasetRequest, outsider: User
) -> None:
    yes = rh.Tracked(community, "Yara Yes")
    rh.consent(yes.user)
    no = rh.Tracked(community, "Nadia No")
    rh.consent(no.user, given=False)
    rh.Tracked(community, "Sami Silent")
    changed = rh.Tracked(community, "Cleo Changed")
    rh.consent(changed.user)
    rh.consent(changed.user, given=False)
    rh.consent(outsider)  # consents, but is not a member of the community
    made = release.release_dataset(scientist, request=approved, kind="csv")
    assert made.member_count == 1
    assert _members_in(made) == {deid.pseudonym(approved, yes.user.pk)}


def test_withdrawing_consent_before_a_release_leaves_the_member_out(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    first = rh.Tracked(community, "Fern First")
    second = rh.Tracked(community, "Sol Second")
    rh.consent(first.user)
    rh.consent(second.user)
    before = release.release_dataset(scientist, request=approved, kind="csv")
    rh.consent(second.user, given=False)
    after = release.release_dataset(scientist, request=approved, kind="csv")
    assert before.member_count == 2
    assert after.member_count == 1
    assert _members_in(after) == {deid.pseudonym(approved, first.user.pk)}


def test_members_who_left_or_were_switched_off_are_left_out(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    left = rh.Tracked(community, "Lee Left")
    off = rh.Tracked(community, "Ora Off")
    stays = rh.Tracked(community, "Sue Stays")
    for person in (left, off, stays):
        rh.consent(person.user)
    Membership.objects.filter(user=left.user).delete()
    off.user.is_active = False
    off.user.save(update_fields=["is_active"])
    made = release.release_dataset(scientist, request=approved, kind="csv")
    assert _members_in(made) == {deid.pseudonym(approved, stays.user.pk)}


def test_nothing_is_released_when_nobody_consented(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    rh.Tracked(community, "Nadia No")
    with pytest.raises(ValidationError, match="nothing to release"):
        release.release_dataset(scientist, request=approved, kind="csv")
    assert not DataRelease.objects.exists()
    assert not AuditEvent.objects.filter(action="research.release").exists()


@pytest.mark.parametrize("status", ["pending", "refused", "withdrawn"])
def test_only_approved_requests_are_released(
    scientist: User, organiser: User, community: Community, status: str
) -> None:
    made = rh.make_request(scientist, community)
    if status == "refused":
        services.refuse_request(organiser, request=made, note="No.")
    if status == "withdrawn":
        services.withdraw_request(scientist, request=made)
    rh.consent(rh.Tracked(community, "Yara Yes").user)
    with pytest.raises(ValidationError, match="Only an approved request"):
        release.release_dataset(scientist, request=made, kind="csv")
    assert not DataRelease.objects.exists()


def test_only_the_requests_researcher_may_release(
    client_for: Clients, organiser: User, community: Community, approved: DatasetRequest
) -> None:
    rh.consent(rh.Tracked(community, "Yara Yes").user)
    other = rh.make_researcher("Other Researcher")
    path = f"/research/requests/{approved.pk}/releases/"
    for person in (other, organiser):
        assert client_for(person).post(path, {"kind": "csv"}).status_code == 404
    with pytest.raises(ValidationError, match="Only the researcher"):
        release.release_dataset(other, request=approved, kind="csv")
    assert not DataRelease.objects.exists()


# De-identification -----------------------------------------------------------------


def test_no_names_emails_or_notes_without_consent(
    scientist: User, community: Community, organiser: User
) -> None:
    quiet = rh.Tracked(community, "Quentin Quiet", note="my private worry")
    rh.consent(quiet.user)
    open_book = rh.Tracked(community, "Olive Open", note="happy to share this")
    rh.consent(open_book.user)
    rh.consent(open_book.user, rh.Purpose.RESEARCH_NOTES)
    with_notes = rh.approved_request(
        scientist, community, organiser, include_notes=True
    )
    without = rh.approved_request(scientist, community, organiser, title="No notes")
    for made in (
        release.release_dataset(scientist, request=with_notes, kind="csv"),
        release.release_dataset(scientist, request=with_notes, kind="fhir"),
    ):
        text = _everything_in(made)
        for person in (quiet.user, open_book.user):
            assert person.display_name not in text
            assert person.email not in text
        assert "my private worry" not in text
        assert "happy to share this" in text
    text = _everything_in(
        release.release_dataset(scientist, request=without, kind="csv")
    )
    assert "happy to share this" not in text
    assert "my private worry" not in text


def test_dose_and_frequency_are_free_text_left_out_without_consent(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    quiet = rh.Tracked(community, "Quentin Quiet")
    open_book = rh.Tracked(community, "Olive Open")
    for person, words in ((quiet, "quiet"), (open_book, "open")):
        rh.consent(person.user)
        person.course.dose = f"{words} dose words"
        person.course.frequency = f"{words} frequency words"
        person.course.save(update_fields=["dose", "frequency"])
    rh.consent(open_book.user, rh.Purpose.RESEARCH_NOTES)
    for kind in ("csv", "fhir"):
        text = _everything_in(
            release.release_dataset(scientist, request=approved, kind=kind)
        )
        assert "quiet dose words" not in text
        assert "quiet frequency words" not in text
        assert "open dose words" in text
        assert "open frequency words" in text


def test_every_member_appears_under_a_pseudonym(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    people = [rh.Tracked(community, f"Person {n}") for n in range(3)]
    for person in people:
        rh.consent(person.user)
    made = release.release_dataset(scientist, request=approved, kind="csv")
    for name in ("check_ins.csv", "courses.csv", "evaluations.csv", "symptoms.csv"):
        for row in rh.csv_rows(made, name):
            assert PSEUDONYM.fullmatch(row["member"])
    fhir = release.release_dataset(scientist, request=approved, kind="fhir")
    bundles = rh.fhir_bundles(fhir)
    assert len(bundles) == 3
    for name, bundle in bundles.items():
        patient = bundle["entry"][0]["resource"]
        assert patient["resourceType"] == "Patient"
        assert set(patient) == {"resourceType", "id", "identifier"}
        assert name == f"fhir/{patient['identifier'][0]['value']}.json"


def test_dates_move_by_one_shift_per_member_within_30_days(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    people = [rh.Tracked(community, f"Person {n}") for n in range(6)]
    for person in people:
        rh.consent(person.user)
    made = release.release_dataset(scientist, request=approved, kind="csv")
    rows = rh.csv_rows(made, "check_ins.csv")
    for person in people:
        ref = deid.pseudonym(approved, person.user.pk)
        mine = [row for row in rows if row["member"] == ref]
        shifts = {
            rh.shift_of(real, row["day"])
            for real, row in zip(sorted(person.days), mine, strict=True)
        }
        assert len(shifts) == 1
        (shift,) = shifts
        assert 1 <= abs(shift) <= 30
        assert shift == deid.shift_days(approved, person.user.pk)
        course = next(r for r in rh.csv_rows(made, "courses.csv") if r["member"] == ref)
        assert rh.shift_of(person.course.started_on, course["started_on"]) == shift


def test_the_same_member_has_the_same_shift_in_csv_and_fhir(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    person = rh.Tracked(community, "Pat Person")
    rh.consent(person.user)
    fhir = release.release_dataset(scientist, request=approved, kind="fhir")
    (bundle,) = rh.fhir_bundles(fhir).values()
    days = sorted(
        entry["resource"]["effectiveDateTime"]
        for entry in bundle["entry"]
        if entry["resource"].get("code", {}).get("text") == "Fatigue"
    )
    shift = deid.shift_days(approved, person.user.pk)
    assert days == [(day + timedelta(days=shift)).isoformat() for day in person.days]


def test_pseudonyms_and_shifts_differ_between_requests(
    scientist: User, organiser: User, community: Community
) -> None:
    people = [rh.Tracked(community, f"Person {n}") for n in range(5)]
    for person in people:
        rh.consent(person.user)
    one = rh.approved_request(scientist, community, organiser, title="One")
    two = rh.approved_request(scientist, community, organiser, title="Two")
    first = _members_in(release.release_dataset(scientist, request=one, kind="csv"))
    second = _members_in(release.release_dataset(scientist, request=two, kind="csv"))
    assert len(first) == len(second) == 5
    assert not first & second
    shifts = [
        (deid.shift_days(one, p.user.pk), deid.shift_days(two, p.user.pk))
        for p in people
    ]
    assert any(a != b for a, b in shifts)


def test_shifts_cover_both_directions_and_never_zero(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    shifts = [deid.shift_days(approved, user_id) for user_id in range(1, 400)]
    assert min(shifts) == -30
    assert max(shifts) == 30
    assert 0 not in shifts


def test_only_the_kinds_and_period_asked_for(
    scientist: User, organiser: User, community: Community
) -> None:
    person = rh.Tracked(community, "Pat Person")
    rh.consent(person.user)
    start = person.days[1]
    made = rh.approved_request(
        scientist,
        community,
        organiser,
        include_treatments=False,
        include_conditions=False,
        period_from=start,
    )
    found = release.release_dataset(scientist, request=made, kind="csv")
    assert rh.csv_rows(found, "courses.csv") == []
    assert rh.csv_rows(found, "evaluations.csv") == []
    shift = deid.shift_days(made, person.user.pk)
    days = [row["day"] for row in rh.csv_rows(found, "check_ins.csv")]
    assert days == [
        (day + timedelta(days=shift)).isoformat() for day in sorted(person.days[1:])
    ]


def test_another_communitys_catalogue_stays_out(
    scientist: User,
    organiser: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    elsewhere = factories.make_community(organiser, name="Elsewhere")
    secret = tf.make_symptom("Elsewhere-only symptom", community=elsewhere)
    person = rh.Tracked(community, "Pat Person")
    rh.join(person.user, elsewhere)
    rh.consent(person.user)
    tf.track(person.user, secret)
    tf.check_in(person.user, {secret: 3, person.symptom: 1}, day=timezone.localdate())
    text = _everything_in(
        release.release_dataset(scientist, request=approved, kind="csv")
    )
    assert "Elsewhere-only symptom" not in text
    text = _everything_in(
        release.release_dataset(scientist, request=approved, kind="fhir")
    )
    assert "Elsewhere-only symptom" not in text


# Building, then recording -----------------------------------------------------------


def test_the_file_is_built_outside_the_transaction_that_records_it(
    monkeypatch: pytest.MonkeyPatch,
    scientist: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    outside = len(connection.atomic_blocks)
    depths: dict[str, int] = {}
    build, record = files.build_release_file, release._record

    def building(*args: Any) -> files.BuiltFile:
        depths["build"] = len(connection.atomic_blocks)
        return build(*args)

    def recording(*args: Any) -> None:
        depths["record"] = len(connection.atomic_blocks)
        record(*args)

    monkeypatch.setattr(files, "build_release_file", building)
    monkeypatch.setattr(release, "_record", recording)
    release.release_dataset(scientist, request=approved, kind="csv")
    assert depths == {"build": outside, "record": outside + 1}


def _stored() -> set[Path]:
    root = files.releases_root()
    return set(root.iterdir()) if root.exists() else set()


def test_a_release_that_cannot_be_recorded_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch,
    scientist: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    before = _stored()

    def broken(*args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(release, "_record_inclusions", broken)
    with pytest.raises(RuntimeError):
        release.release_dataset(scientist, request=approved, kind="fhir")
    assert _stored() == before
    assert not DataRelease.objects.exists()


def test_a_request_ended_while_its_file_was_built_is_not_released(
    monkeypatch: pytest.MonkeyPatch,
    scientist: User,
    organiser: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    before = _stored()
    write = release._csv_zip

    def meanwhile(*args: Any) -> int:
        written = write(*args)
        services.refuse_request(organiser, request=approved, note="Enough.")
        return written

    monkeypatch.setattr(release, "_csv_zip", meanwhile)
    with pytest.raises(ValidationError, match="Only an approved request"):
        release.release_dataset(scientist, request=approved, kind="csv")
    assert _stored() == before
    assert not DataRelease.objects.exists()
    assert not AuditEvent.objects.filter(action="research.release").exists()


def test_the_csv_files_take_the_same_queries_for_any_number_of_members(
    scientist: User, organiser: User, community: Community
) -> None:
    def queries_for_release(title: str) -> int:
        made = rh.approved_request(scientist, community, organiser, title=title)
        with CaptureQueriesContext(connection) as queries:
            release.release_dataset(scientist, request=made, kind="csv")
        return len(queries.captured_queries)

    for number in range(2):
        rh.consent(rh.Tracked(community, f"Early {number}", note="n").user)
    few = queries_for_release("Few")
    for number in range(6):
        rh.consent(rh.Tracked(community, f"Later {number}", note="n").user)
    assert queries_for_release("More") == few


# Keeping and downloading --------------------------------------------------------------


def test_the_file_is_kept_privately_with_its_sha256(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    made = release.release_dataset(scientist, request=approved, kind="csv")
    path = files.release_file_path(made)
    assert path is not None
    assert path.is_relative_to(Path(settings.DATA_DIR))
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT))
    assert made.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert made.record_count > 0
    with rh.release_zip(made) as archive:
        readme = archive.read("README.txt").decode()
    assert approved.title in readme
    assert "Members included: 1" in readme


def test_the_researcher_downloads_and_each_download_is_recorded(
    client_for: Clients, scientist: User, community: Community, approved: DatasetRequest
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    made = release.release_dataset(scientist, request=approved, kind="csv")
    response = client_for(scientist).get(f"/research/releases/{made.pk}/download")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == made.sha256
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    downloads = AuditEvent.objects.filter(action="research.download")
    assert [(e.actor, e.subject, e.object_id) for e in downloads] == [
        (scientist, None, str(made.pk))
    ]


@pytest.mark.parametrize(
    "persona", ["organiser", "member", "outsider", "administrator", "other"]
)
def test_nobody_else_may_download(
    request: pytest.FixtureRequest,
    client_for: Clients,
    scientist: User,
    community: Community,
    approved: DatasetRequest,
    persona: str,
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    made = release.release_dataset(scientist, request=approved, kind="csv")
    if persona == "other":
        user = rh.make_researcher("Other Researcher")
    else:
        user = request.getfixturevalue(persona)
    response = client_for(user).get(f"/research/releases/{made.pk}/download")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="research.download").exists()


def test_releasing_on_the_website(
    client_for: Clients, scientist: User, community: Community, approved: DatasetRequest
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    client = client_for(scientist)
    path = f"/research/requests/{approved.pk}/releases/"
    response = client.post(path, {"kind": "fhir"})
    assert response.status_code == 302
    made = DataRelease.objects.get()
    assert made.kind == "fhir"
    page = client.get(f"/research/requests/{approved.pk}/").content.decode()
    assert f"/research/releases/{made.pk}/download" in page
    assert client.post(path, {"kind": "nonsense"}).status_code == 400


# Recorded and shown ---------------------------------------------------------------


def test_each_included_member_sees_the_release_on_access_to_my_data(
    client_for: Clients,
    scientist: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    included = rh.Tracked(community, "Ines Included")
    rh.consent(included.user)
    left_out = rh.Tracked(community, "Lou Left-out")
    made = release.release_dataset(scientist, request=approved, kind="csv")
    events = AuditEvent.objects.filter(action="research.release")
    assert [(e.actor, e.subject, e.object_id, e.reason) for e in events] == [
        (scientist, included.user, str(made.pk), approved.title)
    ]
    page = client_for(included.user).get("/me/data-access/").content.decode()
    assert (
        "Included, de-identified, in the dataset \u201cFatigue over a year\u201d "
        "released to Rae Researcher at University of Leeds"
    ) in page
    other = client_for(left_out.user).get("/me/data-access/").content.decode()
    assert "Fatigue over a year" not in other


def test_audit_rows_are_written_in_bulk(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    for number in range(30):
        user = factories.make_user(f"Member {number}")
        rh.join(user, community)
        rh.consent(user)
    with CaptureQueriesContext(connection) as queries:
        made = release.release_dataset(scientist, request=approved, kind="csv")
    inserts = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("INSERT") and "accounts_auditevent" in q["sql"]
    ]
    assert len(inserts) == 1
    assert made.member_count == 30
    assert AuditEvent.objects.filter(action="research.release").count() == 30


def test_the_register_shows_each_release_with_a_rounded_count(
    visitor_client: Client,
    scientist: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    for number in range(13):
        user = factories.make_user(f"Member {number}")
        rh.join(user, community)
        rh.consent(user)
    release.release_dataset(scientist, request=approved, kind="csv")
    text = visitor_client.get(f"/c/{community.slug}/data-releases/").content.decode()
    assert "De-identified records (CSV)" in text
    assert "<td>15</td>" in text
    assert "<td>13</td>" not in text


def test_small_releases_show_as_fewer_than_10(
    visitor_client: Client,
    scientist: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    release.release_dataset(scientist, request=approved, kind="csv")
    text = visitor_client.get(f"/c/{community.slug}/data-releases/").content.decode()
    assert "Fewer than 10" in text


def test_an_ended_request_stays_on_the_register(
    visitor_client: Client,
    scientist: User,
    organiser: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    release.release_dataset(scientist, request=approved, kind="csv")
    services.refuse_request(organiser, request=approved, note="Enough.")
    text = visitor_client.get(f"/c/{community.slug}/data-releases/").content.decode()
    assert approved.title in text
    assert "Ended by the organisers" in text


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "fewer than 10"), (9, "fewer than 10"), (10, "10"), (12, "10"), (13, "15")],
)
def test_published_counts(count: int, shown: str) -> None:
    assert register.published_count(count) == shown


def test_the_register_runs_a_bounded_number_of_queries(
    visitor_client: Client,
    scientist: User,
    organiser: User,
    community: Community,
) -> None:
    from kinwell.lib import ratelimit
    from tests.helpers import assert_bounded_queries

    rh.consent(rh.Tracked(community, "Pat Person").user)

    def add_rows(count: int) -> None:
        with ratelimit.suspended():
            for number in range(count):
                made = rh.approved_request(
                    scientist, community, organiser, title=f"Study {number}"
                )
                release.release_dataset(scientist, request=made, kind="csv")

    def fetch() -> None:
        page = visitor_client.get(f"/c/{community.slug}/data-releases/")
        assert page.status_code == 200

    assert_bounded_queries(fetch, add_rows, max_queries=10, rows=2)
