"""Writes a checked import plan in bulk: a few INSERTs per kind of record,
however many rows, inside the import's transaction."""

from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.tracking.io.checking import CourseItem, Plan
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

BATCH_SIZE = 1000


def write_plan(actor: User, owner: User, plan: Plan) -> None:
    MemberCondition.objects.bulk_create(
        [
            MemberCondition(
                user=owner,
                condition_id=item.condition_id,
                onset_on=item.onset_on,
                diagnosed_on=item.diagnosed_on,
            )
            for item in plan.conditions
        ],
        batch_size=BATCH_SIZE,
    )
    TrackedSymptom.objects.bulk_create(
        [
            TrackedSymptom(
                user=owner,
                symptom_id=item.symptom_id,
                started_on=item.started_on,
                stopped_on=item.stopped_on,
            )
            for item in plan.trackings + plan.new_trackings
        ],
        batch_size=BATCH_SIZE,
    )
    _write_check_ins(actor, owner, plan)
    _write_courses(actor, owner, plan.written_courses)
    _write_responses(actor, owner, plan)


def _write_check_ins(actor: User, owner: User, plan: Plan) -> None:
    now = timezone.now()
    check_ins = CheckIn.objects.bulk_create(
        [
            CheckIn(
                user=owner,
                day=item.day,
                mood=item.mood,
                note=item.note,
                recorded_by=actor,
                recorded_at=now,
            )
            for item in plan.days
        ],
        batch_size=BATCH_SIZE,
    )
    SymptomScore.objects.bulk_create(
        (
            SymptomScore(
                check_in=check_in,
                user=owner,
                symptom_id=symptom_id,
                day=item.day,
                severity=severity,
            )
            for check_in, item in zip(check_ins, plan.days, strict=True)
            for symptom_id, severity in sorted(item.scores.items())
        ),
        batch_size=BATCH_SIZE,
    )


def _write_courses(actor: User, owner: User, courses: list[CourseItem]) -> None:
    rows = TreatmentCourse.objects.bulk_create(
        [
            TreatmentCourse(
                user=owner,
                treatment_id=item.treatment_id,
                started_on=item.started_on,
                stopped_on=item.stopped_on,
                dose=item.dose,
                frequency=item.frequency,
                stop_reason=item.stop_reason,
                recorded_by=actor,
            )
            for item in courses
        ],
        batch_size=BATCH_SIZE,
    )
    pairs = [
        (course, item)
        for course, course_item in zip(rows, courses, strict=True)
        for item in course_item.evaluations.values()
    ]
    evaluations = Evaluation.objects.bulk_create(
        [
            Evaluation(
                course=course,
                user=owner,
                treatment_id=course.treatment_id,
                evaluated_on=item.evaluated_on,
                effectiveness=item.effectiveness,
                adherence=item.adherence,
                burden=item.burden,
                cost_band=item.cost_band,
                note=item.note,
                recorded_by=actor,
            )
            for course, item in pairs
        ],
        batch_size=BATCH_SIZE,
    )
    SideEffect.objects.bulk_create(
        (
            SideEffect(
                evaluation=evaluation,
                user=owner,
                treatment_id=evaluation.treatment_id,
                symptom_id=symptom_id,
                severity=severity,
            )
            for evaluation, (_, item) in zip(evaluations, pairs, strict=True)
            for symptom_id, severity in sorted(item.side_effects.items())
        ),
        batch_size=BATCH_SIZE,
    )


def _write_responses(actor: User, owner: User, plan: Plan) -> None:
    responses = QuestionnaireResponse.objects.bulk_create(
        [
            QuestionnaireResponse(
                questionnaire_id=item.questionnaire_id,
                community_id=item.community_id,
                user=owner,
                score=item.score,
                recorded_by=actor,
                answered_at=item.answered_at,
            )
            for item in plan.responses
        ],
        batch_size=BATCH_SIZE,
    )
    Answer.objects.bulk_create(
        (
            Answer(response=response, question_id=question_id, value=value)
            for response, item in zip(responses, plan.responses, strict=True)
            for question_id, value in item.answers.items()
        ),
        batch_size=BATCH_SIZE,
    )
