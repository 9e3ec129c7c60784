"""Questionnaires: organisers write one (a draft), open it and close it;
members enrol ("Remind me"), answer it when it is due, and leave. Shared by
the web views, the API, the reminders and the demo data.

A questionnaire's questions are fixed once it is open, so that every
response was given to the same words; its scoring and bands too, so that
every score means the same. Answers are the member's records: a carer with
the "track for me" scope may answer for them, and that is audited."""

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from kinwell.accounts.access import can_act_for
from kinwell.accounts.models import User
from kinwell.communities.models import Community, Membership
from kinwell.lib import audit, ratelimit
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.access import (
    TRACK,
    is_organiser,
    may_see_records,
    record_carer_access,
)
from kinwell.tracking.insights.refresh import note_change
from kinwell.tracking.models import (
    Answer,
    Enrolment,
    Question,
    Questionnaire,
    QuestionnaireResponse,
)

ANSWERS_PER_TEN_MINUTES = 30
MAX_QUESTIONNAIRES = 200
FROZEN = (
    "The questions are fixed once the questionnaire is open, so that every "
    "answer was given to the same words."
)


# Writing a questionnaire (organisers) ------------------------------------------


@transaction.atomic
def create_questionnaire(
    actor: User,
    *,
    community: Community,
    title: str,
    description: str = "",
    scoring: str = Questionnaire.Scoring.SUM,
    score_bands: Sequence[Any] = (),
    interval_days: int = 0,
) -> Questionnaire:
    """A draft: nobody but the organisers sees it until it is opened."""
    _require_organiser(actor, community)
    if Questionnaire.objects.filter(community=community).count() >= MAX_QUESTIONNAIRES:
        raise ValidationError(
            f"A community can have at most {MAX_QUESTIONNAIRES} questionnaires."
        )
    questionnaire = Questionnaire.objects.create(
        community=community,
        created_by=actor,
        **_clean_fields(title, description, scoring, score_bands, interval_days),
    )
    audit.record(actor, "questionnaire.create", questionnaire)
    return questionnaire


@transaction.atomic
def update_questionnaire(
    actor: User,
    *,
    questionnaire: Questionnaire,
    title: str,
    description: str = "",
    scoring: str = Questionnaire.Scoring.SUM,
    score_bands: Sequence[Any] = (),
    interval_days: int = 0,
) -> Questionnaire:
    """Title, description and schedule may change while it is open (a new
    schedule counts from each member's next answer); the scoring only while
    it is a draft."""
    questionnaire = _for_organiser(actor, questionnaire)
    fields = _clean_fields(title, description, scoring, score_bands, interval_days)
    if questionnaire.status != Questionnaire.Status.DRAFT:
        if questionnaire.status == Questionnaire.Status.CLOSED:
            raise ValidationError("A closed questionnaire cannot be changed.")
        if (fields["scoring"], fields["score_bands"]) != (
            questionnaire.scoring,
            questionnaire.score_bands,
        ):
            raise ValidationError(
                {"scoring": "The scoring is fixed once the questionnaire is open."}
            )
    for name, value in fields.items():
        setattr(questionnaire, name, value)
    questionnaire.save(update_fields=list(fields))
    audit.record(actor, "questionnaire.update", questionnaire)
    return questionnaire


@transaction.atomic
def delete_questionnaire(actor: User, *, questionnaire: Questionnaire) -> None:
    """Only a draft: once open, members' answers belong to it."""
    questionnaire = _for_organiser(actor, questionnaire)
    _require_draft(questionnaire, "Only a draft can be deleted. Close it instead.")
    audit.record(actor, "questionnaire.delete", questionnaire)
    questionnaire.delete()


def _clean_fields(
    title: str,
    description: str,
    scoring: str,
    score_bands: Sequence[Any],
    interval_days: int,
) -> dict[str, Any]:
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Give the questionnaire a title."})
    if len(title) > 120 or len(description) > 2000:
        raise ValidationError("Keep the title to 120 and the description to 2000.")
    return {
        "title": title,
        "description": description.strip(),
        "scoring": scales.clean_scoring(scoring),
        "score_bands": scales.clean_bands(score_bands),
        "interval_days": scales.clean_interval(interval_days),
    }


