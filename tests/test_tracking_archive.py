"""Tracking in the community archive: the community's own catalogue and
questionnaires travel, never another community's; members' records travel
only for those who consented to portability; on import they are held for
their member, who takes them in through the ordinary import or discards
them."""

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from django.core.management import call_command
from django.test import Client

from kinwell.accounts.models import User
from kinwell.communities import services as community_services
from kinwell.communities.archive.reader import ArchiveError
from kinwell.communities.models import Community, MemberInvitation
from kinwell.tracking import catalogue
from kinwell.tracking.io.held import held_for
from kinwell.tracking.models import (
    CheckIn,
    HeldTracking,
    HeldTrackingRow,
    MemberCondition,
    PendingImport,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    Symptom,
    SymptomScore,
    TrackedSymptom,
    TreatmentCourse,
)
from tests import factories
from tests import tracking_factories as tf
from tests.helpers import assert_bounded_queries
from tests.test_archive import build, entries, export_bytes, import_bytes, records
from tests.tracking_io_helpers import consent, fill_records

pytestmark = pytest.mark.django_db

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "docs" / "archive-schema"
RECORD_KINDS = (
    "tracking_conditions",
    "tracking_symptoms",
    "tracking_check_ins",
    "tracking_courses",
    "tracking_questionnaire_responses",
)
KINDS = ("tracking_catalogue", "tracking_questionnaires", *RECORD_KINDS)


@pytest.fixture
def tracked(
    community: Community, organiser: User, member: User, carer: User
) -> dict[str, Any]:
    """The member (who consented to portability) and the carer (who did not)
    both track; the member also uses another community's symptom."""
    consent(member)
    made = fill_records(member, community, organiser)
    elsewhere = factories.make_community(organiser, name="Elsewhere", members=(member,))
    theirs = tf.make_symptom("Elsewhere's symptom", community=elsewhere)
    tf.track(member, theirs)
    tf.check_in(member, {theirs: 3, made["fatigue"]: 1}, mood=1)
    tf.track(carer, made["fatigue"])
    tf.check_in(carer, {made["fatigue"]: 4}, note="Carer's own day")
    return {**made, "theirs": theirs, "elsewhere": elsewhere}


def _members_by_ref(data: bytes) -> dict[str, dict[str, Any]]:
    return {record["ref"]: record for record in records(data, "members")}


# Export -------------------------------------------------------------------------------


def test_only_portable_members_records_travel(
    community: Community, member: User, tracked: dict[str, Any]
) -> None:
    data = export_bytes(community)
    members = _members_by_ref(data)
    for kind in RECORD_KINDS:
        found = records(data, kind)
        assert found, kind
        for record in found:
            assert members[record["member"]]["portable"] is True
    [ref] = {r["member"] for kind in RECORD_KINDS for r in records(data, kind)}
    assert members[ref]["email"] == member.email
    assert "Carer's own day" not in json.dumps(records(data, "tracking_check_ins"))
    assert len(records(data, "tracking_courses")) == 2
    assert len(records(data, "tracking_questionnaire_responses")) == 1


def test_withdrawn_consent_takes_the_records_out(
    community: Community, member: User, tracked: dict[str, Any]
) -> None:
    consent(member, given=False)
    data = export_bytes(community)
    for kind in RECORD_KINDS:
        assert records(data, kind) == []


def test_the_catalogue_is_the_communitys_own_never_anothers(
    community: Community, tracked: dict[str, Any]
) -> None:
    data = export_bytes(community)
    catalogue = records(data, "tracking_catalogue")
    assert [(e["kind"], e["name"]) for e in catalogue] == [
        ("symptom", "Brain fog (ours)")
    ]
    text = json.dumps({kind: records(data, kind) for kind in KINDS})
    assert "Elsewhere's symptom" not in text
    assert "Elsewhere" not in text


def test_removed_entries_travel_only_as_far_as_the_records_naming_them(
    community: Community,
    organiser: User,
    administrator: User,
    carer: User,
    tracked: dict[str, Any],
) -> None:
    named = tracked["brain_fog"]  # the portable member's records name it
    only_carer = tf.make_symptom("Canary only the carer's", community=community)
    tf.track(carer, only_carer)  # the carer did not consent to portability
    nobody = tf.make_symptom("Canary nobody's", community=community)
    for entry in (named, only_carer, nobody):
        catalogue.remove_entry(organiser, entry=entry)
    data = export_bytes(community)
    names = [e["name"] for e in records(data, "tracking_catalogue")]
    assert names == ["Brain fog (ours)"]
    # A new entry of the removed one's name: records name it, so it travels
    # once, and the archive still imports.
    tf.make_symptom("Brain fog (ours)", community=community)
    data = export_bytes(community)
    assert [e["name"] for e in records(data, "tracking_catalogue")] == [
        "Brain fog (ours)"
    ]
    imported = import_bytes(data, administrator, slug="new-home")
    assert Symptom.objects.filter(
        community=imported, name="Brain fog (ours)", retired_at__isnull=True
    ).exists()


