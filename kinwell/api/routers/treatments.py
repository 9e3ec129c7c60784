"""A member's treatment courses, their evaluations and the personal charts.
Each operation makes the same access and service calls as the website
(kinwell.tracking.views.treatments).

Every path takes `?delegation=<id>`: a carer acting for a member under that
delegation. Reading needs its "read my private data" scope; starting a
course needs "track for me"; changing, stopping, evaluating or deleting a
course shows it too, so it needs both."""

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from kinwell.accounts.models import User
from kinwell.api.auth import current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.schemas.fields import MAX_ID, DelegationId
from kinwell.api.schemas.treatments import (
    ChartOut,
    CourseIn,
    CourseOut,
    CoursePatch,
    EvaluationIn,
    EvaluationOut,
    Months,
    StopIn,
)
from kinwell.tracking import access, charts, treatments
from kinwell.tracking.forms.treatments import course_initial
from kinwell.tracking.models import Evaluation, Treatment, TreatmentCourse

router = Router(tags=["tracking"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
ChartMonths = Annotated[
    Months,
    Query(charts.DEFAULT_MONTHS, description="3, 6 or 12: the months up to today."),
]
CurrentFilter = Annotated[
    bool | None,
    Query(description="true: current courses only; false: past ones only."),
]

READ = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)


def _acting(request: HttpRequest, delegation: int | None) -> tuple[User, Any]:
    user = current_user(request)
    return user, access.delegation_for_api(user, delegation)


def _course(
    request: HttpRequest, course_id: int, delegation: int | None, *, scope: str
) -> tuple[User, TreatmentCourse]:
    user, acting_for = _acting(request, delegation)
    course = access.get_course_for_user(user, acting_for, course_id, scope=scope)
    return user, course


def _saved(course: TreatmentCourse) -> TreatmentCourse:
    return TreatmentCourse.objects.select_related("treatment", "recorded_by").get(
        pk=course.pk
    )


def _saved_evaluation(evaluation: Evaluation) -> Evaluation:
    return treatments.evaluations_of(evaluation.course).get(pk=evaluation.pk)


# Courses ---------------------------------------------------------------------------


@router.get(
    "/me/tracking/courses",
    response={200: list[CourseOut], **READ},
    summary="Treatment courses, the most recently started first",
)
@paginate(Pagination)
def list_courses(
    request: HttpRequest,
    current: CurrentFilter = None,
    delegation: DelegationId = None,
) -> QuerySet[TreatmentCourse]:
    user, acting_for = _acting(request, delegation)
    owner = access.reading_owner(user, acting_for, page="treatments")
    courses = treatments.courses_of(owner).select_related("recorded_by")
    if current is not None:
        courses = courses.filter(stopped_on__isnull=current)
    return courses


@router.post(
    "/me/tracking/courses",
    response={201: CourseOut, **WRITE},
    summary="Start a treatment course",
)
def start_course(
    request: HttpRequest, payload: CourseIn, delegation: DelegationId = None
) -> Status[TreatmentCourse]:
    user, acting_for = _acting(request, delegation)
    owner = access.records_owner(user, acting_for, scope=access.TRACK)
    treatment = Treatment.objects.filter(pk=payload.treatment).first()
    if treatment is None:
        raise ValidationError({"treatment": "There is no treatment with this id."})
    course = treatments.start_course(
        user,
        owner=owner,
        treatment=treatment,
        **payload.model_dump(exclude={"treatment"}),
    )
    return Status(201, _saved(course))


@router.get(
    "/me/tracking/courses/{course_id}",
    response={200: CourseOut, **READ},
    summary="A treatment course",
)
def get_course(
    request: HttpRequest, course_id: ObjectId, delegation: DelegationId = None
) -> TreatmentCourse:
    user, course = _course(request, course_id, delegation, scope=access.READ)
    access.record_carer_access(user, course.user, "tracking.view_course", course)
    return _saved(course)


@router.patch(
    "/me/tracking/courses/{course_id}",
    response={200: CourseOut, **WRITE},
    summary="Change a course: dates, dose, how often, why it stopped",
)
def update_course(
    request: HttpRequest,
    course_id: ObjectId,
    payload: CoursePatch,
    delegation: DelegationId = None,
) -> TreatmentCourse:
    user, course = _course(request, course_id, delegation, scope=access.TRACK)
    fields = course_initial(course) | _patched(payload)
    treatments.update_course(user, course=course, **fields)
    return _saved(course)


def _patched(payload: CoursePatch) -> dict[str, Any]:
    """The fields a PATCH sets. Null keeps a value, as if left out, except a
    null stop date: the course is taken up again, and loses its reason
    (unless the PATCH gives one, which is a contradiction the service
    refuses)."""
    changes = {
        name: value
        for name, value in payload.model_dump(exclude_unset=True).items()
        if value is not None or name == "stopped_on"
    }
    if "stopped_on" in changes and changes["stopped_on"] is None:
        changes.setdefault("stop_reason", "")
    return changes


@router.post(
    "/me/tracking/courses/{course_id}/stop",
    response={200: CourseOut, **WRITE},
    summary="Stop a course (or correct when and why it stopped)",
)
def stop_course(
    request: HttpRequest,
    course_id: ObjectId,
    payload: StopIn,
    delegation: DelegationId = None,
) -> TreatmentCourse:
    user, course = _course(request, course_id, delegation, scope=access.TRACK)
    treatments.stop_course(
        user, course=course, stopped_on=payload.stopped_on, reason=payload.reason
    )
    return _saved(course)


@router.delete(
    "/me/tracking/courses/{course_id}",
    response={204: None, **WRITE},
    summary="Delete a course and its evaluations, for good",
)
def delete_course(
    request: HttpRequest, course_id: ObjectId, delegation: DelegationId = None
) -> Status[None]:
    user, course = _course(request, course_id, delegation, scope=access.TRACK)
    treatments.delete_course(user, course=course)
    return Status(204, None)


# Evaluations -----------------------------------------------------------------------


@router.get(
    "/me/tracking/courses/{course_id}/evaluations",
    response={200: list[EvaluationOut], **READ},
    summary="A course's evaluations, newest first",
)
@paginate(Pagination)
def list_evaluations(
    request: HttpRequest, course_id: ObjectId, delegation: DelegationId = None
) -> QuerySet[Evaluation]:
    user, course = _course(request, course_id, delegation, scope=access.READ)
    access.record_carer_access(user, course.user, "tracking.view_course", course)
    return treatments.evaluations_of(course)


@router.post(
    "/me/tracking/courses/{course_id}/evaluations",
    response={200: EvaluationOut, 201: EvaluationOut, **WRITE},
    summary="Evaluate a course (201), or replace that day's evaluation (200)",
)
def evaluate_course(
    request: HttpRequest,
    course_id: ObjectId,
    payload: EvaluationIn,
    delegation: DelegationId = None,
) -> Status[Evaluation]:
    user, course = _course(request, course_id, delegation, scope=access.TRACK)
    side_effects = {effect.symptom: effect.severity for effect in payload.side_effects}
    if len(side_effects) != len(payload.side_effects):
        raise ValidationError({"side_effects": "Name each symptom once."})
    fields = payload.model_dump(exclude={"side_effects"})
    day = payload.evaluated_on
    replacing = day is not None and course.evaluations.filter(evaluated_on=day).exists()
    evaluation = treatments.evaluate_course(
        user, course=course, side_effects=side_effects, **fields
    )
    return Status(200 if replacing else 201, _saved_evaluation(evaluation))


@router.delete(
    "/me/tracking/evaluations/{evaluation_id}",
    response={204: None, **WRITE},
    summary="Delete an evaluation, for good",
)
def delete_evaluation(
    request: HttpRequest, evaluation_id: ObjectId, delegation: DelegationId = None
) -> Status[None]:
    user, acting_for = _acting(request, delegation)
    evaluation = access.get_evaluation_for_user(
        user, acting_for, evaluation_id, scope=access.TRACK
    )
    treatments.delete_evaluation(user, evaluation=evaluation)
    return Status(204, None)


# The charts ------------------------------------------------------------------------


@router.get(
    "/me/tracking/chart",
    response={200: ChartOut, **READ},
    summary="The personal charts' data: each symptom's severity, the mood "
    "and the treatment courses, day by day",
)
def chart(
    request: HttpRequest,
    months: ChartMonths = charts.DEFAULT_MONTHS,
    delegation: DelegationId = None,
) -> dict[str, Any]:
    user, acting_for = _acting(request, delegation)
    owner = access.reading_owner(user, acting_for, page="chart")
    drawn = charts.personal_charts(owner, months)
    return {
        "months": months,
        "start": drawn.period.start,
        "end": drawn.period.end,
        "symptoms": [_series(series) for series in drawn.symptoms],
        "mood": _points(drawn.mood),
        "courses": [_band(band) for band in drawn.bands],
    }


def _series(series: charts.Series) -> dict[str, Any]:
    return {
        "symptom": {"id": series.symptom_id, "name": series.subject},
        "points": _points(series),
    }


def _points(series: charts.Series) -> list[dict[str, Any]]:
    return [
        {"day": point.day, "value": point.value, "words": series.scale[point.value]}
        for point in series.points
    ]


def _band(band: charts.Band) -> dict[str, Any]:
    return {
        "course_id": band.course_id,
        "treatment": band.treatment,
        "started_on": band.started_on,
        "stopped_on": band.stopped_on,
    }
