"""Questionnaires: organisers write, open and close them and see their
results as aggregates; members (or a carer acting for them, with
`?delegation=<id>`) enrol, leave and answer, and read their own responses.
Each operation makes the same access and service calls as the website
(kinwell.tracking.views.questionnaires and .questionnaire_admin)."""

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest
from ninja import Path, Router, Status
from ninja.pagination import paginate

from kinwell.accounts.models import User
from kinwell.api.auth import current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.schemas.fields import MAX_ID, DelegationId, max_length
from kinwell.api.schemas.questionnaires import (
    EnrolmentOut,
    MoveIn,
    QuestionIn,
    QuestionnaireCardOut,
    QuestionnaireDetailOut,
    QuestionnaireIn,
    QuestionnairePatch,
    QuestionOut,
    ResponseIn,
    ResponseOut,
    ResultsOut,
)
from kinwell.communities import access as community_access
from kinwell.communities.models import Community, Membership
from kinwell.tracking import access, questionnaires
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.models import (
    Answer,
    Enrolment,
    Question,
    Questionnaire,
    QuestionnaireResponse,
)
from kinwell.tracking.questionnaire_results import results_for_organisers

router = Router(tags=["questionnaires"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]

READ = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)


def _acting(
    request: HttpRequest, delegation: int | None, scope: str
) -> tuple[User, User]:
    """Who asks, and whose records: their own, or the member's they act for."""
    user = current_user(request)
    acting_for = access.delegation_for_api(user, delegation)
    if scope == access.READ:
        return user, access.reading_owner(user, acting_for, page="questionnaires")
    return user, access.records_owner(user, acting_for, scope=scope)


def _slug_of(questionnaire_id: int) -> str:
    slug = (
        Questionnaire.objects.filter(pk=questionnaire_id)
        .values_list("community__slug", flat=True)
        .first()
    )
    if slug is None:
        raise Http404("No such questionnaire")
    return slug


def _for_member(user: User, owner: User, questionnaire_id: int) -> Questionnaire:
    slug = _slug_of(questionnaire_id)
    found, _ = access.get_questionnaire_for_member(user, owner, slug, questionnaire_id)
    return found


def _for_organiser(user: User, questionnaire_id: int) -> Questionnaire:
    slug = _slug_of(questionnaire_id)
    found, _ = access.get_questionnaire_for_organiser(user, slug, questionnaire_id)
    return found


def _detail(owner: User, found: Questionnaire, *, user: Any = None) -> Questionnaire:
    """The questionnaire, with whether `owner` is enrolled and when it is
    next due for them. The due date follows from their last answer: a carer
    `user` who may record but not read gets none."""
    enrolment = questionnaires.current_enrolment(owner, found)
    if user is not None and not access.may_see_records(user, owner):
        enrolment_due = None
    else:
        enrolment_due = enrolment.next_due_on if enrolment else None
    found.enrolled = enrolment is not None  # type: ignore[attr-defined]
    found.next_due_on = enrolment_due  # type: ignore[attr-defined]
    return found


def _bands(given: list[Any]) -> list[dict[str, Any]]:
    return [{"from": band.lowest, "label": band.label} for band in given]


# A community's questionnaires ---------------------------------------------------


@router.get(
    "/communities/{slug}/questionnaires",
    response={200: list[QuestionnaireCardOut], **READ},
    summary="Open and closed questionnaires (and drafts, for organisers), newest first",
)
@paginate(Pagination)
def list_questionnaires(
    request: HttpRequest, slug: Slug, delegation: DelegationId = None
) -> QuerySet[Questionnaire]:
    user, owner = _acting(request, delegation, access.READ)
    community, membership = community_access.get_community_for_member(owner, slug)
    shown = Questionnaire.objects.filter(community=community).select_related(
        "community"
    )
    organiser = owner.pk == user.pk and membership.role == Membership.Role.ORGANISER
    if not organiser:
        shown = shown.exclude(status=Questionnaire.Status.DRAFT)
    reminded = Enrolment.objects.filter(
        questionnaire=OuterRef("pk"), user=owner, ended_at__isnull=True
    )
    return shown.annotate(enrolled=Exists(reminded)).order_by("-created_at", "-pk")


@router.post(
    "/communities/{slug}/questionnaires",
    response={201: QuestionnaireDetailOut, **WRITE},
    summary="Write a new questionnaire, as a draft (organisers)",
)
def create_questionnaire(
    request: HttpRequest, slug: Slug, payload: QuestionnaireIn
) -> Status[Questionnaire]:
    user = current_user(request)
    community, _ = community_access.get_community_for_organiser(user, slug)
    fields = payload.model_dump(exclude={"score_bands"})
    found = questionnaires.create_questionnaire(
        user, community=community, score_bands=_bands(payload.score_bands), **fields
    )
    return Status(201, _detail(user, found))


# One questionnaire ---------------------------------------------------------------


