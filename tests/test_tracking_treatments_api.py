"""Treatment courses, evaluations and the personal charts in the API, through
HTTP: shapes, validation, the carer's delegation parameter with each scope,
everyone else, tokens and the number of queries."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kinwell.accounts import services as account_services
from kinwell.accounts.models import AuditEvent, Delegation, User
from kinwell.lib import ratelimit
from kinwell.tracking import treatments
from kinwell.tracking.models import (
    Evaluation,
    Symptom,
    Treatment,
    TreatmentCourse,
)
from tests import factories
from tests import tracking_factories as tf
from tests.helpers import API, assert_bounded_queries, assert_error, send

ClientFor = Callable[[User], Client]

COURSES = "/me/tracking/courses"
CANARY_NOTE = "Canary API note nobody else may read"


def ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def day(days_ago: int) -> date:
    return timezone.localdate() - timedelta(days=days_ago)


@pytest.fixture
def medicine(db: None) -> Treatment:
    return tf.make_treatment("Canary Pacing Pill")


@pytest.fixture
def nausea(db: None) -> Symptom:
    return tf.make_symptom("Nausea")


@pytest.fixture
def course(member: User, medicine: Treatment) -> TreatmentCourse:
    return treatments.start_course(
        member, owner=member, treatment=medicine, started_on=day(30), dose="10 mg"
    )


def evaluate(course: TreatmentCourse, **fields: Any) -> Evaluation:
    values: dict[str, Any] = {
        "effectiveness": 2,
        "adherence": 3,
        "burden": 1,
        "cost_band": "",
        "side_effects": {},
        "note": CANARY_NOTE,
    }
    return treatments.evaluate_course(course.user, course=course, **(values | fields))


def delegation_of(carer: User, member: User) -> int:
    return Delegation.objects.get(carer=carer, member=member).pk


def carer_with(member: User, scopes: list[str]) -> tuple[User, int]:
    carer = factories.make_user("Tam Scoped")
    delegation = factories.make_delegation(member, carer, scopes)
    return carer, delegation.pk


# Courses ---------------------------------------------------------------------------


def test_starting_a_course(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    response = send(
        client_for(member),
        "post",
        COURSES,
        {"treatment": medicine.pk, "started_on": ago(3), "frequency": "daily"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    course = TreatmentCourse.objects.get()
    assert body == {
        "id": course.pk,
        "treatment": {
            "id": medicine.pk,
            "name": "Canary Pacing Pill",
            "kind": "medicine",
        },
        "started_on": ago(3),
        "stopped_on": None,
        "is_current": True,
        "dose": "",
        "frequency": "daily",
        "stop_reason": "",
        "recorded_by": None,
        "created_at": body["created_at"],
    }


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"treatment": 999999, "started_on": "2024-01-01"}, 400, "treatment"),
        ({"treatment": 0, "started_on": "2024-01-01"}, 422, "treatment"),
        ({"started_on": "2024-01-01"}, 422, "treatment"),
        ({"started_on": "01/02/2024"}, 422, "started_on"),
        ({"started_on": 1700000000}, 422, "started_on"),
        ({"started_on": "2999-01-01"}, 400, "started_on"),
        ({"started_on": "2024-01-01", "dose": "x" * 61}, 422, "dose"),
        ({"started_on": "2024-01-01", "dose": "a\x00b"}, 422, "dose"),
        ({"started_on": "2024-01-01", "colour": "blue"}, 422, "colour"),
    ],
)
def test_a_wrong_course_is_refused_with_the_field_named(
    client_for: ClientFor,
    member: User,
    medicine: Treatment,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    payload = {"treatment": medicine.pk, **body}
    if "treatment" not in body and field == "treatment":
        payload.pop("treatment")
    response = send(client_for(member), "post", COURSES, payload)
    error = assert_error(response, status, "invalid")
    assert field in error["fields"]
    assert not TreatmentCourse.objects.exists()


def test_another_communitys_treatment_is_refused(
    client_for: ClientFor, member: User, organiser: User
) -> None:
    elsewhere = factories.make_community(organiser, name="Elsewhere")
    foreign = tf.make_treatment("Canary Foreign Pill", community=elsewhere)
    response = send(
        client_for(member),
        "post",
        COURSES,
        {"treatment": foreign.pk, "started_on": ago(1)},
    )
    assert_error(response, 400, "invalid")


def test_listing_courses_newest_first_and_by_state(
    client_for: ClientFor, member: User, course: TreatmentCourse
) -> None:
    old = treatments.start_course(
        member, owner=member, treatment=tf.make_treatment(), started_on=day(90)
    )
    treatments.stop_course(member, course=old, stopped_on=day(60), reason="cost")
    client = client_for(member)
    body = send(client, "get", COURSES).json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [course.pk, old.pk]
    current = send(client, "get", f"{COURSES}?current=true").json()
    assert [item["id"] for item in current["items"]] == [course.pk]
    past = send(client, "get", f"{COURSES}?current=false").json()
    assert [(i["id"], i["stop_reason"]) for i in past["items"]] == [(old.pk, "cost")]


def test_changing_a_course_keeps_what_is_left_out(
    client_for: ClientFor, member: User, course: TreatmentCourse
) -> None:
    response = send(
        client_for(member), "patch", f"{COURSES}/{course.pk}", {"frequency": "daily"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["dose"], response.json()["frequency"]) == (
        "10 mg",
        "daily",
    )


def test_patching_a_stop_and_taking_the_course_up_again(
    client_for: ClientFor, member: User, course: TreatmentCourse
) -> None:
    client = client_for(member)
    path = f"{COURSES}/{course.pk}"
    refused = send(client, "patch", path, {"stopped_on": ago(1)})
    assert "stop_reason" in assert_error(refused, 400, "invalid")["fields"]
    stopped = send(
        client, "patch", path, {"stopped_on": ago(1), "stop_reason": "better"}
    ).json()
    assert (stopped["stopped_on"], stopped["stop_reason"]) == (ago(1), "better")
    assert send(client, "patch", path, {"dose": "5 mg"}).json()["stopped_on"] == ago(1)
    reason_only = send(
        client, "patch", path, {"stopped_on": None, "stop_reason": "cost"}
    )
    assert "stopped_on" in assert_error(reason_only, 400, "invalid")["fields"]
    again = send(client, "patch", path, {"stopped_on": None}).json()
    assert (again["is_current"], again["stop_reason"]) == (True, "")


def test_stopping_a_course(
    client_for: ClientFor, member: User, course: TreatmentCourse
) -> None:
    client = client_for(member)
    path = f"{COURSES}/{course.pk}/stop"
    early = send(client, "post", path, {"stopped_on": ago(31), "reason": "cost"})
    assert "stopped_on" in assert_error(early, 400, "invalid")["fields"]
    wrong = send(client, "post", path, {"stopped_on": ago(1), "reason": "bored"})
    assert "reason" in assert_error(wrong, 422, "invalid")["fields"]
    response = send(client, "post", path, {"stopped_on": ago(1), "reason": "cost"})
    assert response.status_code == 200
    assert response.json()["is_current"] is False


def test_deleting_a_course(
    client_for: ClientFor, member: User, course: TreatmentCourse
) -> None:
    evaluate(course)
    response = send(client_for(member), "delete", f"{COURSES}/{course.pk}")
    assert response.status_code == 204
    assert not TreatmentCourse.objects.exists()
    assert not Evaluation.objects.exists()


# Evaluations -----------------------------------------------------------------------


def test_evaluating_a_course_then_replacing_that_days_evaluation(
    client_for: ClientFor, member: User, course: TreatmentCourse, nausea: Symptom
) -> None:
    client = client_for(member)
    path = f"{COURSES}/{course.pk}/evaluations"
    body = {
        "evaluated_on": ago(0),
        "effectiveness": 3,
        "burden": None,
        "cost_band": "medium",
        "side_effects": [{"symptom": nausea.pk, "severity": 2}],
        "note": CANARY_NOTE,
    }
    first = send(client, "post", path, body)
    assert first.status_code == 201, first.content
    assert first.json()["side_effects"] == [
        {"symptom": {"id": nausea.pk, "name": "Nausea"}, "severity": 2}
    ]
    assert (first.json()["adherence"], first.json()["burden"]) == (None, None)
    second = send(client, "post", path, {**body, "effectiveness": 1})
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert Evaluation.objects.get().effectiveness == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"effectiveness": 5}, 422, "effectiveness"),
        ({"adherence": "often"}, 422, "adherence"),
        ({"cost_band": "free"}, 422, "cost_band"),
        (
            {"side_effects": [{"symptom": 1, "severity": 0}]},
            422,
            "side_effects.0.severity",
        ),
        ({"note": "x" * 2001}, 422, "note"),
        ({"evaluated_on": "1999-12-31"}, 400, "evaluated_on"),
    ],
)
def test_a_wrong_evaluation_is_refused(
    client_for: ClientFor,
    member: User,
    course: TreatmentCourse,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    path = f"{COURSES}/{course.pk}/evaluations"
    response = send(client_for(member), "post", path, body)
    assert field in assert_error(response, status, "invalid")["fields"]
    assert not Evaluation.objects.exists()


def test_a_side_effect_named_twice_or_unknown_is_refused(
    client_for: ClientFor, member: User, course: TreatmentCourse, nausea: Symptom
) -> None:
    path = f"{COURSES}/{course.pk}/evaluations"
    client = client_for(member)
    twice = [
        {"symptom": nausea.pk, "severity": 1},
        {"symptom": nausea.pk, "severity": 2},
    ]
    response = send(client, "post", path, {"side_effects": twice})
    assert_error(response, 400, "invalid")
    unknown = [{"symptom": 987654, "severity": 1}]
    response = send(client, "post", path, {"side_effects": unknown})
    assert_error(response, 400, "invalid")
    assert not Evaluation.objects.exists()


def test_listing_and_deleting_evaluations(
    client_for: ClientFor, member: User, course: TreatmentCourse, nausea: Symptom
) -> None:
    older = evaluate(course, evaluated_on=day(10))
    newer = evaluate(course, side_effects={nausea.pk: 4})
    client = client_for(member)
    body = send(client, "get", f"{COURSES}/{course.pk}/evaluations").json()
    assert [item["id"] for item in body["items"]] == [newer.pk, older.pk]
    assert body["items"][0]["note"] == CANARY_NOTE
    response = send(client, "delete", f"/me/tracking/evaluations/{older.pk}")
    assert response.status_code == 204
    assert list(Evaluation.objects.values_list("pk", flat=True)) == [newer.pk]


# The charts ------------------------------------------------------------------------


def test_the_chart_series(
    client_for: ClientFor, member: User, course: TreatmentCourse
) -> None:
    fatigue = tf.make_symptom("Fatigue")
    tf.track(member, fatigue)
    tf.check_in(member, {fatigue: 3}, mood=1)
    response = send(client_for(member), "get", "/me/tracking/chart")
    assert response.status_code == 200
    body = response.json()
    assert body["months"] == 3
    assert body["end"] == ago(0)
    assert body["symptoms"] == [
        {
            "symptom": {"id": fatigue.pk, "name": "Fatigue"},
            "points": [{"day": ago(0), "value": 3, "words": "Severe"}],
        }
    ]
    assert body["mood"] == [{"day": ago(0), "value": 1, "words": "Low"}]
    assert body["courses"] == [
        {
            "course_id": course.pk,
            "treatment": "Canary Pacing Pill",
            "started_on": ago(30),
            "stopped_on": None,
        }
    ]


@pytest.mark.parametrize("months", ["5", "0", "abc", "6.0", ""])
def test_the_chart_period_is_3_6_or_12_months(
    client_for: ClientFor, member: User, months: str
) -> None:
    response = send(client_for(member), "get", f"/me/tracking/chart?months={months}")
    assert_error(response, 422, "invalid")


def test_a_year_of_chart(client_for: ClientFor, member: User) -> None:
    body = send(client_for(member), "get", "/me/tracking/chart?months=12").json()
    assert body["months"] == 12
    assert date.fromisoformat(body["start"]) < day(360)


# Who may --------------------------------------------------------------------------


def test_visitors_must_sign_in(visitor_client: Client, course: TreatmentCourse) -> None:
    for path in (COURSES, f"{COURSES}/{course.pk}", "/me/tracking/chart"):
        assert_error(send(visitor_client, "get", path), 401, "unauthenticated")


def test_an_outsider_gets_404_for_every_course_path(
    client_for: ClientFor, outsider: User, course: TreatmentCourse
) -> None:
    evaluation = evaluate(course)
    client = client_for(outsider)
    base = f"{COURSES}/{course.pk}"
    calls = [
        ("get", base, None),
        ("patch", base, {"dose": "1 mg"}),
        ("delete", base, None),
        ("post", f"{base}/stop", {"stopped_on": ago(0), "reason": "cost"}),
        ("get", f"{base}/evaluations", None),
        ("post", f"{base}/evaluations", {}),
        ("delete", f"/me/tracking/evaluations/{evaluation.pk}", None),
    ]
    for method, path, body in calls:
        assert_error(send(client, method, path, body), 404, "not_found")
    assert send(client, "get", COURSES).json()["count"] == 0
    assert TreatmentCourse.objects.filter(pk=course.pk, dose="10 mg").exists()
    assert Evaluation.objects.exists()


def test_a_carer_with_both_scopes_reads_and_records_audited(
    client_for: ClientFor, member: User, carer: User, course: TreatmentCourse
) -> None:
    client = client_for(carer)
    param = f"?delegation={delegation_of(carer, member)}"
    assert send(client, "get", f"{COURSES}{param}").json()["count"] == 1
    response = send(
        client, "post", f"{COURSES}/{course.pk}/evaluations{param}", {"burden": 2}
    )
    assert response.status_code == 201
    assert response.json()["recorded_by"] == "Cass Carer"
    chart = send(client, "get", f"/me/tracking/chart{param}").json()
    assert chart["courses"][0]["course_id"] == course.pk
    actions = set(
        AuditEvent.objects.filter(
            actor=carer, subject=member, action__startswith="tracking."
        ).values_list("action", flat=True)
    )
    assert actions == {
        "tracking.view_treatments",
        "tracking.evaluate_course",
        "tracking.view_chart",
    }


def test_without_the_delegation_a_carer_reaches_only_their_own(
    client_for: ClientFor, carer: User, course: TreatmentCourse
) -> None:
    client = client_for(carer)
    assert send(client, "get", COURSES).json()["count"] == 0
    assert_error(send(client, "get", f"{COURSES}/{course.pk}"), 404, "not_found")


def test_someone_elses_delegation_is_404(
    client_for: ClientFor, member: User, carer: User, outsider: User
) -> None:
    param = f"?delegation={delegation_of(carer, member)}"
    response = send(client_for(outsider), "get", f"{COURSES}{param}")
    assert_error(response, 404, "not_found")


def test_a_carer_who_may_only_read_cannot_record(
    client_for: ClientFor, member: User, medicine: Treatment, course: TreatmentCourse
) -> None:
    reader, delegation = carer_with(member, [Delegation.Scope.READ])
    client = client_for(reader)
    param = f"?delegation={delegation}"
    assert send(client, "get", f"{COURSES}/{course.pk}{param}").status_code == 200
    body = {"treatment": medicine.pk, "started_on": ago(0)}
    assert_error(send(client, "post", f"{COURSES}{param}", body), 403, "forbidden")
    stop = {"stopped_on": ago(0), "reason": "cost"}
    path = f"{COURSES}/{course.pk}/stop{param}"
    assert_error(send(client, "post", path, stop), 403, "forbidden")
    assert TreatmentCourse.objects.get().is_current


def test_a_carer_who_may_only_record_starts_courses_but_reads_nothing(
    client_for: ClientFor, member: User, course: TreatmentCourse
) -> None:
    recorder, delegation = carer_with(member, [Delegation.Scope.TRACK])
    client = client_for(recorder)
    param = f"?delegation={delegation}"
    other = tf.make_treatment("Canary Other Therapy")
    body = {"treatment": other.pk, "started_on": ago(0)}
    assert send(client, "post", f"{COURSES}{param}", body).status_code == 201
    for path in (COURSES, f"{COURSES}/{course.pk}", "/me/tracking/chart"):
        assert_error(send(client, "get", f"{path}{param}"), 403, "forbidden")
    patch = send(client, "patch", f"{COURSES}/{course.pk}{param}", {})
    assert_error(patch, 403, "forbidden")


def test_a_read_only_token_cannot_record(
    member: User, medicine: Treatment, course: TreatmentCourse
) -> None:
    _, raw = account_services.create_api_token(member, name="reader", scope="read")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert send(client, "get", COURSES).status_code == 200
    body = {"treatment": tf.make_treatment().pk, "started_on": ago(0)}
    assert_error(send(client, "post", COURSES, body), 403, "insufficient_scope")


# Queries --------------------------------------------------------------------------


def test_lists_run_a_bounded_number_of_queries(
    client_for: ClientFor, member: User, course: TreatmentCourse, nausea: Symptom
) -> None:
    client = client_for(member)
    days = iter(range(1, 30))

    def add(count: int) -> None:
        with ratelimit.suspended():
            _add(count)

    def _add(count: int) -> None:
        for _ in range(count):
            started = treatments.start_course(
                member, owner=member, treatment=tf.make_treatment(), started_on=day(40)
            )
            evaluate(started)
            evaluate(course, evaluated_on=day(next(days)), side_effects={nausea.pk: 1})

    def fetch() -> None:
        send(client, "get", f"{COURSES}?limit=100")
        send(client, "get", f"{COURSES}/{course.pk}/evaluations?limit=100")

    assert_bounded_queries(fetch, add, max_queries=16)


def test_the_api_paths_are_under_v1(client_for: ClientFor, member: User) -> None:
    assert client_for(member).get(f"{API}{COURSES}").status_code == 200
