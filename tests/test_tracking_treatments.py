"""Treatment courses and their evaluations, through the services and the
website: starting, changing, stopping with a reason, evaluating with side
effects, deleting; for a member, a carer acting for them (with and without
each scope) and everyone else."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.models import AuditEvent, Delegation, User
from kinwell.communities.models import Community
from kinwell.lib.ratelimit import RateLimited
from kinwell.tracking import treatments
from kinwell.tracking.models import (
    Evaluation,
    SideEffect,
    Symptom,
    Treatment,
    TreatmentCourse,
)
from tests import factories
from tests import tracking_factories as tf
from tests.helpers import assert_bounded_queries

ClientFor = Callable[[User], Client]

LIST = reverse("tracking:treatments")
CANARY_NOTE = "Canary evaluation note nobody else may read"
REASON = TreatmentCourse.StopReason


def today() -> date:
    return timezone.localdate()


def ago(days: int) -> date:
    return today() - timedelta(days=days)


def url(name: str, course: TreatmentCourse, *extra: int) -> str:
    return reverse(f"tracking:{name}", args=[course.pk, *extra])


@pytest.fixture
def medicine(db: None) -> Treatment:
    return tf.make_treatment("Canary Pacing Pill")


@pytest.fixture
def nausea(db: None) -> Symptom:
    return tf.make_symptom("Nausea")


@pytest.fixture
def dizziness(db: None) -> Symptom:
    return tf.make_symptom("Dizziness")


def start(
    owner: User, treatment: Treatment, *, days_ago: int = 30, actor: User | None = None
) -> TreatmentCourse:
    return treatments.start_course(
        actor or owner,
        owner=owner,
        treatment=treatment,
        started_on=ago(days_ago),
        dose="10 mg",
        frequency="twice a day",
    )


def evaluate(
    course: TreatmentCourse, *, actor: User | None = None, **fields: object
) -> Evaluation:
    values: dict[str, object] = {
        "effectiveness": 3,
        "adherence": 4,
        "burden": 1,
        "cost_band": "low",
        "side_effects": {},
        "note": "",
    }
    values.update(fields)
    return treatments.evaluate_course(
        actor or course.user,
        course=course,
        **values,  # type: ignore[arg-type]
    )


def acting_client(client_for: ClientFor, carer: User, member: User) -> Client:
    client = client_for(carer)
    delegation = Delegation.objects.get(carer=carer, member=member)
    response = client.post(reverse("accounts:start_acting", args=[delegation.pk]))
    assert response.status_code == 302
    return client


def carer_with(member: User, scopes: list[str]) -> User:
    carer = factories.make_user("Tam Scoped")
    factories.make_delegation(member, carer, scopes)
    return carer


# Starting, changing and stopping, through the services ---------------------------


def test_a_member_starts_a_course_of_a_generic_treatment(
    member: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    assert course.user == member
    assert course.recorded_by == member
    assert course.is_current
    assert (course.dose, course.frequency) == ("10 mg", "twice a day")


def test_a_treatment_of_their_own_community_may_be_used(
    member: User, community: Community
) -> None:
    own = tf.make_treatment("Canary Community Therapy", community=community)
    assert start(member, own).treatment == own


def test_another_communitys_treatment_is_refused(member: User, organiser: User) -> None:
    elsewhere = factories.make_community(organiser, name="Elsewhere")
    foreign = tf.make_treatment("Canary Foreign Pill", community=elsewhere)
    with pytest.raises(ValidationError) as refused:
        start(member, foreign)
    assert "treatment" in refused.value.message_dict
    assert not TreatmentCourse.objects.exists()


def test_a_course_cannot_start_in_the_future(member: User, medicine: Treatment) -> None:
    with pytest.raises(ValidationError, match="future"):
        start(member, medicine, days_ago=-1)


def test_a_second_current_course_of_one_treatment_is_refused(
    member: User, medicine: Treatment
) -> None:
    first = start(member, medicine)
    with pytest.raises(ValidationError, match="already have a current course"):
        start(member, medicine, days_ago=3)
    treatments.stop_course(member, course=first, stopped_on=ago(5), reason=REASON.COST)
    assert start(member, medicine, days_ago=3).is_current


def test_stopping_needs_a_reason_and_a_date_not_before_the_start(
    member: User, medicine: Treatment
) -> None:
    course = start(member, medicine, days_ago=10)
    with pytest.raises(ValidationError, match="why"):
        treatments.stop_course(member, course=course, stopped_on=today(), reason="")
    with pytest.raises(ValidationError, match="before the day it started"):
        treatments.stop_course(
            member, course=course, stopped_on=ago(11), reason=REASON.BETTER
        )
    treatments.stop_course(
        member, course=course, stopped_on=ago(10), reason=REASON.SIDE_EFFECTS
    )
    course.refresh_from_db()
    assert (course.stopped_on, course.stop_reason) == (ago(10), "side_effects")


def test_clearing_the_stop_date_takes_the_course_up_again(
    member: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    treatments.stop_course(member, course=course, stopped_on=ago(1), reason="other")
    treatments.update_course(
        member,
        course=course,
        started_on=ago(20),
        dose="20 mg",
        frequency="",
        stopped_on=None,
    )
    course.refresh_from_db()
    assert course.is_current
    assert (course.started_on, course.dose, course.stop_reason) == (
        ago(20),
        "20 mg",
        "",
    )


def test_a_course_cannot_start_after_its_first_evaluation(
    member: User, medicine: Treatment
) -> None:
    course = start(member, medicine, days_ago=30)
    evaluate(course, evaluated_on=ago(20))
    with pytest.raises(ValidationError, match="must start on that day or before"):
        treatments.update_course(
            member, course=course, started_on=ago(10), dose="", frequency=""
        )


def test_dose_and_frequency_are_limited(member: User, medicine: Treatment) -> None:
    with pytest.raises(ValidationError, match="60 characters"):
        treatments.start_course(
            member, owner=member, treatment=medicine, started_on=today(), dose="x" * 61
        )


# Evaluations, through the services --------------------------------------------------


def test_an_evaluation_records_side_effects_for_the_insights(
    member: User, medicine: Treatment, nausea: Symptom, dizziness: Symptom
) -> None:
    course = start(member, medicine)
    evaluation = evaluate(
        course, side_effects={nausea.pk: 2, dizziness.pk: 4}, note=CANARY_NOTE
    )
    assert (evaluation.user, evaluation.treatment) == (member, medicine)
    assert evaluation.evaluated_on == today()
    effects = SideEffect.objects.filter(evaluation=evaluation).order_by("symptom__name")
    assert [(e.symptom, e.severity, e.user, e.treatment) for e in effects] == [
        (dizziness, 4, member, medicine),
        (nausea, 2, member, medicine),
    ]


def test_unanswered_scales_mean_too_soon_to_tell(
    member: User, medicine: Treatment
) -> None:
    evaluation = evaluate(
        start(member, medicine), effectiveness=None, adherence=None, burden=None
    )
    assert evaluation.effectiveness is None
    assert evaluation.adherence is None
    assert evaluation.burden is None


def test_evaluating_again_the_same_day_replaces_that_days_evaluation(
    member: User, medicine: Treatment, nausea: Symptom, dizziness: Symptom
) -> None:
    course = start(member, medicine)
    evaluate(course, side_effects={nausea.pk: 2})
    evaluate(course, effectiveness=1, side_effects={dizziness.pk: 1})
    evaluation = Evaluation.objects.get()
    assert evaluation.effectiveness == 1
    assert list(SideEffect.objects.values_list("symptom_id", flat=True)) == [
        dizziness.pk
    ]
    evaluate(course, evaluated_on=ago(2))
    assert Evaluation.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"effectiveness": 5}, "effectiveness"),
        ({"adherence": -1}, "adherence"),
        ({"burden": True}, "burden"),
        ({"cost_band": "priceless"}, "cost_band"),
        ({"evaluated_on": date(2000, 1, 1)}, "evaluated_on"),
    ],
)
def test_an_evaluation_with_a_wrong_answer_is_refused_whole(
    member: User, medicine: Treatment, fields: dict[str, Any], field: str
) -> None:
    course = start(member, medicine)
    with pytest.raises(ValidationError) as refused:
        evaluate(course, **fields)
    assert field in refused.value.message_dict
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize("severity", [0, 5])
def test_side_effects_are_rated_mild_to_very_severe(
    member: User, medicine: Treatment, nausea: Symptom, severity: int
) -> None:
    with pytest.raises(ValidationError, match="from mild"):
        evaluate(start(member, medicine), side_effects={nausea.pk: severity})
    assert not Evaluation.objects.exists()


def test_a_side_effect_must_be_a_symptom_the_member_may_see(
    member: User, organiser: User, medicine: Treatment
) -> None:
    elsewhere = factories.make_community(organiser, name="Elsewhere")
    foreign = tf.make_symptom("Canary foreign symptom", community=elsewhere)
    with pytest.raises(ValidationError, match="list of symptoms"):
        evaluate(start(member, medicine), side_effects={foreign.pk: 2})
    assert not SideEffect.objects.exists()


def test_deleting_a_course_deletes_its_evaluations(
    member: User, medicine: Treatment, nausea: Symptom
) -> None:
    course = start(member, medicine)
    evaluate(course, side_effects={nausea.pk: 3})
    treatments.delete_course(member, course=course)
    assert not TreatmentCourse.objects.exists()
    assert not Evaluation.objects.exists()
    assert not SideEffect.objects.exists()


def test_deleting_an_evaluation(member: User, medicine: Treatment) -> None:
    course = start(member, medicine)
    evaluation = evaluate(course)
    treatments.delete_evaluation(member, evaluation=evaluation)
    assert not Evaluation.objects.exists()
    assert TreatmentCourse.objects.filter(pk=course.pk).exists()


# Who may write, audit, insights and limits ------------------------------------------


def test_every_write_tells_the_insights(
    monkeypatch: pytest.MonkeyPatch, member: User, medicine: Treatment
) -> None:
    told: list[int] = []
    monkeypatch.setattr(treatments, "note_change", told.append)
    course = start(member, medicine)
    treatments.update_course(
        member, course=course, started_on=ago(40), dose="", frequency=""
    )
    treatments.stop_course(member, course=course, stopped_on=today(), reason="cost")
    evaluation = evaluate(course)
    treatments.delete_evaluation(member, evaluation=evaluation)
    treatments.delete_course(member, course=course)
    assert told == [member.pk] * 6


def test_a_carers_writes_are_shown_to_the_member_and_their_own_are_not(
    member: User, carer: User, medicine: Treatment
) -> None:
    own = start(member, medicine)
    treatments.stop_course(member, course=own, stopped_on=today(), reason="cost")
    assert not AuditEvent.objects.filter(action__startswith="tracking.").exists()
    course = start(member, medicine, actor=carer)
    assert course.recorded_by == carer
    evaluate(course, actor=carer)
    actions = set(
        AuditEvent.objects.filter(
            subject=member, actor=carer, action__startswith="tracking."
        ).values_list("action", flat=True)
    )
    assert actions == {"tracking.start_course", "tracking.evaluate_course"}


def test_the_services_refuse_anyone_who_may_not_record(
    member: User, outsider: User, medicine: Treatment
) -> None:
    reader = carer_with(member, [Delegation.Scope.READ])
    course = start(member, medicine)
    for stranger in (outsider, reader):
        with pytest.raises(PermissionDenied):
            start(member, medicine, actor=stranger)
        with pytest.raises(PermissionDenied):
            treatments.delete_course(stranger, course=course)
        with pytest.raises(PermissionDenied):
            evaluate(course, actor=stranger)


def test_writes_are_rate_limited(
    monkeypatch: pytest.MonkeyPatch, member: User, medicine: Treatment
) -> None:
    monkeypatch.setattr(treatments, "TREATMENT_WRITES_PER_TEN_MINUTES", 2)
    course = start(member, medicine)
    evaluate(course)
    with pytest.raises(RateLimited):
        evaluate(course)


# The list page ------------------------------------------------------------------------


def test_the_list_shows_current_and_past_courses(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    old = tf.make_treatment("Canary Old Therapy", kind=Treatment.Kind.THERAPY)
    past = start(member, old, days_ago=90)
    treatments.stop_course(
        member, course=past, stopped_on=ago(60), reason=REASON.NOT_WORKING
    )
    start(member, medicine)
    page = client_for(member).get(LIST).content.decode()
    current_part, past_part = page.split('id="past-heading"')
    assert "Canary Pacing Pill" in current_part
    assert "Canary Old Therapy" in past_part
    assert "It did not help" in past_part
    assert "10 mg" in current_part


def test_starting_a_course_from_the_list(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    response = client_for(member).post(
        LIST,
        {"treatment": medicine.pk, "started_on": ago(3).isoformat(), "dose": "5 mg"},
    )
    course = TreatmentCourse.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("course", course)
    assert (course.started_on, course.dose, course.frequency) == (ago(3), "5 mg", "")


def test_the_list_offers_only_treatments_the_member_may_use(
    client_for: ClientFor, member: User, organiser: User, medicine: Treatment
) -> None:
    elsewhere = factories.make_community(organiser, name="Elsewhere")
    foreign = tf.make_treatment("Canary Foreign Device", community=elsewhere)
    client = client_for(member)
    page = client.get(LIST).content.decode()
    assert "Canary Pacing Pill" in page
    assert "Canary Foreign Device" not in page
    assert "<optgroup" in page
    response = client.post(
        LIST, {"treatment": foreign.pk, "started_on": today().isoformat()}
    )
    assert response.status_code == 200
    assert "Choose a treatment from the list." in response.content.decode()
    assert not TreatmentCourse.objects.exists()


def test_a_refused_start_shows_the_reason_on_the_form(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    start(member, medicine)
    response = client_for(member).post(
        LIST, {"treatment": medicine.pk, "started_on": today().isoformat()}
    )
    assert response.status_code == 200
    assert "already have a current course" in response.content.decode()
    assert TreatmentCourse.objects.count() == 1


def test_the_list_runs_a_bounded_number_of_queries(
    client_for: ClientFor, member: User
) -> None:
    client = client_for(member)

    def add(count: int) -> None:
        for _ in range(count):
            course = start(member, tf.make_treatment())
            evaluate(course)

    assert_bounded_queries(lambda: client.get(LIST), add, max_queries=14)


# A course's pages ---------------------------------------------------------------------


def test_the_course_page_shows_its_evaluations(
    client_for: ClientFor, member: User, medicine: Treatment, nausea: Symptom
) -> None:
    course = start(member, medicine)
    evaluate(course, side_effects={nausea.pk: 3}, note=CANARY_NOTE, effectiveness=None)
    page = client_for(member).get(url("course", course)).content.decode()
    assert "Nausea: severe" in page
    assert CANARY_NOTE in page
    assert "Too soon to tell" in page
    assert "Always as prescribed" in page


def test_the_course_page_runs_a_bounded_number_of_queries(
    client_for: ClientFor, member: User, medicine: Treatment, nausea: Symptom
) -> None:
    course = start(member, medicine, days_ago=200)
    client = client_for(member)
    days = iter(range(1, 200))

    def add(count: int) -> None:
        for _ in range(count):
            evaluate(course, evaluated_on=ago(next(days)), side_effects={nausea.pk: 1})

    assert_bounded_queries(
        lambda: client.get(url("course", course)), add, max_queries=12
    )


def test_changing_a_course(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    client = client_for(member)
    assert client.get(url("edit_course", course)).status_code == 200
    response = client.post(
        url("edit_course", course),
        {"started_on": ago(40).isoformat(), "dose": "15 mg", "frequency": "daily"},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.started_on, course.dose, course.frequency) == (
        ago(40),
        "15 mg",
        "daily",
    )


def test_a_stop_date_on_the_edit_form_needs_a_reason(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    response = client_for(member).post(
        url("edit_course", course),
        {"started_on": ago(30).isoformat(), "stopped_on": today().isoformat()},
    )
    assert response.status_code == 200
    assert "Choose why the course stopped." in response.content.decode()
    course.refresh_from_db()
    assert course.is_current


def test_stopping_a_course_from_its_page(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    client = client_for(member)
    page = client.get(url("stop_course", course)).content.decode()
    assert "<legend>Why it stopped</legend>" in page
    response = client.post(
        url("stop_course", course),
        {"stopped_on": ago(1).isoformat(), "stop_reason": "side_effects"},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.stopped_on, course.stop_reason) == (ago(1), "side_effects")


def test_a_stop_before_the_start_is_explained(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    course = start(member, medicine, days_ago=5)
    response = client_for(member).post(
        url("stop_course", course),
        {"stopped_on": ago(6).isoformat(), "stop_reason": "other"},
    )
    assert response.status_code == 200
    assert "cannot stop before the day it started" in response.content.decode()


def test_the_evaluation_form_groups_each_scale_with_a_legend(
    client_for: ClientFor, member: User, medicine: Treatment, nausea: Symptom
) -> None:
    tf.track(member, nausea)
    course = start(member, medicine)
    page = client_for(member).get(url("evaluate_course", course)).content.decode()
    for legend in (
        "How well is it working for you?",
        "How often do you take it as prescribed or planned?",
        "How much of a burden is it (time, effort, hassle)?",
        "What does it cost you?",
        "Side effects",
    ):
        assert f"<legend>{legend}</legend>" in page
    assert "Too soon to tell" in page
    assert f'<label for="id_side_effect_{nausea.pk}">Nausea</label>' in page
    assert "<script" not in page.split("<main")[1]


def test_evaluating_through_the_form(
    client_for: ClientFor, member: User, medicine: Treatment, nausea: Symptom
) -> None:
    course = start(member, medicine)
    response = client_for(member).post(
        url("evaluate_course", course),
        {
            "evaluated_on": today().isoformat(),
            "effectiveness": "2",
            "adherence": "",
            "burden": "3",
            "cost_band": "high",
            f"side_effect_{nausea.pk}": "2",
            "note": CANARY_NOTE,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("course", course)
    evaluation = Evaluation.objects.get()
    assert (evaluation.effectiveness, evaluation.adherence, evaluation.burden) == (
        2,
        None,
        3,
    )
    assert evaluation.cost_band == "high"
    assert [(e.symptom_id, e.severity) for e in evaluation.side_effects.all()] == [
        (nausea.pk, 2)
    ]


def test_the_next_evaluation_starts_from_the_last(
    client_for: ClientFor, member: User, medicine: Treatment, nausea: Symptom
) -> None:
    course = start(member, medicine)
    evaluate(course, evaluated_on=ago(7), side_effects={nausea.pk: 3})
    response = client_for(member).get(url("evaluate_course", course))
    form = response.context["form"]
    assert form[f"side_effect_{nausea.pk}"].value() == "3"
    assert form["effectiveness"].value() == "3"
    assert form["note"].value() is None


def test_deleting_a_course_asks_first(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    evaluate(course)
    client = client_for(member)
    page = client.get(url("delete_course", course)).content.decode()
    assert "its 1 evaluation," in page
    assert TreatmentCourse.objects.exists()
    response = client.post(url("delete_course", course))
    assert response["Location"] == LIST
    assert not TreatmentCourse.objects.exists()


def test_deleting_an_evaluation_from_the_course_page(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    evaluation = evaluate(course)
    client = client_for(member)
    delete = url("delete_evaluation", course, evaluation.pk)
    assert delete in client.get(url("course", course)).content.decode()
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert not Evaluation.objects.exists()


# Who may see and do what --------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(
    visitor_client: Client, member: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    for path in (LIST, url("course", course), url("evaluate_course", course)):
        response = visitor_client.get(path)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_an_outsider_gets_404_for_every_course_page(
    client_for: ClientFor, member: User, outsider: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    evaluation = evaluate(course, note=CANARY_NOTE)
    client = client_for(outsider)
    for name in ("course", "edit_course", "stop_course", "evaluate_course"):
        assert client.get(url(name, course)).status_code == 404
        assert client.post(url(name, course), {}).status_code == 404
    assert client.post(url("delete_course", course)).status_code == 404
    delete = url("delete_evaluation", course, evaluation.pk)
    assert client.post(delete).status_code == 404
    assert url("course", course) not in client.get(LIST).content.decode()
    assert TreatmentCourse.objects.count() == Evaluation.objects.count() == 1


def test_an_evaluation_of_another_course_is_404(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    other = start(member, tf.make_treatment("Canary Other"))
    evaluation = evaluate(other)
    response = client_for(member).post(url("delete_evaluation", course, evaluation.pk))
    assert response.status_code == 404
    assert Evaluation.objects.exists()


def test_a_carer_with_both_scopes_reads_and_records_audited(
    client_for: ClientFor, member: User, carer: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    client = acting_client(client_for, carer, member)
    page = client.get(LIST).content.decode()
    assert "Canary Pacing Pill" in page
    assert "Mo Member's treatments" in page.replace("&#x27;", "'")
    assert client.get(url("course", course)).status_code == 200
    response = client.post(
        url("stop_course", course),
        {"stopped_on": today().isoformat(), "stop_reason": "finished"},
    )
    assert response.status_code == 302
    actions = set(
        AuditEvent.objects.filter(
            subject=member, actor=carer, action__startswith="tracking."
        ).values_list("action", flat=True)
    )
    assert actions == {
        "tracking.view_treatments",
        "tracking.view_course",
        "tracking.stop_course",
    }


def test_a_carer_who_may_only_read_cannot_record(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    reader = carer_with(member, [Delegation.Scope.READ])
    course = start(member, medicine)
    client = acting_client(client_for, reader, member)
    page = client.get(LIST).content.decode()
    assert "Canary Pacing Pill" in page
    assert "Add the treatment" not in page
    assert (
        "Say how it is going" not in client.get(url("course", course)).content.decode()
    )
    assert client.post(LIST, {"treatment": medicine.pk}).status_code == 403
    for name in ("edit_course", "stop_course", "evaluate_course", "delete_course"):
        assert client.post(url(name, course), {}).status_code == 403
    assert TreatmentCourse.objects.filter(pk=course.pk, stopped_on=None).exists()


def test_a_carer_who_may_only_record_adds_a_course_without_seeing_the_list(
    client_for: ClientFor, member: User, medicine: Treatment
) -> None:
    recorder = carer_with(member, [Delegation.Scope.TRACK])
    existing = start(member, tf.make_treatment("Canary Private Therapy"))
    client = acting_client(client_for, recorder, member)
    page = client.get(LIST).content.decode()
    assert url("course", existing) not in page
    assert "Current treatments" not in page
    assert "Add the treatment" in page
    response = client.post(
        LIST, {"treatment": medicine.pk, "started_on": today().isoformat()}
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert TreatmentCourse.objects.filter(treatment=medicine, user=member).exists()
    assert client.get(url("course", existing)).status_code == 403
    assert client.get(url("evaluate_course", existing)).status_code == 403


def test_a_carer_not_acting_sees_only_their_own_courses(
    client_for: ClientFor, member: User, carer: User, medicine: Treatment
) -> None:
    course = start(member, medicine)
    client = client_for(carer)
    assert url("course", course) not in client.get(LIST).content.decode()
    assert client.get(url("course", course)).status_code == 404


def test_what_a_carer_recorded_shows_their_name(
    client_for: ClientFor, member: User, carer: User, medicine: Treatment
) -> None:
    course = start(member, medicine, actor=carer)
    evaluate(course, actor=carer)
    page = client_for(member).get(url("course", course)).content.decode()
    assert "Added by Cass Carer." in page
    assert "Recorded by Cass Carer." in page