def test_records_name_generic_entries_by_name_and_codes(
    community: Community, tracked: dict[str, Any]
) -> None:
    fatigue = tracked["fatigue"]
    fatigue.snomed_code = "84229001"
    fatigue.save(update_fields=["snomed_code"])
    data = export_bytes(community)
    scores = [
        score["symptom"]
        for check_in in records(data, "tracking_check_ins")
        for score in check_in["scores"]
    ]
    fatigue_refs = [ref for ref in scores if ref["name"] == "Fatigue"]
    assert fatigue_refs[0]["generic"] is True
    assert fatigue_refs[0]["snomed_code"] == "84229001"
    assert {"name": "Brain fog (ours)", "generic": False} in scores
    # The day that also rated another community's symptom keeps the rest.
    today = [c for c in records(data, "tracking_check_ins") if c["mood"] == 1]
    assert any(
        [s["symptom"]["name"] for s in c["scores"]] == ["Fatigue"] for c in today
    )
    [medicine, _] = records(data, "tracking_courses")
    assert medicine["treatment"] == {
        "name": "Ibuprofen",
        "generic": True,
        "atc_code": "M01AE01",
    }


def test_every_tracking_record_validates_against_its_schema(
    community: Community, tracked: dict[str, Any]
) -> None:
    data = export_bytes(community)
    manifest = json.loads(entries(data)["manifest.json"])
    for kind in KINDS:
        assert kind in manifest["counts"]
        schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
        validator = jsonschema_rs.validator_for(schema)
        for record in records(data, kind):
            validator.validate(record)


# Import -------------------------------------------------------------------------------


def _leave_the_old_installation(member: User) -> None:
    """As if the archive went to another installation: the member's records
    there are not here."""
    for model in (CheckIn, MemberCondition, TrackedSymptom, TreatmentCourse):
        model.objects.filter(user=member).delete()
    QuestionnaireResponse.objects.filter(user=member).delete()


def _imported(community: Community, administrator: User, member: User) -> Community:
    data = export_bytes(community)
    _leave_the_old_installation(member)
    return import_bytes(data, administrator, slug="new-home")


def test_import_writes_the_catalogue_and_questionnaires_and_holds_records(
    community: Community, administrator: User, member: User, tracked: dict[str, Any]
) -> None:
    new = _imported(community, administrator, member)
    assert list(
        Symptom.objects.filter(community=new).values_list("name", flat=True)
    ) == ["Brain fog (ours)"]
    questionnaire = Questionnaire.objects.get(community=new)
    assert questionnaire.title == "Fatigue scale"
    assert Question.objects.filter(questionnaire=questionnaire).count() == 2
    held = HeldTracking.objects.get(community=new)
    invitation = MemberInvitation.objects.get(community=new, email=member.email)
    assert held.invitation == invitation
    assert held.user is None
    files = set(
        HeldTrackingRow.objects.filter(held=held).values_list("file", flat=True)
    )
    assert files == {
        "conditions.csv",
        "symptoms.csv",
        "check_ins.csv",
        "courses.csv",
        "evaluations.csv",
        "side_effects.csv",
        "questionnaire_responses.csv",
    }
    assert not CheckIn.objects.filter(user=member).exists()
    assert not held_for(member).exists()  # not until they accept


def test_the_member_takes_their_records_in_after_joining(
    client_for: Callable[[User], Client],
    community: Community,
    administrator: User,
    member: User,
    tracked: dict[str, Any],
) -> None:
    new = _imported(community, administrator, member)
    invitation = MemberInvitation.objects.get(community=new, email=member.email)
    community_services.answer_invitation(member, invitation=invitation, accept=True)
    client = client_for(member)
    page = client.get("/tracking/carried-over/")
    assert new.name.encode() in page.content
    held = HeldTracking.objects.get(community=new)
    review = client.post(f"/tracking/carried-over/{held.pk}/review/")
    assert review.status_code == 200
    assert b"Ready to import" in review.content
    pending = PendingImport.objects.get(uploaded_by=member)
    assert pending.held == held
    client.post(f"/tracking/import/{pending.pk}/confirm/")
    assert CheckIn.objects.filter(user=member).count() == 7
    assert SymptomScore.objects.filter(user=member, symptom__name="Fatigue").exists()
    assert TreatmentCourse.objects.filter(user=member).count() == 2
    response = QuestionnaireResponse.objects.get(user=member)
    assert response.questionnaire.community == new
    assert not HeldTracking.objects.filter(pk=held.pk).exists()


def test_held_records_are_for_their_member_only(
    client_for: Callable[[User], Client],
    community: Community,
    administrator: User,
    member: User,
    outsider: User,
    tracked: dict[str, Any],
) -> None:
    new = _imported(community, administrator, member)
    held = HeldTracking.objects.get(community=new)
    for someone in (outsider, administrator):
        client = client_for(someone)
        assert (
            client.post(f"/tracking/carried-over/{held.pk}/review/").status_code == 404
        )
        assert (
            client.post(f"/tracking/carried-over/{held.pk}/discard/").status_code == 404
        )
    assert HeldTracking.objects.filter(pk=held.pk).exists()


