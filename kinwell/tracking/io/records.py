"""All of one member's tracking records, as lazy querysets that every export
reads the same way: each list costs one query (two or three with what hangs
below it), however many rows it has."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.tracking.models import (
    Answer,
    CheckIn,
    Evaluation,
    MemberCondition,
    QuestionnaireResponse,
    SideEffect,
    SymptomScore,
    TrackedSymptom,
    TreatmentCourse,
)

# A member, or their account id (exports of many members need no User rows).
Owner = User | int


@dataclass(frozen=True)
class MemberRecords:
    """`check_ins` carry `scores` (with their symptoms), `courses` carry
    `evaluations` (with `side_effects`), `responses` carry `answers` (with
    their questions), all prefetched, ordered by date."""

    owner: User
    conditions: QuerySet[MemberCondition]
    tracked_symptoms: QuerySet[TrackedSymptom]
    check_ins: QuerySet[CheckIn]
    courses: QuerySet[TreatmentCourse]
    responses: QuerySet[QuestionnaireResponse]
    since: date | None = None
    until: date | None = None


def member_records(
    owner: User, *, since: date | None = None, until: date | None = None
) -> MemberRecords:
    """`owner`'s records, or those of the days from `since` to `until`
    (inclusive): check-ins and evaluations of those days, courses that ran
    during them, questionnaires answered on them. Conditions and tracked
    symptoms describe the member, and always come whole."""
    return MemberRecords(
        owner=owner,
        conditions=conditions_of(owner),
        tracked_symptoms=tracked_symptoms_of(owner),
        check_ins=check_ins_of(owner, since, until),
        courses=courses_of(owner, since, until),
        responses=responses_of(owner, since, until),
        since=since,
        until=until,
    )


def conditions_of(owner: Owner) -> QuerySet[MemberCondition]:
    return (
        MemberCondition.objects.filter(user_id=_id(owner))
        .select_related("condition")
        .order_by("condition__name", "pk")
    )


def tracked_symptoms_of(owner: Owner) -> QuerySet[TrackedSymptom]:
    return (
        TrackedSymptom.objects.filter(user_id=_id(owner))
        .select_related("symptom")
        .order_by("symptom__name", "started_on", "pk")
    )


def check_ins_of(
    owner: Owner, since: date | None, until: date | None
) -> QuerySet[CheckIn]:
    scores = SymptomScore.objects.select_related("symptom").order_by(
        "symptom__name", "pk"
    )
    return (
        CheckIn.objects.filter(user_id=_id(owner), **_between("day", since, until))
        .prefetch_related(Prefetch("scores", queryset=scores))
        .order_by("day")
    )


def courses_of(
    owner: Owner, since: date | None, until: date | None
) -> QuerySet[TreatmentCourse]:
    courses = TreatmentCourse.objects.filter(user_id=_id(owner))
    if until is not None:
        courses = courses.filter(started_on__lte=until)
    if since is not None:
        courses = courses.filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=since))
    side_effects = SideEffect.objects.select_related("symptom").order_by(
        "symptom__name", "pk"
    )
    evaluations = (
        Evaluation.objects.filter(**_between("evaluated_on", since, until))
        .prefetch_related(Prefetch("side_effects", queryset=side_effects))
        .order_by("evaluated_on", "pk")
    )
    return (
        courses.select_related("treatment")
        .prefetch_related(Prefetch("evaluations", queryset=evaluations))
        .order_by("started_on", "pk")
    )


def responses_of(
    owner: Owner, since: date | None, until: date | None
) -> QuerySet[QuestionnaireResponse]:
    answers = Answer.objects.select_related("question").order_by("question__position")
    responses = QuestionnaireResponse.objects.filter(user_id=_id(owner))
    if since is not None:
        responses = responses.filter(answered_at__gte=_start_of(since))
    if until is not None:
        responses = responses.filter(answered_at__lt=_start_of(until, after=True))
    return (
        responses.select_related("questionnaire", "questionnaire__community")
        .prefetch_related(Prefetch("answers", queryset=answers))
        .order_by("answered_at", "pk")
    )


def _id(owner: Owner) -> int:
    return owner if isinstance(owner, int) else owner.pk


def _between(field: str, since: date | None, until: date | None) -> dict[str, date]:
    bounds = {}
    if since is not None:
        bounds[f"{field}__gte"] = since
    if until is not None:
        bounds[f"{field}__lte"] = until
    return bounds


def _start_of(day: date, *, after: bool = False) -> datetime:
    """Midnight of `day` (or of the day after) in the site's time zone."""
    if after:
        day = date.fromordinal(day.toordinal() + 1)
    return timezone.make_aware(datetime.combine(day, time.min))
