"""Treatment courses and a member's evaluations of them: start, change, stop
with a reason, delete; evaluate (effectiveness, side effects with their
severity, adherence, burden, cost) and delete an evaluation. Shared by the web
views, the API, the CSV import and the demo data.

A course belongs to its member. The member, or a carer acting for them with
"track for me", writes it; a carer's writes go on the member's "Access to my
data". Every change tells the community insights that this member's figures
are out of date; the background job recomputes them."""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min, Prefetch, QuerySet
from django.utils import timezone

from kinwell.accounts.access import can_act_for
from kinwell.accounts.models import User
from kinwell.lib import ratelimit
from kinwell.tracking.access import TRACK, record_carer_access
from kinwell.tracking.checkins import visible_catalogue
from kinwell.tracking.insights.refresh import note_change
from kinwell.tracking.models import (
    Evaluation,
    SideEffect,
    Symptom,
    Treatment,
    TreatmentCourse,
)
from kinwell.tracking.models.records import Severity

TREATMENT_WRITES_PER_TEN_MINUTES = 60
MAX_SIDE_EFFECTS = 40
EARLIEST_DAY = date(1900, 1, 1)
SCALE = range(0, 5)
SIDE_EFFECT_SEVERITIES = range(Severity.MILD, Severity.VERY_SEVERE + 1)


# Reading --------------------------------------------------------------------------


def courses_of(owner: User) -> QuerySet[TreatmentCourse]:
    """The member's courses with their treatments and, as
    `last_evaluated_on`, the day of their latest evaluation: the most
    recently started first."""
    return (
        TreatmentCourse.objects.filter(user=owner)
        .select_related("treatment")
        .annotate(last_evaluated_on=Max("evaluations__evaluated_on"))
        .order_by("-started_on", "-pk")
    )


def evaluations_of(course: TreatmentCourse) -> QuerySet[Evaluation]:
    """A course's evaluations, newest first, with who recorded them, their
    side effects and the symptoms named (two queries for any number)."""
    effects = SideEffect.objects.select_related("symptom").order_by(
        "-severity", "symptom__name"
    )
    return (
        Evaluation.objects.filter(course=course)
        .select_related("recorded_by")
        .prefetch_related(Prefetch("side_effects", queryset=effects))
        .order_by("-evaluated_on", "-pk")
    )


# Courses --------------------------------------------------------------------------


def start_course(
    actor: User,
    *,
    owner: User,
    treatment: Treatment,
    started_on: date,
    dose: str = "",
    frequency: str = "",
) -> TreatmentCourse:
    """A new current course of `treatment`, one the member may see in the
    catalogue. A treatment has at most one current course: a second one
    waits until the first is stopped."""
    _require_tracker(actor, owner)
    _limit(actor)
    if not visible_catalogue(owner, Treatment).filter(pk=treatment.pk).exists():
        raise ValidationError({"treatment": "Choose a treatment from the list."})
    started_on = _clean_day(started_on, "started_on", "The start date")
    with transaction.atomic():
        if _current_course_exists(owner, treatment):
            raise ValidationError(
                {
                    "treatment": f"You already have a current course of "
                    f"{treatment.name}. Change it, or stop it first."
                }
            )
        course = TreatmentCourse.objects.create(
            user=owner,
            treatment=treatment,
            started_on=started_on,
            dose=_clean_text(dose, "dose"),
            frequency=_clean_text(frequency, "frequency"),
            recorded_by=actor,
        )
        _changed(actor, owner, "tracking.start_course", course)
    return course


@transaction.atomic
def update_course(
    actor: User,
    *,
    course: TreatmentCourse,
    started_on: date,
    dose: str,
    frequency: str,
    stopped_on: date | None = None,
    stop_reason: str = "",
) -> TreatmentCourse:
    """Sets everything about a course but its treatment. With no stop date
    the course is current (a course stopped by mistake is taken up again);
    with one, it needs a reason."""
    owner = course.user
    _require_tracker(actor, owner)
    _limit(actor)
    course = _locked(course)
    course.started_on = _clean_day(started_on, "started_on", "The start date")
    _require_before_evaluations(course)
    course.dose = _clean_text(dose, "dose")
    course.frequency = _clean_text(frequency, "frequency")
    if stopped_on is None:
        _take_up_again(course, stop_reason)
    else:
        _set_stop(course, stopped_on, stop_reason)
    fields = ["started_on", "dose", "frequency", "stopped_on", "stop_reason"]
    course.save(update_fields=fields)
    _changed(actor, owner, "tracking.change_course", course)
    return course