# Questions (organisers, while it is a draft) -----------------------------------


@transaction.atomic
def add_question(
    actor: User, *, questionnaire: Questionnaire, text: str, choices: Sequence[Any]
) -> Question:
    questionnaire = _for_organiser(actor, questionnaire)
    _require_draft(questionnaire, FROZEN)
    asked = questionnaire.questions.aggregate(n=Max("position"))["n"] or 0
    if questionnaire.questions.count() >= scales.MAX_QUESTIONS:
        raise ValidationError(
            f"A questionnaire can have at most {scales.MAX_QUESTIONS} questions."
        )
    question = Question.objects.create(
        questionnaire=questionnaire,
        community_id=questionnaire.community_id,
        position=asked + 1,
        text=_clean_text(text),
        choices=scales.clean_choices(choices),
    )
    audit.record(actor, "questionnaire.question.add", question)
    return question


@transaction.atomic
def update_question(
    actor: User, *, question: Question, text: str, choices: Sequence[Any]
) -> Question:
    _require_draft(_for_organiser(actor, question.questionnaire), FROZEN)
    question.text = _clean_text(text)
    question.choices = scales.clean_choices(choices)
    question.save(update_fields=["text", "choices"])
    audit.record(actor, "questionnaire.question.update", question)
    return question


@transaction.atomic
def move_question(actor: User, *, question: Question, up: bool) -> Question:
    """Swaps the question with the one before (up) or after it; at either
    end it stays where it is."""
    questionnaire = _for_organiser(actor, question.questionnaire)
    _require_draft(questionnaire, FROZEN)
    question.refresh_from_db(fields=["position"])
    neighbours = questionnaire.questions.exclude(pk=question.pk)
    other = (
        neighbours.filter(position__lt=question.position).order_by("-position")
        if up
        else neighbours.filter(position__gt=question.position).order_by("position")
    ).first()
    if other is None:
        return question
    mine, theirs = question.position, other.position
    # Through a free position: (questionnaire, position) is unique.
    for moved, position in ((question, 0), (other, mine), (question, theirs)):
        moved.position = position
        moved.save(update_fields=["position"])
    audit.record(actor, "questionnaire.question.move", question)
    return question


@transaction.atomic
def remove_question(actor: User, *, question: Question) -> None:
    questionnaire = _for_organiser(actor, question.questionnaire)
    _require_draft(questionnaire, FROZEN)
    audit.record(actor, "questionnaire.question.remove", question)
    question.delete()
    # One by one, lowest first, so that no two share a position on the way.
    for position, later in enumerate(questionnaire.questions.order_by("position"), 1):
        if later.position != position:
            later.position = position
            later.save(update_fields=["position"])


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the question."})
    if len(text) > 300 or "\x00" in text:
        raise ValidationError({"text": "Keep the question to 300 characters."})
    return text


# Opening and closing -----------------------------------------------------------


@transaction.atomic
def open_questionnaire(actor: User, *, questionnaire: Questionnaire) -> Questionnaire:
    """Members may enrol and answer from now on; the questions are fixed."""
    questionnaire = _for_organiser(actor, questionnaire)
    _require_draft(questionnaire, "Only a draft can be opened.")
    if not questionnaire.questions.exists():
        raise ValidationError("Add at least one question before opening it.")
    questionnaire.status = Questionnaire.Status.OPEN
    questionnaire.opened_at = timezone.now()
    questionnaire.save(update_fields=["status", "opened_at"])
    audit.record(actor, "questionnaire.open", questionnaire)
    return questionnaire


