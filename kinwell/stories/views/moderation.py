"""The story moderators' pages: the stories waiting, and one story's
moderation (publish, return, reject, criticality, proposed changes)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import KinwellForm, add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.accounts.models import User
from kinwell.stories import access, services
from kinwell.stories.forms.stories import (
    CriticalityForm,
    PublishForm,
    RedactionForm,
    RejectForm,
    ReturnForm,
    service_paths,
)
from kinwell.stories.models import Feeling, Story
from kinwell.stories.views.stories import story_rows

PAGE_SIZE = 50
FEELING_LABELS = dict(Feeling.choices)


@login_required
@mfa_gate
def queue(request: AuthenticatedRequest) -> HttpResponse:
    access.require_story_moderator(request.user)
    page = Paginator(_waiting(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": story_rows(page.object_list)}
    return render(request, "stories/moderation/queue.html", context)


def _waiting() -> QuerySet[Story]:
    """Stories waiting for a moderator, the longest waiting first."""
    return (
        Story.objects.filter(status=Story.Status.SUBMITTED)
        .select_related("author")
        .prefetch_related("services__organisation")
        .order_by("submitted_at", "pk")
    )


# One story ------------------------------------------------------------------------

Act = Callable[[User, Story, dict[str, Any]], Any]

# Each action: its form, what it does, what to say, and where to go next
# ("story", "queue" or "moderate").
ACTIONS: dict[str, tuple[type[KinwellForm], Act, str, str]] = {
    "publish": (
        PublishForm,
        lambda user, story, data: services.publish_story(user, story=story, **data),
        "The story is published.",
        "story",
    ),
    "return": (
        ReturnForm,
        lambda user, story, data: services.return_story(user, story=story, **data),
        "The story is returned to its author with your note.",
        "queue",
    ),
    "reject": (
        RejectForm,
        lambda user, story, data: services.reject_story(user, story=story, **data),
        "The story will not be published; its author is told.",
        "queue",
    ),
    "criticality": (
        CriticalityForm,
        lambda user, story, data: services.set_criticality(user, story=story, **data),
        "The criticality is saved.",
        "moderate",
    ),
    "redact": (
        RedactionForm,
        lambda user, story, data: services.propose_redaction(user, story=story, **data),
        "The change is proposed to the author.",
        "moderate",
    ),
}


@login_required
@mfa_gate
def moderate(request: AuthenticatedRequest, story_id: int) -> HttpResponse:
    found = access.get_story_for_moderator(request.user, story_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = {
        name: form_class(
            request.POST if name == action else None,
            auto_id=f"{name}-%s",
            initial={"criticality": found.criticality},
        )
        for name, (form_class, *_) in ACTIONS.items()
    }
    if action in ACTIONS and forms[action].is_valid():
        _, act, success, then = ACTIONS[action]
        try:
            act(request.user, found, forms[action].cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            _add_error(forms[action], error)
        else:
            messages.success(request, success)
            return redirect(_next_page(then, found))
    elif request.method == "POST" and action not in ACTIONS:
        messages.error(request, "Choose what to do with the story.")
    return render(request, "stories/moderation/story.html", _context(found, forms))


def _add_error(form: KinwellForm, error: Exception) -> None:
    if isinstance(error, ValidationError):
        add_service_errors(form, error)
    else:
        form.add_error(None, str(error) or "You cannot do that.")


def _next_page(then: str, found: Story) -> str:
    if then == "story":
        return found.get_absolute_url()
    if then == "queue":
        return reverse("stories:moderation")
    return reverse("stories:moderate", args=[found.pk])


def _context(found: Story, forms: dict[str, KinwellForm]) -> dict[str, Any]:
    linked = list(found.services.select_related("organisation"))
    paths = service_paths(linked)
    return {
        "story": found,
        "services": [
            {"path": paths[s.pk], "url": s.get_absolute_url()} for s in linked
        ],
        "feelings": [FEELING_LABELS.get(f, f) for f in found.feelings],
        "forms": forms,
        "redactions": list(found.redactions.order_by("-created_at")),
        "decisions": list(found.decisions.order_by("created_at", "pk")),
        "waiting": found.status == Story.Status.SUBMITTED,
        "can_reject": found.status in (Story.Status.SUBMITTED, Story.Status.RETURNED),
        "can_redact": found.status
        not in (Story.Status.REJECTED, Story.Status.WITHDRAWN),
    }
