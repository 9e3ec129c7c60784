"""The staff loop's pages: replying to a story, rating a reply helpful,
"I've experienced this too", moderating replies, the staff dashboard and
alerts. The story page itself (kinwell.stories.views.stories) shows the
replies and the staff panel with kinwell.stories.replies.story_context."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.lib.forms import first_message, posted
from kinwell.stories import access, alerts, replies
from kinwell.stories.forms.staff import (
    AlertForm,
    DashboardForm,
    ModerateReplyForm,
    ReplyForm,
)
from kinwell.stories.models import (
    Service,
    StaffAlert,
    StaffMembership,
    StaffReply,
    Story,
    StoryRead,
)

PAGE_SIZE = 20

# Replies ------------------------------------------------------------------------


@login_required
@require_POST
@mfa_gate
def reply(request: AuthenticatedRequest, story_id: int) -> HttpResponse:
    story = access.get_story_for_user(request.user, story_id)
    access.responder_role(request.user, story)
    form = ReplyForm(request.POST, auto_id="reply-%s")
    if form.is_valid():
        try:
            written = replies.reply_to_story(
                request.user, story=story, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _say_how_it_went(request, written)
            return redirect(f"{story.get_absolute_url()}#reply-{written.pk}")
    context = {"story": story, "reply_form": form}
    return render(request, "stories/staff/reply.html", context)


def _say_how_it_went(request: HttpRequest, written: StaffReply) -> None:
    if written.is_public:
        messages.success(request, "Your reply is published.")
    else:
        messages.info(
            request,
            "Thank you. Your reply waits for a moderator, as a responder's "
            "first replies do. Only you and the moderators see it until then.",
        )
    if written.change:
        messages.info(request, "A moderator will confirm the change you marked.")


@login_required
@require_POST
def helpful(request: AuthenticatedRequest, reply_id: int) -> HttpResponse:
    found = access.get_reply_for_user(request.user, reply_id)
    error = _refusal(lambda: replies.toggle_helpful(request.user, reply=found))
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            messages.error(request, error)
        return redirect(f"{found.story.get_absolute_url()}#reply-{found.pk}")
    context = {**replies.helpful_state(request.user, found), "helpful_error": error}
    return render(request, "stories/_replies.html#helpful", context)


@login_required
@require_POST
def echo(request: AuthenticatedRequest, story_id: int) -> HttpResponse:
    story = access.get_story_for_user(request.user, story_id)
    if not story.is_public:
        raise Http404
    error = _refusal(lambda: replies.toggle_echo(request.user, story=story))
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            messages.error(request, error)
        return redirect(f"{story.get_absolute_url()}#echo")
    context = {
        **replies.echo_state(request.user, story),
        "story": story,
        "can_echo": story.author_id != request.user.pk,
        "echo_error": error,
    }
    return render(request, "stories/_staff_panel.html#echo", context)


def _refusal(action: Any) -> str:
    """The service's refusal in words, or "" when it went through."""
    try:
        action()
    except ValidationError as refused:
        return first_message(refused)
    except PermissionDenied as refused:
        return str(refused) or "You cannot do that here."
    return ""


@login_required
@require_POST
@mfa_gate
def moderate_reply(request: AuthenticatedRequest, reply_id: int) -> HttpResponse:
    found = access.get_reply_for_moderator(request.user, reply_id)
    form = ModerateReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to publish, refuse or confirm.")
    else:
        error = _refusal(lambda: _moderate(request.user, found, form.cleaned_data))
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"Reply {found.pk}: done.")
    return redirect(_back(request, form, found))


def _moderate(actor: Any, found: StaffReply, data: dict[str, Any]) -> None:
    if data["action"] == "publish":
        replies.publish_reply(actor, reply=found, confirm_change=data["confirm_change"])
    elif data["action"] == "reject":
        replies.reject_reply(actor, reply=found, note=data["note"])
    else:
        replies.confirm_change(actor, reply=found)


def _back(request: HttpRequest, form: ModerateReplyForm, found: StaffReply) -> str:
    """Back where the moderator acted: the queue or the story."""
    wanted = form.cleaned_data.get("next", "") if form.is_valid() else ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(wanted)
    return f"{found.story.get_absolute_url()}#reply-{found.pk}"


# The dashboard ------------------------------------------------------------------


def _services_of(roles: list[StaffMembership]) -> list[Service]:
    """The trees of the user's organisations, parents before children."""
    return list(
        Service.objects.filter(organisation_id__in=[r.organisation_id for r in roles])
        .select_related("organisation")
        .order_by("organisation__name", "path")
    )


@login_required
@mfa_gate
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    roles = access.require_staff(request.user)
    services = _services_of(roles)
    form = DashboardForm(request.GET or None, services=services)
    filters = form.cleaned_data if form.is_valid() else {}
    found = _dashboard_stories(request.user, services, filters)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for story in page.object_list:
        story.criticality_meaning = replies.criticality_meaning(  # type: ignore[attr-defined]
            story.criticality
        )
    context = {"roles": roles, "form": form, "page": page}
    return render(request, "stories/staff/dashboard.html", context)


def _dashboard_stories(
    user: Any, services: list[Service], filters: dict[str, Any]
) -> QuerySet[Story]:
    stories = access.stories_for_staff(user)
    wanted = filters.get("service")
    chosen = [service for service in services if service.pk == wanted]
    if chosen:
        stories = stories.about(chosen[0])
    if filters.get("unread"):
        stories = stories.exclude(
            pk__in=StoryRead.objects.filter(user=user).values("story_id")
        )
    if filters.get("min_criticality") is not None:
        stories = stories.filter(criticality__gte=filters["min_criticality"])
    read = StoryRead.objects.filter(story=OuterRef("pk"), user=user)
    return (
        stories.annotate(read_by_me=Exists(read))
        .prefetch_related(
            Prefetch(
                "services", queryset=Service.objects.select_related("organisation")
            )
        )
        .order_by("-published_at", "-pk")
    )


# Alerts ---------------------------------------------------------------------------


@login_required
@mfa_gate
def alert_list(request: AuthenticatedRequest) -> HttpResponse:
    roles = access.require_staff(request.user)
    form = AlertForm(posted(request), roles=roles, services=_services_of(roles))
    if form.is_bound and form.is_valid():
        try:
            alerts.add_alert(request.user, **form.alert_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your alert is set.")
            return redirect("stories:alerts")
    mine = StaffAlert.objects.filter(staff__user=request.user).select_related(
        "staff__organisation", "service"
    )
    context = {"alerts": mine.order_by("staff__organisation__name", "pk"), "form": form}
    return render(request, "stories/staff/alerts.html", context)


@login_required
@require_POST
@mfa_gate
def delete_alert(request: AuthenticatedRequest, alert_id: int) -> HttpResponse:
    access.require_staff(request.user)
    found = get_object_or_404(
        StaffAlert.objects.select_related("staff"),
        pk=alert_id,
        staff__user=request.user,
    )
    alerts.remove_alert(request.user, alert=found)
    messages.success(request, "The alert is removed.")
    return redirect("stories:alerts")