def test_the_member_may_discard_them(
    client_for: Callable[[User], Client],
    community: Community,
    administrator: User,
    member: User,
    tracked: dict[str, Any],
) -> None:
    new = _imported(community, administrator, member)
    invitation = MemberInvitation.objects.get(community=new, email=member.email)
    community_services.answer_invitation(member, invitation=invitation, accept=True)
    held = HeldTracking.objects.get(community=new)
    client = client_for(member)
    unconfirmed = client.post(f"/tracking/carried-over/{held.pk}/discard/")
    assert unconfirmed.status_code == 400
    done = client.post(
        f"/tracking/carried-over/{held.pk}/discard/", {f"held-{held.pk}-confirm": "on"}
    )
    assert done.status_code == 302
    assert not HeldTracking.objects.exists()
    assert not HeldTrackingRow.objects.exists()


def test_the_importing_organisers_own_records_are_held_for_them(
    community: Community, organiser: User, tracked: dict[str, Any]
) -> None:
    consent(organiser)
    symptom = tracked["fatigue"]
    tf.track(organiser, symptom)
    tf.check_in(organiser, {symptom: 2})
    data = export_bytes(community)
    new = import_bytes(data, organiser, slug="moved")
    mine = HeldTracking.objects.get(community=new, user=organiser)
    assert held_for(organiser).get() == mine


def _tampered(
    data: bytes, kind: str, change: Callable[[list[dict[str, Any]]], Any]
) -> bytes:
    files = entries(data)
    rows = records(data, kind)
    rows = change(rows) or rows
    files[f"records/{kind}.jsonl"] = b"".join(
        json.dumps(r).encode() + b"\n" for r in rows
    )
    manifest = json.loads(files["manifest.json"])
    manifest["counts"][kind] = len(rows)
    files["manifest.json"] = json.dumps(manifest).encode()
    return build(files)


def _not_portable(data: bytes) -> Callable[[list[dict[str, Any]]], Any]:
    refs = [r["ref"] for r in records(data, "members") if not r["portable"]]

    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["member"] = refs[0]

    return change


@pytest.mark.parametrize(
    ("kind", "spoil", "message"),
    [
        (
            "tracking_check_ins",
            "not portable",
            "has records but did not consent to portability",
        ),
        (
            "tracking_catalogue",
            lambda rows: rows + rows,
            "the symptom 'Brain fog (ours)' twice",
        ),
        (
            "tracking_questionnaire_responses",
            lambda rows: rows[0].update(questionnaire=9),
            "questionnaire 9 is not in",
        ),
        (
            "tracking_check_ins",
            lambda rows: rows[0].update(mood=7),
            "records/tracking_check_ins.jsonl line 1: mood: must be at most 4",
        ),
        (
            "tracking_questionnaires",
            lambda rows: rows[0]["questions"][0].update(choices=[]),
            "Give from 2 to 11 answers",
        ),
    ],
)
def test_a_bad_tracking_record_is_refused_and_nothing_is_written(
    community: Community,
    administrator: User,
    tracked: dict[str, Any],
    kind: str,
    spoil: Any,
    message: str,
) -> None:
    data = export_bytes(community)
    change = _not_portable(data) if spoil == "not portable" else spoil
    with pytest.raises(ArchiveError, match=re.escape(message)):
        import_bytes(_tampered(data, kind, change), administrator, slug="spoilt")
    assert not Community.objects.filter(slug="spoilt").exists()
    assert not HeldTracking.objects.exists()


def test_sets_nobody_can_take_in_are_purged(
    community: Community, administrator: User, member: User, tracked: dict[str, Any]
) -> None:
    new = _imported(community, administrator, member)
    invitation = MemberInvitation.objects.get(community=new, email=member.email)
    call_command("purge_held_tracking", stdout=io.StringIO())
    assert HeldTracking.objects.exists()  # still waiting for an answer
    community_services.answer_invitation(member, invitation=invitation, accept=False)
    call_command("purge_held_tracking", stdout=io.StringIO())
    assert not HeldTracking.objects.exists()
    assert not HeldTrackingRow.objects.exists()


def test_the_list_of_held_sets_runs_a_bounded_number_of_queries(
    client_for: Callable[[User], Client], member: User, organiser: User
) -> None:
    client = client_for(member)

    def add_rows(count: int) -> None:
        for _ in range(count):
            new = factories.make_community(organiser)
            held = HeldTracking.objects.create(
                community=new, member_ref="m-" + "0" * 24, user=member
            )
            HeldTrackingRow.objects.create(
                held=held, community=new, file="conditions.csv", data={}
            )

    assert_bounded_queries(
        lambda: client.get("/tracking/carried-over/"), add_rows, max_queries=12, rows=2
    )
