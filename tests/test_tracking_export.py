"""Exports of a member's tracking records: the FHIR R4 bundle, the CSV zip,
and that an export imports again into a fresh account unchanged."""

import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zipfile import ZipFile

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle

from kinwell.accounts.models import AuditEvent, Delegation, User
from kinwell.communities.models import Community, Membership
from kinwell.tracking.io.csv_format import FILES
from kinwell.tracking.io.csv_import import import_tracking
from kinwell.tracking.io.fhir import bundle_for
from kinwell.tracking.io.records import member_records
from kinwell.tracking.models import CheckIn
from tests import factories
from tests.helpers import API, assert_bounded_queries, assert_error, count_queries
from tests.tracking_io_helpers import (
    days_ago,
    export_zip,
    fill_records,
    read_zip,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(member: User, community: Community, organiser: User) -> dict[str, Any]:
    return fill_records(member, community, organiser)


def _bundle(owner: User, **options: Any) -> dict[str, Any]:
    return bundle_for(member_records(owner), patient_ref="m-test", **options)


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == kind
    ]


def _observation(bundle: dict[str, Any], text: str) -> list[dict[str, Any]]:
    return [
        o for o in _resources(bundle, "Observation") if o["code"].get("text") == text
    ]


# FHIR --------------------------------------------------------------------------------


def test_bundle_validates_and_holds_the_three_resource_types(
    member: User, filled: dict[str, Any]
) -> None:
    bundle = _bundle(member)
    Bundle.model_validate(bundle)  # the whole bundle, as a reader would check it
    assert bundle["type"] == "collection"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Observation", "MedicationStatement", "QuestionnaireResponse"} <= kinds
    assert {"Patient", "Condition", "Procedure"} <= kinds
    assert json.loads(json.dumps(bundle)) == bundle  # JSON-ready as it is


def test_symptom_scores_are_observations_coded_with_snomed_when_known(
    member: User, filled: dict[str, Any]
) -> None:
    fatigue = filled["fatigue"]
    fatigue.snomed_code = "84229001"
    fatigue.save(update_fields=["snomed_code"])
    bundle = _bundle(member)
    scores = _observation(bundle, "Fatigue")
    assert len(scores) == 5
    first = scores[0]
    assert first["code"]["coding"] == [
        {"system": "http://snomed.info/sct", "code": "84229001", "display": "Fatigue"}
    ]
    assert first["valueInteger"] in range(5)
    assert first["interpretation"][0]["text"]
    assert first["category"][0]["coding"][0]["code"] == "survey"
    uncoded = _observation(bundle, "Brain fog (ours)")
    assert uncoded
    assert "coding" not in uncoded[0]["code"]
    patient = _resources(bundle, "Patient")[0]
    full_urls = {e["resource"]["id"]: e["fullUrl"] for e in bundle["entry"]}
    assert first["subject"]["reference"] == full_urls[patient["id"]]
    assert patient["identifier"][0]["value"] == "m-test"
    assert "name" not in patient


def test_courses_medicines_and_evaluations(
    member: User, filled: dict[str, Any]
) -> None:
    bundle = _bundle(member)
    [statement] = _resources(bundle, "MedicationStatement")
    assert statement["status"] == "stopped"
    assert statement["statusReason"] == [{"text": "Side effects"}]
    assert statement["dosage"] == [{"text": "10 mg, twice a day"}]
    assert statement["medicationCodeableConcept"]["coding"][0] == {
        "system": "http://www.whocc.no/atc",
        "code": "M01AE01",
        "display": "Ibuprofen",
    }
    assert statement["effectivePeriod"] == {
        "start": days_ago(60).isoformat(),
        "end": days_ago(20).isoformat(),
    }
    [procedure] = _resources(bundle, "Procedure")
    assert procedure["status"] == "in-progress"
    assert procedure["code"]["text"] == "Pacing"
    evaluations = _observation(bundle, "Treatment evaluation")
    assert len(evaluations) == 2
    urls = {e["resource"]["id"]: e["fullUrl"] for e in bundle["entry"]}
    of_medicine = next(
        e for e in evaluations if e["partOf"][0]["reference"] == urls[statement["id"]]
    )
    components = {c["code"]["text"]: c for c in of_medicine["component"]}
    assert components["Effectiveness"]["valueInteger"] == 3
    assert components["Cost band"]["valueString"] == "Low"
    assert of_medicine["note"] == [{"text": "Upset stomach"}]
    [side_effect_url] = [m["reference"] for m in of_medicine["hasMember"]]
    side_effect = next(
        e["resource"] for e in bundle["entry"] if e["fullUrl"] == side_effect_url
    )
    assert side_effect["code"]["text"] == "Headache"
    assert side_effect["valueInteger"] == 3


