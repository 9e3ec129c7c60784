"""Questionnaires as members meet them: a community's questionnaires, one
questionnaire's page, "Remind me" and "Stop reminding me", answering, and
the member's own responses and scores. A carer acting for a member sees
(with "read my private data") and answers (with "track for me") for them.

The organisers' pages are in questionnaire_admin.py."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.communities import access as community_access
from kinwell.communities.models import Membership
from kinwell.lib.forms import first_message, posted
from kinwell.tracking import access, questionnaires
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.forms.questionnaires import AnswerForm
from kinwell.tracking.models import (
    Answer,
    Questionnaire,
    QuestionnaireResponse,
)

PAGE_SIZE = 30


# A community's questionnaires --------------------------------------------------


@login_required
def questionnaire_list(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    owner = access.reading_owner(
        request.user, request.acting_for, page="questionnaires"
    )
    community, membership = community_access.get_community_for_member(owner, slug)
    organiser = _is_own_organiser(request, owner, membership)
    found = list(
        Questionnaire.objects.filter(community=community).order_by("-created_at", "-pk")
    )
    enrolled = {e.questionnaire_id for e in questionnaires.enrolments_of(owner)}
    by_status = {
        status: [q for q in found if q.status == status]
        for status in Questionnaire.Status.values
    }
    context = {
        "community": community,
        "membership": membership,
        "owner": owner,
        "is_self": owner.pk == request.user.pk,
        "is_organiser": organiser,
        "open": by_status["open"],
        "drafts": by_status["draft"] if organiser else [],
        "closed": by_status["closed"],
        "enrolled": enrolled,
    }
    return render(request, "tracking/questionnaires/list.html", context)


@login_required
@mfa_gate
def questionnaire_page(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    user = request.user
    owner = access.reading_owner(user, request.acting_for, page="questionnaire")
    found, membership = access.get_questionnaire_for_member(
        user, owner, slug, questionnaire_id
    )
    enrolment = questionnaires.current_enrolment(owner, found)
    latest = _responses(owner, found).first()
    context = {
        "questionnaire": found,
        "community": found.community,
        "membership": membership,
        "owner": owner,
        "is_self": owner.pk == user.pk,
        "is_organiser": _is_own_organiser(request, owner, membership),
        "may_track": access.may_track(user, request.acting_for),
        "questions": list(found.questions.order_by("position")),
        "enrolment": enrolment,
        "due": enrolment is not None and questionnaires.is_due(enrolment),
        "latest": _row(latest) if latest else None,
        "answered_once": found.interval_days == 0 and latest is not None,
        "schedule": scales.interval_label(found.interval_days),
    }
    return render(request, "tracking/questionnaires/questionnaire.html", context)


def _is_own_organiser(
    request: AuthenticatedRequest, owner: Any, membership: Membership
) -> bool:
    """An organiser, asking for themselves (not acting for a member)."""
    is_self = owner.pk == request.user.pk
    return is_self and membership.role == Membership.Role.ORGANISER


def _responses(owner: Any, found: Questionnaire) -> Any:
    return (
        QuestionnaireResponse.objects.filter(user=owner, questionnaire=found)
        .order_by("-answered_at", "-pk")
        .select_related("questionnaire")
    )


# Enrolling, leaving and answering ----------------------------------------------


def _for_recording(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> tuple[Any, Questionnaire]:
    owner = access.records_owner(request.user, request.acting_for, scope=access.TRACK)
    found, _ = access.get_questionnaire_for_member(
        request.user, owner, slug, questionnaire_id
    )
    return owner, found


def _back_after_recording(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    """The questionnaire's page shows the member's latest answers and their
    schedule: a carer who may record but not read goes to the tracking home
    instead, where they record and see nothing recorded."""
    if access.may_read(request.user, request.acting_for):
        return redirect("tracking:questionnaire", slug, questionnaire_id)
    return redirect("tracking:home")


@login_required
@require_POST
@mfa_gate
def enrol(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    owner, found = _for_recording(request, slug, questionnaire_id)
    try:
        questionnaires.enrol(request.user, owner=owner, questionnaire=found)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(
            request,
            "You will be reminded by email when it is due, and it will wait on "
            "your tracking page.",
        )
    return _back_after_recording(request, slug, questionnaire_id)


@login_required
@require_POST
@mfa_gate
def leave(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    owner, found = _for_recording(request, slug, questionnaire_id)
    questionnaires.leave(request.user, owner=owner, questionnaire=found)
    messages.success(request, "No more reminders. Your earlier answers are kept.")
    return _back_after_recording(request, slug, questionnaire_id)


@login_required
@mfa_gate
def answer(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    owner, found = _for_recording(request, slug, questionnaire_id)
    if found.status != Questionnaire.Status.OPEN:
        messages.info(request, "This questionnaire is not open for answers.")
        return _back_after_recording(request, slug, questionnaire_id)
    form = AnswerForm(posted(request), questions=found.questions.order_by("position"))
    if form.is_bound and form.is_valid():
        try:
            response = questionnaires.answer_questionnaire(
                request.user, owner=owner, questionnaire=found, answers=form.answers()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Thank you. Your answers are saved.")
            if access.may_read(request.user, request.acting_for):
                return redirect("tracking:my_response", response.pk)
            return _back_after_recording(request, slug, questionnaire_id)
    context = {
        "questionnaire": found,
        "community": found.community,
        "owner": owner,
        "is_self": owner.pk == request.user.pk,
        "form": form,
    }
    return render(request, "tracking/questionnaires/answer.html", context)


# The member's own questionnaires and responses ---------------------------------


@login_required
def my_questionnaires(request: AuthenticatedRequest) -> HttpResponse:
    owner = access.reading_owner(
        request.user, request.acting_for, page="my_questionnaires"
    )
    page = Paginator(questionnaires.responses_of(owner), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "owner": owner,
        "is_self": owner.pk == request.user.pk,
        "may_track": access.may_track(request.user, request.acting_for),
        "due": questionnaires.due_questionnaires(owner),
        "enrolments": [
            {
                "enrolment": e,
                "schedule": scales.interval_label(e.questionnaire.interval_days),
            }
            for e in questionnaires.enrolments_of(owner)
        ],
        "page": page,
        "rows": [_row(response) for response in page.object_list],
    }
    return render(request, "tracking/questionnaires/mine.html", context)


def _row(response: QuestionnaireResponse) -> dict[str, Any]:
    bands = response.questionnaire.score_bands
    return {
        "response": response,
        "score": scales.format_score(response.score),
        "band": scales.band_for(response.score, bands) if bands else "",
    }


@login_required
def my_response(request: AuthenticatedRequest, response_id: int) -> HttpResponse:
    owner = access.reading_owner(
        request.user, request.acting_for, page="questionnaire_response"
    )
    response = access.get_own_response(owner, response_id)
    answers = Answer.objects.filter(response=response).select_related("question")
    context = {
        "owner": owner,
        "is_self": owner.pk == request.user.pk,
        "may_track": access.may_track(request.user, request.acting_for),
        **_row(response),
        "answers": [
            {
                "question": a.question,
                "label": _label(a.question.choices, a.value),
                "value": a.value,
            }
            for a in answers.order_by("question__position")
        ],
    }
    return render(request, "tracking/questionnaires/response.html", context)


def _label(choices: list[dict[str, Any]], value: int) -> str:
    return next((str(c["label"]) for c in choices if c["value"] == value), str(value))


@login_required
@require_POST
def delete_response(request: AuthenticatedRequest, response_id: int) -> HttpResponse:
    owner = access.changing_owner(request.user, request.acting_for)
    response = access.get_own_response(owner, response_id)
    try:
        questionnaires.delete_response(request.user, owner=owner, response=response)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, "The response is deleted.")
    return redirect("tracking:my_questionnaires")
