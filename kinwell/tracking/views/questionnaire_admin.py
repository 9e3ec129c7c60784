"""Questionnaires as organisers write them: a new draft, its settings, its
questions (add, change, move, remove, while it is a draft), opening,
closing, deleting a draft, and the results, as aggregates only. Every page
needs the organiser role and two-factor authentication
(get_community_for_organiser)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.communities import access as community_access
from kinwell.lib.forms import first_message, posted
from kinwell.tracking import access, questionnaires
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.forms.questionnaires import (
    MoveForm,
    QuestionForm,
    QuestionnaireForm,
    question_initial,
    questionnaire_initial,
)
from kinwell.tracking.models import Questionnaire
from kinwell.tracking.questionnaire_results import (
    SMALLEST_COUNT,
    results_for_organisers,
)


def _back(found: Questionnaire, name: str = "questionnaire") -> HttpResponse:
    return redirect(f"tracking:{name}", found.community.slug, found.pk)


# The questionnaire itself ------------------------------------------------------


@login_required
@mfa_gate
def new_questionnaire(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = community_access.get_community_for_organiser(
        request.user, slug
    )
    form = QuestionnaireForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            found = questionnaires.create_questionnaire(
                request.user, community=community, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The draft is saved. Now add its questions.")
            return _back(found, "questions")
    context = {"community": community, "membership": membership, "form": form}
    return render(request, "tracking/questionnaires/settings.html", context)


@login_required
@mfa_gate
def edit_questionnaire(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    found, membership = access.get_questionnaire_for_organiser(
        request.user, slug, questionnaire_id
    )
    if found.status == Questionnaire.Status.CLOSED:
        messages.info(request, "A closed questionnaire cannot be changed.")
        return _back(found)
    form = QuestionnaireForm(posted(request), initial=questionnaire_initial(found))
    if form.is_bound and form.is_valid():
        try:
            questionnaires.update_questionnaire(
                request.user, questionnaire=found, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The questionnaire is saved.")
            return _back(found)
    context = {
        "community": found.community,
        "membership": membership,
        "questionnaire": found,
        "form": form,
    }
    return render(request, "tracking/questionnaires/settings.html", context)


def _organiser_action(
    request: AuthenticatedRequest,
    slug: str,
    questionnaire_id: int,
    action: Any,
    done: str,
) -> HttpResponse:
    found, _ = access.get_questionnaire_for_organiser(
        request.user, slug, questionnaire_id
    )
    try:
        action(request.user, questionnaire=found)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, done)
    return _back(found)


@login_required
@require_POST
@mfa_gate
def open_questionnaire(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    done = "It is open: members can now choose to be reminded, and answer."
    return _organiser_action(
        request, slug, questionnaire_id, questionnaires.open_questionnaire, done
    )


@login_required
@require_POST
@mfa_gate
def close_questionnaire(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    done = "It is closed: no more answers or reminders. Members keep theirs."
    return _organiser_action(
        request, slug, questionnaire_id, questionnaires.close_questionnaire, done
    )


@login_required
@require_POST
@mfa_gate
def delete_questionnaire(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    found, _ = access.get_questionnaire_for_organiser(
        request.user, slug, questionnaire_id
    )
    try:
        questionnaires.delete_questionnaire(request.user, questionnaire=found)
    except ValidationError as error:
        messages.error(request, first_message(error))
        return _back(found)
    messages.success(request, "The draft is deleted.")
    return redirect("tracking:questionnaires", slug)


# Questions ---------------------------------------------------------------------


@login_required
@mfa_gate
def questions(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    found, membership = access.get_questionnaire_for_organiser(
        request.user, slug, questionnaire_id
    )
    form = QuestionForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            questionnaires.add_question(
                request.user,
                questionnaire=found,
                text=form.cleaned_data["text"],
                choices=form.cleaned_data["choices"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The question is added.")
            return _back(found, "questions")
    context = {
        "community": found.community,
        "membership": membership,
        "questionnaire": found,
        "questions": list(found.questions.order_by("position")),
        "form": form,
        "is_draft": found.status == Questionnaire.Status.DRAFT,
    }
    return render(request, "tracking/questionnaires/questions.html", context)


@login_required
@mfa_gate
def edit_question(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int, question_id: int
) -> HttpResponse:
    found, membership = access.get_questionnaire_for_organiser(
        request.user, slug, questionnaire_id
    )
    question = access.get_question_for_organiser(found, question_id)
    form = QuestionForm(posted(request), initial=question_initial(question))
    if form.is_bound and form.is_valid():
        try:
            questionnaires.update_question(
                request.user,
                question=question,
                text=form.cleaned_data["text"],
                choices=form.cleaned_data["choices"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The question is saved.")
            return _back(found, "questions")
    context = {
        "community": found.community,
        "membership": membership,
        "questionnaire": found,
        "question": question,
        "form": form,
    }
    return render(request, "tracking/questionnaires/question_form.html", context)


@login_required
@require_POST
@mfa_gate
def move_question(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int, question_id: int
) -> HttpResponse:
    found, _ = access.get_questionnaire_for_organiser(
        request.user, slug, questionnaire_id
    )
    question = access.get_question_for_organiser(found, question_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose up or down.")
        return _back(found, "questions")
    up = form.cleaned_data["direction"] == "up"
    try:
        questionnaires.move_question(request.user, question=question, up=up)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, f"Question {question.position} is moved.")
    return _back(found, "questions")


@login_required
@require_POST
@mfa_gate
def remove_question(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int, question_id: int
) -> HttpResponse:
    found, _ = access.get_questionnaire_for_organiser(
        request.user, slug, questionnaire_id
    )
    question = access.get_question_for_organiser(found, question_id)
    try:
        questionnaires.remove_question(request.user, question=question)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, "The question is removed.")
    return _back(found, "questions")


# Results -----------------------------------------------------------------------


@login_required
@mfa_gate
def results(
    request: AuthenticatedRequest, slug: str, questionnaire_id: int
) -> HttpResponse:
    found, membership = access.get_questionnaire_for_organiser(
        request.user, slug, questionnaire_id
    )
    context = {
        "community": found.community,
        "membership": membership,
        "questionnaire": found,
        "results": results_for_organisers(found),
        "smallest": SMALLEST_COUNT,
        "schedule": scales.interval_label(found.interval_days),
    }
    return render(request, "tracking/questionnaires/results.html", context)
