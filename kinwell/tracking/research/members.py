"""Who goes into a release, and which of their records.

A member is included if, at the moment of release, they belong to the
request's community and their latest decision on "Research datasets" is to
give consent; their notes go in only if their latest decision on "My notes
in research datasets" is also to give it, and the request asked for notes.
Their records are scoped to what the request asked for, its period, and the
community's own catalogue (the generic entries and the community's
additions, never another community's)."""

from dataclasses import dataclass, replace

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from kinwell.accounts.models import ConsentRecord, User
from kinwell.tracking.io.records import MemberRecords, member_records
from kinwell.tracking.models import (
    CheckIn,
    DatasetRequest,
    Evaluation,
    MemberCondition,
    QuestionnaireResponse,
    SideEffect,
    SymptomScore,
    TrackedSymptom,
    TreatmentCourse,
)

Purpose = ConsentRecord.Purpose


@dataclass(frozen=True)
class Included:
    user: User
    notes_allowed: bool


def _latest_decision(purpose: str) -> Subquery:
    return Subquery(
        ConsentRecord.objects.filter(user=OuterRef("pk"), purpose=purpose)
        .order_by("-created_at", "-pk")
        .values("given")[:1]
    )


def included_members(request: DatasetRequest) -> list[Included]:
    """Everyone the release includes, in one query."""
    users = (
        User.objects.filter(is_active=True, memberships__community=request.community)
        .annotate(
            research=_latest_decision(Purpose.RESEARCH),
            notes=_latest_decision(Purpose.RESEARCH_NOTES),
        )
        .filter(research=True)
        .order_by("pk")
    )
    return [
        Included(user, notes_allowed=request.include_notes and bool(user.notes))
        for user in users
    ]


def records_for(request: DatasetRequest, member: User) -> MemberRecords:
    records = member_records(member, since=request.period_from, until=request.period_to)
    return replace(
        records,
        conditions=_conditions(request, records),
        tracked_symptoms=_tracked_symptoms(request, records),
        check_ins=_check_ins(request, records),
        courses=_courses(request, records),
        responses=_responses(request, records),
    )


def _catalogue(request: DatasetRequest, field: str) -> Q:
    return Q(**{f"{field}__community__isnull": True}) | Q(
        **{f"{field}__community": request.community}
    )


def _conditions(
    request: DatasetRequest, records: MemberRecords
) -> QuerySet[MemberCondition]:
    if not request.include_conditions:
        return records.conditions.none()
    return records.conditions.filter(_catalogue(request, "condition"))


def _tracked_symptoms(
    request: DatasetRequest, records: MemberRecords
) -> QuerySet[TrackedSymptom]:
    if not request.include_check_ins:
        return records.tracked_symptoms.none()
    return records.tracked_symptoms.filter(_catalogue(request, "symptom"))


def _check_ins(request: DatasetRequest, records: MemberRecords) -> QuerySet[CheckIn]:
    if not request.include_check_ins:
        return records.check_ins.none()
    scores = (
        SymptomScore.objects.filter(_catalogue(request, "symptom"))
        .select_related("symptom")
        .order_by("symptom__name", "pk")
    )
    return records.check_ins.prefetch_related(None).prefetch_related(
        Prefetch("scores", queryset=scores)
    )


def _courses(
    request: DatasetRequest, records: MemberRecords
) -> QuerySet[TreatmentCourse]:
    if not request.include_treatments:
        return records.courses.none()
    side_effects = (
        SideEffect.objects.filter(_catalogue(request, "symptom"))
        .select_related("symptom")
        .order_by("symptom__name", "pk")
    )
    evaluations = (
        Evaluation.objects.filter(_evaluated_in(request))
        .prefetch_related(Prefetch("side_effects", queryset=side_effects))
        .order_by("evaluated_on", "pk")
    )
    return (
        records.courses.filter(_catalogue(request, "treatment"))
        .prefetch_related(None)
        .prefetch_related(Prefetch("evaluations", queryset=evaluations))
    )


def _evaluated_in(request: DatasetRequest) -> Q:
    bounds = Q()
    if request.period_from:
        bounds &= Q(evaluated_on__gte=request.period_from)
    if request.period_to:
        bounds &= Q(evaluated_on__lte=request.period_to)
    return bounds


def _responses(
    request: DatasetRequest, records: MemberRecords
) -> QuerySet[QuestionnaireResponse]:
    if not request.include_questionnaires:
        return records.responses.none()
    return records.responses.filter(questionnaire__community=request.community)