@transaction.atomic
def stop_course(
    actor: User, *, course: TreatmentCourse, stopped_on: date, reason: str
) -> TreatmentCourse:
    """Ends a course on `stopped_on` (not before it started) for `reason`, one
    of TreatmentCourse.StopReason. Stopping a stopped course corrects its
    end date and reason."""
    owner = course.user
    _require_tracker(actor, owner)
    _limit(actor)
    course = _locked(course)
    _set_stop(course, stopped_on, reason)
    course.save(update_fields=["stopped_on", "stop_reason"])
    _changed(actor, owner, "tracking.stop_course", course)
    return course


@transaction.atomic
def delete_course(actor: User, *, course: TreatmentCourse) -> None:
    """Deletes a course and its evaluations, for good."""
    owner = course.user
    _require_tracker(actor, owner)
    _limit(actor)
    _changed(actor, owner, "tracking.delete_course", course)
    course.delete()


def _set_stop(course: TreatmentCourse, stopped_on: date, reason: str) -> None:
    stopped_on = _clean_day(stopped_on, "stopped_on", "The stop date")
    if stopped_on < course.started_on:
        raise ValidationError(
            {"stopped_on": "A course cannot stop before the day it started."}
        )
    if reason not in TreatmentCourse.StopReason.values:
        raise ValidationError({"stop_reason": "Choose why the course stopped."})
    course.stopped_on, course.stop_reason = stopped_on, reason


def _take_up_again(course: TreatmentCourse, stop_reason: str) -> None:
    """A course without a stop date is current: it has no reason to stop,
    and no other course of its treatment may be current."""
    if stop_reason:
        raise ValidationError(
            {"stopped_on": "Give the date it stopped, as well as why."}
        )
    if _current_course_exists(course.user, course.treatment, besides=course):
        raise ValidationError(
            {"stopped_on": "Another course of this treatment is current."}
        )
    course.stopped_on, course.stop_reason = None, ""


def _current_course_exists(
    owner: User, treatment: Treatment, *, besides: TreatmentCourse | None = None
) -> bool:
    current = TreatmentCourse.objects.filter(
        user=owner, treatment=treatment, stopped_on__isnull=True
    )
    if besides is not None:
        current = current.exclude(pk=besides.pk)
    return current.exists()


def _require_before_evaluations(course: TreatmentCourse) -> None:
    first = course.evaluations.aggregate(first=Min("evaluated_on"))["first"]
    if first is not None and course.started_on > first:
        raise ValidationError(
            {
                "started_on": "This course has an evaluation from "
                f"{_day(first)}: it must start on that day or before."
            }
        )


def _locked(course: TreatmentCourse) -> TreatmentCourse:
    found = TreatmentCourse.objects.select_for_update().filter(pk=course.pk).first()
    if found is None:
        raise ValidationError("This course has been deleted.")
    found.user = course.user
    return found


# Evaluations ----------------------------------------------------------------------


def evaluate_course(
    actor: User,
    *,
    course: TreatmentCourse,
    effectiveness: int | None,
    adherence: int | None,
    burden: int | None,
    cost_band: str,
    side_effects: dict[int, int],
    note: str,
    evaluated_on: date | None = None,
) -> Evaluation:
    """How the course is going, on `evaluated_on` (today if not given). Each
    scale is 0-4, or None for "too soon to tell"; `side_effects` maps a
    symptom's id (from the member's visible catalogue) to its severity, 1-4.
    Evaluating again on the same day replaces that day's evaluation."""
    owner = course.user
    _require_tracker(actor, owner)
    _limit(actor)
    fields = {
        "effectiveness": _clean_scale(effectiveness, "effectiveness"),
        "adherence": _clean_scale(adherence, "adherence"),
        "burden": _clean_scale(burden, "burden"),
        "cost_band": _clean_cost_band(cost_band),
        "note": _clean_note(note),
    }
    day = _clean_evaluation_day(course, evaluated_on)
    effects = _clean_side_effects(owner, side_effects)
    with transaction.atomic():
        evaluation = _save_evaluation(actor, _locked(course), day, fields)
        _set_side_effects(evaluation, effects)
        _changed(actor, owner, "tracking.evaluate_course", evaluation)
    return evaluation


