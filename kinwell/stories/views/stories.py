"""A story's page, telling and editing a story, withdrawing it, answering
a moderator's proposed change, the author's own list, and the moderation
principles."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.discussions.models import Post
from kinwell.lib.forms import first_message, posted
from kinwell.lib.htmx import render_page_or_partial
from kinwell.lib.visitor_pages import same_for_every_visitor
from kinwell.stories import access, services
from kinwell.stories import replies as staff_loop
from kinwell.stories.forms.stories import (
    RedactionAnswerForm,
    StoryForm,
    service_paths,
    story_initial,
)
from kinwell.stories.models import (
    Feeling,
    Redaction,
    Service,
    Story,
)

PAGE_SIZE = 25
FEELING_LABELS = dict(Feeling.choices)

# A story's page ---------------------------------------------------------------------


@same_for_every_visitor
def story(request: HttpRequest, story_id: int) -> HttpResponse:
    user = request.user
    found = access.get_story_for_user(user, story_id)
    staff_loop.record_read(user, found)
    is_author = found.author_id == user.pk
    context: dict[str, Any] = {
        "story": found,
        "services": _services_of(found),
        "feelings": [FEELING_LABELS.get(f, f) for f in found.feelings],
        "is_author": is_author,
        "is_moderator": access.is_story_moderator(user),
        "waiting_redactions": _waiting_redactions(found) if is_author else [],
    }
    context |= staff_loop.story_context(user, found)
    return render(request, "stories/story.html", context)


def _services_of(found: Story) -> list[dict[str, Any]]:
    """The services a story is about, each with its place in its
    organisation and its page."""
    linked = list(found.services.select_related("organisation"))
    paths = service_paths(linked)
    return [
        {"path": paths[s.pk], "url": s.get_absolute_url(), "pk": s.pk} for s in linked
    ]


def _waiting_redactions(found: Story) -> list[Redaction]:
    return list(found.redactions.filter(status=Redaction.Status.PROPOSED))


def principles(request: HttpRequest) -> HttpResponse:
    return render(request, "stories/principles.html")


# Telling and editing -----------------------------------------------------------------


@login_required
def tell(request: AuthenticatedRequest) -> HttpResponse:
    source = _source_post(request)
    chosen = request.GET.getlist("service")
    form = _story_form(request, _tell_initial(source), chosen)
    if _finding(request):
        return _render_form(request, form, None)
    if form.is_bound and form.is_valid():
        try:
            told = services.tell_story(
                request.user, source_post=source, **form.story_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "Thank you. Your story is waiting for a moderator; we will email "
                "you when it is published or if they have a question.",
            )
            return redirect(told)
    return _render_form(request, form, None)


@login_required
def edit(request: AuthenticatedRequest, story_id: int) -> HttpResponse:
    found = access.get_own_story(request.user, story_id)
    if not found.is_editable:
        messages.info(request, "A story can be changed only until it is published.")
        return redirect(found)
    chosen = list(found.services.values_list("pk", flat=True))
    form = _story_form(request, story_initial(found), chosen)
    if _finding(request):
        return _render_form(request, form, found)
    if form.is_bound and form.is_valid():
        try:
            services.edit_story(request.user, story=found, **form.story_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your story is changed.")
            return redirect(found)
    return _render_form(request, form, found)


def _finding(request: HttpRequest) -> bool:
    """ "Find services" pressed: the form comes back with the matches and
    everything typed so far, and nothing is saved."""
    return request.method == "POST" and "find" in request.POST


def _story_form(
    request: HttpRequest, initial: dict[str, Any], chosen: list[Any]
) -> StoryForm:
    if _finding(request):
        form = StoryForm(initial=_as_initial(request.POST))
        form.setup(request.POST.get("q", ""), request.POST.getlist("services"))
        return form
    form = StoryForm(posted(request), initial=initial)
    form.setup(request.GET.get("q", ""), chosen)
    return form


def _as_initial(data: QueryDict) -> dict[str, Any]:
    multiple = {"services", "feelings"}
    return {
        name: values if name in multiple else values[-1]
        for name, values in data.lists()
        if name in StoryForm.base_fields
    }


def _render_form(
    request: HttpRequest, form: StoryForm, found: Story | None
) -> HttpResponse:
    action = (
        reverse("stories:edit", args=[found.pk]) if found else reverse("stories:tell")
    )
    context = {"form": form, "story": found, "action": action}
    return render_page_or_partial(request, "stories/tell.html", "picker", context)


def _source_post(request: HttpRequest) -> Post | None:
    """The discussion post a story starts from (`?from_post=`, then the
    form's hidden field): the reader's own, or Http404."""
    if request.method == "POST":
        wanted = request.POST.get("source_post", "")
    else:
        wanted = request.GET.get("from_post", "")
    if not wanted.isdecimal():
        return None
    return access.get_own_post_for_story(request.user, int(wanted))


def _tell_initial(source: Post | None) -> dict[str, Any]:
    initial: dict[str, Any] = {"pseudonym": services.make_pseudonym()}
    if source is not None:
        initial["what_happened"] = source.body
        initial["source_post"] = source.pk
        if source.number == 1:
            initial["title"] = source.thread.title
    return initial


# After telling -----------------------------------------------------------------------


@login_required
@require_POST
def withdraw(request: AuthenticatedRequest, story_id: int) -> HttpResponse:
    found = access.get_own_story(request.user, story_id)
    try:
        services.withdraw_story(request.user, story=found)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, "Your story is withdrawn: it is off the site.")
    return redirect("stories:mine")


@login_required
@require_POST
def redaction(
    request: AuthenticatedRequest, story_id: int, redaction_id: int
) -> HttpResponse:
    found = access.get_own_story(request.user, story_id)
    proposed = access.get_own_redaction(request.user, found, redaction_id)
    form = RedactionAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Accept or decline the change.")
        return redirect(_back(request))
    accept = form.cleaned_data["answer"] == "accept"
    answer = services.accept_redaction if accept else services.decline_redaction
    try:
        answer(request.user, redaction=proposed)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(
            request,
            "The change is made." if accept else "The words stay as you wrote them.",
        )
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """Where the form came from (`next`), if it is ours; else the author's list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("stories:mine")


@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(_own_stories(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "rows": story_rows(page.object_list)}
    return render(request, "stories/mine.html", context)


def story_rows(stories: Any) -> list[dict[str, Any]]:
    """Each story with the paths of its services (prefetched with their
    organisations), for lists."""
    stories = list(stories)
    paths = service_paths(s for told in stories for s in told.services.all())
    return [
        {"story": told, "services": [paths[s.pk] for s in told.services.all()]}
        for told in stories
    ]


def _own_stories(user: Any) -> QuerySet[Story]:
    waiting = Redaction.objects.filter(status=Redaction.Status.PROPOSED).order_by("pk")
    return (
        access.readable_stories(user)
        .filter(author=user)
        .prefetch_related(
            Prefetch("redactions", queryset=waiting, to_attr="waiting"),
            Prefetch(
                "services", queryset=Service.objects.select_related("organisation")
            ),
        )
        .order_by("-created_at", "-pk")
    )