@router.get(
    "/questionnaires/{questionnaire_id}",
    response={200: QuestionnaireDetailOut, **READ},
    summary="A questionnaire, its questions, and whether the member is enrolled",
)
def get_questionnaire(
    request: HttpRequest, questionnaire_id: ObjectId, delegation: DelegationId = None
) -> Questionnaire:
    user, owner = _acting(request, delegation, access.READ)
    return _detail(owner, _for_member(user, owner, questionnaire_id))


@router.patch(
    "/questionnaires/{questionnaire_id}",
    response={200: QuestionnaireDetailOut, **WRITE},
    summary="Change its title, description, schedule (and while a draft, its scoring)",
)
def update_questionnaire(
    request: HttpRequest, questionnaire_id: ObjectId, payload: QuestionnairePatch
) -> Questionnaire:
    user = current_user(request)
    found = _for_organiser(user, questionnaire_id)
    current: dict[str, Any] = {
        "title": found.title,
        "description": found.description,
        "scoring": found.scoring,
        "score_bands": found.score_bands,
        "interval_days": found.interval_days,
    }
    changes = payload.model_dump(exclude_unset=True, exclude={"score_bands"})
    current |= {name: value for name, value in changes.items() if value is not None}
    if payload.score_bands is not None:
        current["score_bands"] = _bands(payload.score_bands)
    found = questionnaires.update_questionnaire(user, questionnaire=found, **current)
    return _detail(user, found)


@router.delete(
    "/questionnaires/{questionnaire_id}",
    response={204: None, **WRITE},
    summary="Delete a draft (organisers)",
)
def delete_questionnaire(
    request: HttpRequest, questionnaire_id: ObjectId
) -> Status[None]:
    user = current_user(request)
    questionnaires.delete_questionnaire(
        user, questionnaire=_for_organiser(user, questionnaire_id)
    )
    return Status(204, None)


@router.post(
    "/questionnaires/{questionnaire_id}/open",
    response={200: QuestionnaireDetailOut, **WRITE},
    summary="Open a draft to members; its questions are then fixed (organisers)",
)
def open_questionnaire(request: HttpRequest, questionnaire_id: ObjectId) -> Any:
    user = current_user(request)
    found = questionnaires.open_questionnaire(
        user, questionnaire=_for_organiser(user, questionnaire_id)
    )
    return _detail(user, found)


@router.post(
    "/questionnaires/{questionnaire_id}/close",
    response={200: QuestionnaireDetailOut, **WRITE},
    summary="Close it: no more answers or reminders (organisers)",
)
def close_questionnaire(request: HttpRequest, questionnaire_id: ObjectId) -> Any:
    user = current_user(request)
    found = questionnaires.close_questionnaire(
        user, questionnaire=_for_organiser(user, questionnaire_id)
    )
    return _detail(user, found)


@router.get(
    "/questionnaires/{questionnaire_id}/results",
    response={200: ResultsOut, **READ},
    summary="Aggregates only: members and responses counted, members by score band",
)
def questionnaire_results(request: HttpRequest, questionnaire_id: ObjectId) -> Any:
    user = current_user(request)
    return results_for_organisers(_for_organiser(user, questionnaire_id))


# Questions (organisers, while a draft) -------------------------------------------


def _choices(payload: QuestionIn) -> list[dict[str, Any]]:
    if (payload.scale is None) == (payload.choices is None):
        raise ValidationError({"choices": "Give either a scale or choices."})
    if payload.scale is not None:
        return scales.scale_choices(payload.scale)
    return [choice.model_dump() for choice in payload.choices or []]


def _question(found: Questionnaire, question_id: int) -> Question:
    return access.get_question_for_organiser(found, question_id)


@router.post(
    "/questionnaires/{questionnaire_id}/questions",
    response={201: QuestionOut, **WRITE},
    summary="Add a question at the end",
)
def add_question(
    request: HttpRequest, questionnaire_id: ObjectId, payload: QuestionIn
) -> Status[Question]:
    user = current_user(request)
    question = questionnaires.add_question(
        user,
        questionnaire=_for_organiser(user, questionnaire_id),
        text=payload.text,
        choices=_choices(payload),
    )
    return Status(201, question)


@router.put(
    "/questionnaires/{questionnaire_id}/questions/{question_id}",
    response={200: QuestionOut, **WRITE},
    summary="Replace a question's words and answers",
)
def update_question(
    request: HttpRequest,
    questionnaire_id: ObjectId,
    question_id: ObjectId,
    payload: QuestionIn,
) -> Question:
    user = current_user(request)
    question = _question(_for_organiser(user, questionnaire_id), question_id)
    return questionnaires.update_question(
        user, question=question, text=payload.text, choices=_choices(payload)
    )