def test_questionnaire_responses_and_their_scores(
    member: User, filled: dict[str, Any]
) -> None:
    bundle = _bundle(member)
    [response] = _resources(bundle, "QuestionnaireResponse")
    assert response["status"] == "completed"
    assert response["_questionnaire"]["extension"][0]["valueString"] == "Fatigue scale"
    assert [item["answer"][0]["valueInteger"] for item in response["item"]] == [2, 3]
    assert [item["text"] for item in response["item"]] == ["How tired?", "How often?"]
    [score] = _observation(bundle, "Fatigue scale: score")
    assert score["valueQuantity"]["value"] == 5
    assert score["derivedFrom"][0]["reference"].startswith("urn:uuid:")


def test_mood_is_an_observation_and_notes_only_when_asked(
    member: User, filled: dict[str, Any]
) -> None:
    with_notes = _bundle(member)
    assert len(_observation(with_notes, "Mood")) == 5
    notes = {o["valueString"] for o in _observation(with_notes, "Check-in note")}
    assert notes == {"Day 3, quite tired", "Only a note"}
    without = _bundle(member, include_notes=False)
    assert _observation(without, "Check-in note") == []
    assert "note" not in json.dumps(_observation(without, "Treatment evaluation"))
    assert "quite tired" not in json.dumps(without)
    assert "Upset stomach" not in json.dumps(without)
    # Dose and frequency are typed by the member: free text, like notes.
    [statement] = _resources(without, "MedicationStatement")
    assert "dosage" not in statement
    assert "twice a day" not in json.dumps(without)


def test_dates_are_shifted(member: User, filled: dict[str, Any]) -> None:
    plain = _bundle(member)
    shifted = _bundle(member, shift_days=-100)
    days = sorted(o["effectiveDateTime"] for o in _observation(plain, "Mood"))
    moved = sorted(o["effectiveDateTime"] for o in _observation(shifted, "Mood"))
    assert moved == [
        (date.fromisoformat(day) - timedelta(days=100)).isoformat() for day in days
    ]
    [condition] = _resources(shifted, "Condition")
    assert condition["onsetDateTime"] == days_ago(500).isoformat()
    [statement] = _resources(shifted, "MedicationStatement")
    assert statement["effectivePeriod"]["start"] == days_ago(160).isoformat()
    [response] = _resources(plain, "QuestionnaireResponse")
    [moved_response] = _resources(shifted, "QuestionnaireResponse")
    assert (
        moved_response["authored"][:10]
        == (
            date.fromisoformat(response["authored"][:10]) - timedelta(days=100)
        ).isoformat()
    )


def test_bundle_runs_a_bounded_number_of_queries(member: User) -> None:
    from tests import tracking_factories as tf

    symptom = tf.make_symptom("Fatigue")
    tf.track(member, symptom)
    tf.track_since(member, symptom, days_ago(200))
    added = {"days": 0}

    def add_rows(count: int) -> None:
        for _ in range(count):
            added["days"] += 1
            tf.check_in(member, {symptom: 2}, days_ago=added["days"])

    assert_bounded_queries(lambda: _bundle(member), add_rows, max_queries=12)


# CSV ----------------------------------------------------------------------------------


def test_csv_zip_holds_every_file_with_its_header(
    member: User, filled: dict[str, Any]
) -> None:
    files = read_zip(export_zip(member))
    assert list(files) == list(FILES)
    check_ins = files["check_ins.csv"]
    assert len(check_ins) == 16  # 5 days x 3 symptoms, and a day with a note only
    first_day = [row for row in check_ins if row["day"] == days_ago(5).isoformat()]
    assert [row["mood"] for row in first_day] == ["0", "", ""]
    assert files["courses.csv"][0]["stop_reason"] == "side_effects"
    assert files["side_effects.csv"] == [
        {"evaluation": "1", "symptom": "Headache", "severity": "3"}
    ]
    assert {row["answer"] for row in files["questionnaire_responses.csv"]} == {"2", "3"}