@transaction.atomic
def close_questionnaire(actor: User, *, questionnaire: Questionnaire) -> Questionnaire:
    """No more answers or reminders. Members keep their responses."""
    questionnaire = _for_organiser(actor, questionnaire)
    if questionnaire.status != Questionnaire.Status.OPEN:
        raise ValidationError("Only an open questionnaire can be closed.")
    questionnaire.status = Questionnaire.Status.CLOSED
    questionnaire.save(update_fields=["status"])
    questionnaire.enrolments.filter(ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    audit.record(actor, "questionnaire.close", questionnaire)
    return questionnaire


# Enrolling and answering (members, or their carers) ----------------------------


@transaction.atomic
def enrol(actor: User, *, owner: User, questionnaire: Questionnaire) -> Enrolment:
    """`owner` is reminded from today on, every time it is due. Enrolling
    again changes nothing."""
    questionnaire = _locked(questionnaire)
    _require_answerer(actor, owner, questionnaire)
    current = current_enrolment(owner, questionnaire)
    if current is not None:
        return current
    if questionnaire.interval_days == 0 and _has_answered(owner, questionnaire):
        raise ValidationError("This questionnaire is asked once, and it is answered.")
    enrolment = Enrolment.objects.create(
        questionnaire=questionnaire,
        community_id=questionnaire.community_id,
        user=owner,
        next_due_on=timezone.localdate(),
    )
    record_carer_access(actor, owner, "tracking.questionnaire.enrol", enrolment)
    return enrolment


@transaction.atomic
def leave(actor: User, *, owner: User, questionnaire: Questionnaire) -> None:
    """No more reminders. Responses already given stay the member's."""
    _require_answerer(actor, owner, questionnaire, must_be_open=False)
    enrolment = current_enrolment(owner, questionnaire)
    if enrolment is None:
        return
    enrolment.ended_at = timezone.now()
    enrolment.save(update_fields=["ended_at"])
    record_carer_access(actor, owner, "tracking.questionnaire.leave", enrolment)


def answer_questionnaire(
    actor: User,
    *,
    owner: User,
    questionnaire: Questionnaire,
    answers: Mapping[int, int],
) -> QuestionnaireResponse:
    """Every question answered with a value of its scale (question id ->
    value). The score is the sum or the mean of the values; the next time
    it is due counts from today."""
    ratelimit.check(
        "questionnaire-answer", actor.pk, limit=ANSWERS_PER_TEN_MINUTES, period=600
    )
    with transaction.atomic():
        questionnaire = _locked(questionnaire)
        _require_answerer(actor, owner, questionnaire)
        if questionnaire.interval_days == 0 and _has_answered(owner, questionnaire):
            raise ValidationError(
                "This questionnaire is asked once, and it is answered."
            )
        values = _clean_answers(questionnaire, answers)
        response = QuestionnaireResponse.objects.create(
            questionnaire=questionnaire,
            community_id=questionnaire.community_id,
            user=owner,
            score=scales.score_of(list(values.values()), questionnaire.scoring),
            recorded_by=actor,
        )
        Answer.objects.bulk_create(
            Answer(response=response, question_id=pk, value=value)
            for pk, value in values.items()
        )
        _schedule_next(owner, questionnaire)
        record_carer_access(actor, owner, "tracking.questionnaire.answer", response)
        note_change(owner.pk)
    return response


@transaction.atomic
def delete_response(
    actor: User, *, owner: User, response: QuestionnaireResponse
) -> None:
    """A member's own response, gone for good (a carer who may record for
    them and read their records may too: nobody knowingly deletes what they
    may not see)."""
    _require_recorder(actor, owner)
    if not may_see_records(actor, owner):
        raise PermissionDenied("You may delete only responses you may read.")
    if response.user_id != owner.pk:
        raise PermissionDenied("This is not one of your responses.")
    record_carer_access(actor, owner, "tracking.questionnaire.delete", response)
    response.delete()
    note_change(owner.pk)


def _clean_answers(
    questionnaire: Questionnaire, answers: Mapping[int, int]
) -> dict[int, int]:
    questions = list(questionnaire.questions.order_by("position"))
    asked = {question.pk for question in questions}
    if set(answers) - asked:
        raise ValidationError("Some answers are to questions it does not ask.")
    missing = [q.position for q in questions if q.pk not in answers]
    if missing:
        listed = ", ".join(str(position) for position in missing)
        raise ValidationError(f"Please answer every question (not yet: {listed}).")
    values = {}
    for question in questions:
        value = answers[question.pk]
        if value not in {choice["value"] for choice in question.choices}:
            raise ValidationError(
                f"Question {question.position}: choose one of the answers offered."
            )
        values[question.pk] = value
    return values


def _schedule_next(owner: User, questionnaire: Questionnaire) -> None:
    enrolment = current_enrolment(owner, questionnaire)
    if enrolment is None:
        return
    days = questionnaire.interval_days
    enrolment.next_due_on = (
        timezone.localdate() + timedelta(days=days) if days else None
    )
    enrolment.save(update_fields=["next_due_on"])


# What a member sees -------------------------------------------------------------


def due_questionnaires(owner: User) -> list[Enrolment]:
    """The questionnaires `owner` enrolled in that are due today or overdue,
    in communities they still belong to, oldest due first (one query)."""
    return list(
        Enrolment.objects.filter(
            user=owner,
            ended_at__isnull=True,
            next_due_on__lte=timezone.localdate(),
            questionnaire__status=Questionnaire.Status.OPEN,
            community_id__in=Membership.objects.filter(user=owner).values(
                "community_id"
            ),
        )
        .select_related("questionnaire", "community")
        .order_by("next_due_on", "pk")
    )


def current_enrolment(owner: User, questionnaire: Questionnaire) -> Enrolment | None:
    return Enrolment.objects.filter(
        user=owner, questionnaire=questionnaire, ended_at__isnull=True
    ).first()


def enrolments_of(owner: User) -> QuerySet[Enrolment]:
    """`owner`'s current enrolments, with their questionnaires."""
    return (
        Enrolment.objects.filter(user=owner, ended_at__isnull=True)
        .select_related("questionnaire", "community")
        .order_by("questionnaire__title", "pk")
    )


def responses_of(owner: User) -> QuerySet[QuestionnaireResponse]:
    """`owner`'s responses, newest first, with their questionnaires."""
    return (
        QuestionnaireResponse.objects.filter(user=owner)
        .select_related("questionnaire", "community")
        .order_by("-answered_at", "-pk")
    )


def is_due(enrolment: Enrolment) -> bool:
    due = enrolment.next_due_on
    return due is not None and due <= timezone.localdate()


def _has_answered(owner: User, questionnaire: Questionnaire) -> bool:
    return QuestionnaireResponse.objects.filter(
        user=owner, questionnaire=questionnaire
    ).exists()


# Who may ------------------------------------------------------------------------


def _require_organiser(actor: User, community: Community) -> None:
    if not is_organiser(actor, community):
        raise PermissionDenied("This is for the community's organisers.")


def _for_organiser(actor: User, questionnaire: Questionnaire) -> Questionnaire:
    """The questionnaire, locked against a second organiser's change."""
    _require_organiser(actor, questionnaire.community)
    return _locked(questionnaire)


def _locked(questionnaire: Questionnaire) -> Questionnaire:
    return (
        Questionnaire.objects.select_for_update()
        .select_related("community")
        .get(pk=questionnaire.pk)
    )


def _require_draft(questionnaire: Questionnaire, message: str) -> None:
    if questionnaire.status != Questionnaire.Status.DRAFT:
        raise ValidationError(message)


def _require_recorder(actor: User, owner: User) -> None:
    """The member, or a carer with the "track for me" scope."""
    if actor.pk != owner.pk and not can_act_for(actor, owner, TRACK):
        raise PermissionDenied("You may not record for this member.")


def _require_answerer(
    actor: User, owner: User, questionnaire: Questionnaire, *, must_be_open: bool = True
) -> None:
    _require_recorder(actor, owner)
    if not Membership.objects.filter(
        community_id=questionnaire.community_id, user=owner
    ).exists():
        raise PermissionDenied("This is for members of the community.")
    if must_be_open and questionnaire.status != Questionnaire.Status.OPEN:
        raise ValidationError("This questionnaire is not open for answers.")