@router.post(
    "/questionnaires/{questionnaire_id}/questions/{question_id}/move",
    response={200: list[QuestionOut], **WRITE},
    summary="Move a question up or down; answers the questions in their new order",
)
def move_question(
    request: HttpRequest,
    questionnaire_id: ObjectId,
    question_id: ObjectId,
    payload: MoveIn,
) -> list[Question]:
    user = current_user(request)
    found = _for_organiser(user, questionnaire_id)
    questionnaires.move_question(
        user, question=_question(found, question_id), up=payload.direction == "up"
    )
    return list(found.questions.order_by("position"))


@router.delete(
    "/questionnaires/{questionnaire_id}/questions/{question_id}",
    response={204: None, **WRITE},
)
def remove_question(
    request: HttpRequest, questionnaire_id: ObjectId, question_id: ObjectId
) -> Status[None]:
    user = current_user(request)
    found = _for_organiser(user, questionnaire_id)
    questionnaires.remove_question(user, question=_question(found, question_id))
    return Status(204, None)


# Enrolling and answering ---------------------------------------------------------


@router.post(
    "/questionnaires/{questionnaire_id}/enrol",
    response={200: QuestionnaireDetailOut, **WRITE},
    summary="Remind me: the member is reminded (by email) each time it is due",
)
def enrol_in_questionnaire(
    request: HttpRequest, questionnaire_id: ObjectId, delegation: DelegationId = None
) -> Questionnaire:
    user, owner = _acting(request, delegation, access.TRACK)
    found = _for_member(user, owner, questionnaire_id)
    questionnaires.enrol(user, owner=owner, questionnaire=found)
    return _detail(owner, found, user=user)


@router.post(
    "/questionnaires/{questionnaire_id}/leave",
    response={200: QuestionnaireDetailOut, **WRITE},
    summary="Stop the reminders; earlier responses stay the member's",
)
def leave_questionnaire(
    request: HttpRequest, questionnaire_id: ObjectId, delegation: DelegationId = None
) -> Questionnaire:
    user, owner = _acting(request, delegation, access.TRACK)
    found = _for_member(user, owner, questionnaire_id)
    questionnaires.leave(user, owner=owner, questionnaire=found)
    return _detail(owner, found, user=user)


@router.post(
    "/questionnaires/{questionnaire_id}/responses",
    response={201: ResponseOut, **WRITE},
    summary="Answer every question; the score and the next due date follow",
)
def answer_questionnaire(
    request: HttpRequest,
    questionnaire_id: ObjectId,
    payload: ResponseIn,
    delegation: DelegationId = None,
) -> Status[QuestionnaireResponse]:
    user, owner = _acting(request, delegation, access.TRACK)
    found = _for_member(user, owner, questionnaire_id)
    answers = {answer.question: answer.value for answer in payload.answers}
    if len(answers) != len(payload.answers):
        raise ValidationError({"answers": "Answer each question once."})
    response = questionnaires.answer_questionnaire(
        user, owner=owner, questionnaire=found, answers=answers
    )
    return Status(201, _responses(owner).get(pk=response.pk))


# The member's own ----------------------------------------------------------------


def _responses(owner: User) -> QuerySet[QuestionnaireResponse]:
    return questionnaires.responses_of(owner).prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by("question__position"))
    )


@router.get(
    "/me/questionnaires/due",
    response={200: list[EnrolmentOut], **READ},
    summary="Questionnaires the member enrolled in that are due now",
)
def list_due_questionnaires(
    request: HttpRequest, delegation: DelegationId = None
) -> list[Enrolment]:
    _, owner = _acting(request, delegation, access.READ)
    return questionnaires.due_questionnaires(owner)


@router.get(
    "/me/questionnaires/enrolments",
    response={200: list[EnrolmentOut], **READ},
    summary="Every questionnaire the member is reminded of",
)
@paginate(Pagination)
def list_my_enrolments(
    request: HttpRequest, delegation: DelegationId = None
) -> QuerySet[Enrolment]:
    _, owner = _acting(request, delegation, access.READ)
    return questionnaires.enrolments_of(owner)


@router.get(
    "/me/questionnaires/responses",
    response={200: list[ResponseOut], **READ},
    summary="The member's responses with their answers and scores, newest first",
)
@paginate(Pagination)
def list_my_responses(
    request: HttpRequest, delegation: DelegationId = None
) -> QuerySet[QuestionnaireResponse]:
    _, owner = _acting(request, delegation, access.READ)
    return _responses(owner)


@router.delete(
    "/me/questionnaires/responses/{response_id}",
    response={204: None, **WRITE},
    summary="Delete one of the member's responses, for good",
    description="A carer needs both scopes: one deletes only what one may read.",
)
def delete_my_response(
    request: HttpRequest, response_id: ObjectId, delegation: DelegationId = None
) -> Status[None]:
    user = current_user(request)
    owner = access.changing_owner(user, access.delegation_for_api(user, delegation))
    response = access.get_own_response(owner, response_id)
    questionnaires.delete_response(user, owner=owner, response=response)
    return Status(204, None)