def test_csv_with_member_ref_shift_and_without_notes(
    member: User, filled: dict[str, Any]
) -> None:
    files = read_zip(
        export_zip(member, member_ref="m-abc", shift_days=10, include_notes=False)
    )
    assert all(row["member"] == "m-abc" for rows in files.values() for row in rows)
    assert all(not row["note"] for row in files["check_ins.csv"])
    assert all(not row["note"] for row in files["evaluations.csv"])
    assert all(not row["dose"] for row in files["courses.csv"])
    assert all(not row["frequency"] for row in files["courses.csv"])
    own = read_zip(export_zip(member))["courses.csv"]
    assert {(row["dose"], row["frequency"]) for row in own} >= {
        ("10 mg", "twice a day")
    }
    days = {row["day"] for row in files["check_ins.csv"]}
    assert days == {
        (days_ago(ago) + timedelta(days=10)).isoformat() for ago in range(1, 6)
    }


def test_csv_export_runs_a_bounded_number_of_queries(
    member: User, community: Community, organiser: User
) -> None:
    fill_records(member, community, organiser)
    few = count_queries(lambda: export_zip(member))
    for ago in range(10, 40):
        CheckIn.objects.create(user=member, day=days_ago(ago), mood=2)
    assert count_queries(lambda: export_zip(member)) == few


def test_round_trip_into_a_fresh_account(
    member: User, community: Community, organiser: User, filled: dict[str, Any]
) -> None:
    exported = export_zip(member)
    fresh = factories.make_user("Fran Fresh")
    Membership.objects.create(community=community, user=fresh)
    report = import_tracking(fresh, owner=fresh, name="tracking.zip", data=exported)
    assert report.imported
    assert report.skipped_count == 0
    assert _comparable(export_zip(fresh)) == _comparable(exported)


def _comparable(data: bytes) -> dict[str, list[dict[str, str]]]:
    files = read_zip(data)
    for row in files["questionnaire_responses.csv"]:
        row["answered_at"] = row["answered_at"][:16]  # written to the second
    return files


# Pages and the API --------------------------------------------------------------------


def test_member_downloads_both_files(
    client_for: Callable[[User], Client], member: User, filled: dict[str, Any]
) -> None:
    client = client_for(member)
    page = client.get("/tracking/export/")
    assert page.status_code == 200
    assert b"tracking.zip" in page.content
    csv_response = client.get("/tracking/export/tracking.zip")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "application/zip"
    assert "no-store" in csv_response["Cache-Control"]
    with ZipFile(io.BytesIO(csv_response.getvalue())) as archive:
        assert "check_ins.csv" in archive.namelist()
    fhir = client.get("/tracking/export/tracking.fhir.json")
    assert fhir["Content-Type"] == "application/fhir+json"
    Bundle.model_validate(json.loads(fhir.content))
    assert not AuditEvent.objects.filter(action__startswith="tracking.export").exists()


def test_carer_with_read_scope_exports_and_it_is_audited(
    client_for: Callable[[User], Client],
    member: User,
    carer: User,
    filled: dict[str, Any],
) -> None:
    delegation = Delegation.objects.get(carer=carer, member=member)
    response = client_for(carer).get(
        f"{API}/me/tracking/export?format=fhir&delegation={delegation.pk}"
    )
    assert response.status_code == 200
    assert _resources(json.loads(response.content), "MedicationStatement")
    event = AuditEvent.objects.get(action="tracking.export_fhir")
    assert (event.actor, event.subject) == (carer, member)


def test_carer_without_read_scope_is_refused(
    client_for: Callable[[User], Client], member: User
) -> None:
    tracker = factories.make_user("Tia Tracker")
    delegation = factories.make_delegation(member, tracker, [Delegation.Scope.TRACK])
    response = client_for(tracker).get(
        f"{API}/me/tracking/export?format=csv&delegation={delegation.pk}"
    )
    assert_error(response, 403, "forbidden")


def test_outsider_cannot_name_someone_elses_delegation(
    client_for: Callable[[User], Client], member: User, carer: User, outsider: User
) -> None:
    delegation = Delegation.objects.get(carer=carer, member=member)
    response = client_for(outsider).get(
        f"{API}/me/tracking/export?delegation={delegation.pk}"
    )
    assert_error(response, 404, "not_found")


def test_api_csv_export_and_bad_format(
    client_for: Callable[[User], Client], member: User, filled: dict[str, Any]
) -> None:
    client = client_for(member)
    response = client.get(f"{API}/me/tracking/export?format=csv")
    assert response.status_code == 200
    data = response.getvalue()
    assert "check_ins.csv" in read_zip(data)
    assert_error(client.get(f"{API}/me/tracking/export?format=pdf"), 422, "invalid")


def test_visitor_is_sent_to_log_in(visitor_client: Client) -> None:
    assert visitor_client.get("/tracking/export/tracking.zip").status_code == 302
    assert_error(
        visitor_client.get(f"{API}/me/tracking/export"), 401, "unauthenticated"
    )