def _save_evaluation(
    actor: User, course: TreatmentCourse, day: date, fields: dict[str, Any]
) -> Evaluation:
    """The course's evaluation of `day`, made or replaced."""
    evaluation, _ = Evaluation.objects.update_or_create(
        course=course,
        evaluated_on=day,
        defaults={**fields, "recorded_by": actor},
        create_defaults={
            **fields,
            "user": course.user,
            "treatment_id": course.treatment_id,
            "recorded_by": actor,
        },
    )
    return evaluation


@transaction.atomic
def delete_evaluation(actor: User, *, evaluation: Evaluation) -> None:
    owner = evaluation.user
    _require_tracker(actor, owner)
    _limit(actor)
    _changed(actor, owner, "tracking.delete_evaluation", evaluation)
    evaluation.delete()


def _clean_evaluation_day(course: TreatmentCourse, day: date | None) -> date:
    day = _clean_day(day or timezone.localdate(), "evaluated_on", "The date")
    if day < course.started_on:
        raise ValidationError(
            {"evaluated_on": "An evaluation cannot come before the course started."}
        )
    return day


def _clean_side_effects(owner: User, side_effects: dict[int, int]) -> dict[int, int]:
    if len(side_effects) > MAX_SIDE_EFFECTS:
        raise ValidationError(
            {"side_effects": f"Choose at most {MAX_SIDE_EFFECTS} side effects."}
        )
    if any(
        severity not in SIDE_EFFECT_SEVERITIES for severity in side_effects.values()
    ):
        raise ValidationError(
            {"side_effects": "Rate each side effect from mild (1) to very severe (4)."}
        )
    ids = set(side_effects)
    known = visible_catalogue(owner, Symptom).filter(pk__in=ids).count()
    if known != len(ids):
        raise ValidationError(
            {"side_effects": "Choose side effects from the list of symptoms."}
        )
    return dict(side_effects)


def _set_side_effects(evaluation: Evaluation, effects: dict[int, int]) -> None:
    evaluation.side_effects.all().delete()
    SideEffect.objects.bulk_create(
        SideEffect(
            evaluation=evaluation,
            user_id=evaluation.user_id,
            treatment_id=evaluation.treatment_id,
            symptom_id=symptom_id,
            severity=severity,
        )
        for symptom_id, severity in sorted(effects.items())
    )


def _clean_scale(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        raise ValidationError({field: "Choose one of the answers offered."})
    return value


def _clean_cost_band(value: str) -> str:
    if value and value not in Evaluation.CostBand.values:
        raise ValidationError({"cost_band": "Choose one of the cost bands offered."})
    return value


# Shared checks --------------------------------------------------------------------


def _require_tracker(actor: User, owner: User) -> None:
    """The member themselves, or their carer with "track for me"; views and
    the API check this first, through kinwell.tracking.access."""
    if actor.pk != owner.pk and not can_act_for(actor, owner, TRACK):
        raise PermissionDenied("You may not record for this member.")


def _limit(actor: User) -> None:
    ratelimit.check(
        "tracking-treatments",
        actor.pk,
        limit=TREATMENT_WRITES_PER_TEN_MINUTES,
        period=600,
    )


def _changed(actor: User, owner: User, action: str, obj: Any) -> None:
    record_carer_access(actor, owner, action, obj)
    note_change(owner.pk)


def _clean_day(value: Any, field: str, what: str) -> date:
    if not isinstance(value, date):
        raise ValidationError({field: f"{what} is not a date."})
    if value > timezone.localdate():
        raise ValidationError({field: f"{what} cannot be in the future."})
    if value < EARLIEST_DAY:
        raise ValidationError({field: f"{what} is too long ago."})
    return value


def _clean_text(value: str, field: str) -> str:
    value = " ".join(str(value).replace("\x00", "").split())
    limit = getattr(TreatmentCourse._meta.get_field(field), "max_length", 0)
    if len(value) > limit:
        raise ValidationError({field: f"Keep it to {limit} characters."})
    return value


def _clean_note(value: str) -> str:
    # PostgreSQL cannot store NUL in text.
    value = str(value).replace("\x00", "").strip()
    if len(value) > 2000:
        raise ValidationError({"note": "Keep the note to 2000 characters."})
    return value


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"
