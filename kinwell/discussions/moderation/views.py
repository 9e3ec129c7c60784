"""The moderation pages: flagging a post, the queue, acting on posts and
threads, sanctions, the hold count, and the log every member can read."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.communities import access as community_access
from kinwell.communities.models import Membership
from kinwell.discussions import access as discussion_access
from kinwell.discussions.models import DiscussionSettings, Flag, Post
from kinwell.discussions.moderation import access, queries, services
from kinwell.discussions.moderation import sanctions as sanction_services
from kinwell.discussions.moderation.forms import (
    FlagForm,
    HoldForm,
    ModeratorForm,
    MoveThreadForm,
    PostActionForm,
    RedactForm,
    SanctionForm,
    ThreadStateForm,
)
from kinwell.discussions.moderation.support import support_resources
from kinwell.lib.forms import first_message, posted
from kinwell.lib.ratelimit import RateLimited

PAGE_SIZE = 50
QUEUE_SIZE = 100


def _back(request: HttpRequest, default: str) -> str:
    """Where a form came from (the thread page sends `next`), if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _done(request: HttpRequest, error: ValidationError | None, success: str) -> None:
    if error is not None:
        messages.error(request, first_message(error))
    else:
        messages.success(request, success)


# Members -----------------------------------------------------------------


@login_required
def flag(request: AuthenticatedRequest, slug: str, post_id: int) -> HttpResponse:
    post = discussion_access.get_post_for_user(request.user, slug, post_id)
    form = FlagForm(posted(request))
    status = 200
    if form.is_bound and form.is_valid():
        try:
            services.flag_post(request.user, post=post, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except RateLimited:
            form.add_error(None, services.FLAG_LIMIT_MESSAGE)
            status = 429
        else:
            messages.success(
                request, "Thank you. The moderators will look at the post soon."
            )
            return redirect(_back(request, post.thread.get_absolute_url()))
    context = {
        "community": post.community,
        "post": post,
        "form": form,
        "support_resources": support_resources(),
    }
    return render(request, "discussions/moderation/flag.html", context, status=status)


def log(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_for_log_reader(request.user, slug)
    page = Paginator(queries.log_of(community), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "community": community,
        "page": page,
        "readable_threads": queries.readable_thread_ids(request.user, page),
    }
    return render(request, "discussions/moderation/log.html", context)


# The queue and posts -----------------------------------------------------


@login_required
@mfa_gate
def queue(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = community_access.get_community_for_moderator(
        request.user, slug
    )
    context = {
        "community": community,
        "membership": membership,
        "flags": list(queries.open_flags(community)[:QUEUE_SIZE]),
        "held": list(queries.held_posts(community)[:QUEUE_SIZE]),
        "queue_size": QUEUE_SIZE,
    }
    return render(request, "discussions/moderation/queue.html", context)


@login_required
@mfa_gate
def moderate_post(
    request: AuthenticatedRequest, slug: str, post_id: int
) -> HttpResponse:
    post = access.get_post_for_moderator(request.user, slug, post_id)
    form = PostActionForm(posted(request))
    if form.is_bound:
        error = _act_on_post(request, post, form)
        if error is None:
            return redirect(_back(request, post.thread.get_absolute_url()))
    flags = Flag.objects.filter(post=post).select_related("reporter")
    context = {
        "community": post.community,
        "post": post,
        "form": form,
        "flags": flags.order_by("-created_at"),
    }
    return render(request, "discussions/moderation/post.html", context)


DONE = {
    "approve": "The post is published.",
    "reject": "The post is declined.",
    "hide": "The post is hidden.",
    "unhide": "The post is shown again.",
}


def _act_on_post(
    request: AuthenticatedRequest, post: Post, form: PostActionForm
) -> ValidationError | None:
    if not form.is_valid():
        return ValidationError("Choose what to do with the post.")
    data = form.cleaned_data
    act = services.POST_ACTIONS[data["action"]]
    try:
        act(request.user, post=post, reason=data["reason"], signed=data["signed"])
    except ValidationError as error:
        add_service_errors(form, error)
        return error
    messages.success(request, DONE[data["action"]])
    return None


@login_required
@mfa_gate
def redact(request: AuthenticatedRequest, slug: str, post_id: int) -> HttpResponse:
    post = access.get_post_for_moderator(request.user, slug, post_id)
    initial = {"body": post.body, "reason": services.REDACTED_REASON}
    form = RedactForm(posted(request), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.redact_post(request.user, post=post, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The personal information is gone.")
            return redirect(post.thread.get_absolute_url())
    context = {"community": post.community, "post": post, "form": form}
    return render(request, "discussions/moderation/redact.html", context)


@login_required
@require_POST
@mfa_gate
def dismiss_flag(
    request: AuthenticatedRequest, slug: str, flag_id: int
) -> HttpResponse:
    found = access.get_flag_for_moderator(request.user, slug, flag_id)
    form = ModeratorForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.dismiss_flag(request.user, flag=found, **form.cleaned_data)
        except ValidationError as failed:
            error = failed
    _done(request, error, "The flag is dismissed; the post stays.")
    return redirect(
        _back(request, reverse("discussions:moderation_queue", args=[slug]))
    )


# Threads -----------------------------------------------------------------


@login_required
@require_POST
@mfa_gate
def thread_state(
    request: AuthenticatedRequest, slug: str, thread_id: int
) -> HttpResponse:
    thread, _ = access.get_thread_for_moderator(request.user, slug, thread_id)
    form = ThreadStateForm(request.POST)
    error: ValidationError | None = ValidationError("Choose what to do.")
    if form.is_valid():
        try:
            services.set_thread_state(request.user, thread=thread, **form.cleaned_data)
            error = None
        except ValidationError as failed:
            error = failed
    _done(request, error, "The thread is changed.")
    return redirect(_back(request, thread.get_absolute_url()))


@login_required
@mfa_gate
def move_thread(
    request: AuthenticatedRequest, slug: str, thread_id: int
) -> HttpResponse:
    thread, _ = access.get_thread_for_moderator(request.user, slug, thread_id)
    destinations = services.move_destinations(request.user, thread.community)
    form = MoveThreadForm(posted(request), destinations=destinations)
    if form.is_bound and form.is_valid():
        try:
            services.move_thread(request.user, thread=thread, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The thread is now in {thread.community.name}.")
            return redirect(thread.get_absolute_url())
    context = {
        "community": thread.community,
        "thread": thread,
        "form": form,
        "destinations": destinations,
    }
    return render(request, "discussions/moderation/move.html", context)


# Members' sanctions and settings ------------------------------------------


@login_required
@mfa_gate
def sanctions(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = community_access.get_community_for_moderator(
        request.user, slug
    )
    form = SanctionForm(
        posted(request),
        members=_sanctionable(community, request.user),
        initial={"member": request.GET.get("member")},
    )
    if form.is_bound and form.is_valid() and _sanction(request, community, form):
        return redirect("discussions:moderation_sanctions", slug)
    page = Paginator(queries.sanctions_of(community), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "community": community,
        "membership": membership,
        "form": form,
        "page": page,
    }
    return render(request, "discussions/moderation/sanctions.html", context)


def _sanctionable(community: Any, user: Any) -> list[tuple[int, str]]:
    # Communities stay small (a size cap of 150), so one list fits a page.
    found = community_access.members_of(community).exclude(
        role=Membership.Role.ORGANISER
    )
    return [(m.user_id, m.user.public_name) for m in found.exclude(user=user)]


def _sanction(
    request: AuthenticatedRequest, community: Any, form: SanctionForm
) -> bool:
    data = form.cleaned_data
    member = community_access.get_member(community, data["member"])
    common = {
        "community": community,
        "member": member,
        "reason": data["reason"],
        "signed": data["signed"],
    }
    try:
        if data["kind"] == "warning":
            sanction_services.warn_member(request.user, **common)
        elif data["kind"] == "ban":
            sanction_services.ban_member(request.user, **common)
        else:
            until = timezone.now() + timedelta(days=data["days"])
            sanction_services.suspend_member(request.user, until=until, **common)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    messages.success(request, f"Done. {member.public_name} has been told by email.")
    return True


@login_required
@require_POST
@mfa_gate
def lift_sanction(
    request: AuthenticatedRequest, slug: str, sanction_id: int
) -> HttpResponse:
    sanction = access.get_sanction_for_moderator(request.user, slug, sanction_id)
    form = ModeratorForm(request.POST)
    error = None
    if form.is_valid():
        try:
            sanction_services.lift_sanction(
                request.user, sanction=sanction, **form.cleaned_data
            )
        except ValidationError as failed:
            error = failed
    _done(request, error, "The sanction is lifted.")
    return redirect("discussions:moderation_sanctions", slug)


@login_required
@mfa_gate
def hold_settings(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = community_access.get_community_for_organiser(
        request.user, slug
    )
    current = DiscussionSettings.objects.filter(community=community).first()
    initial = {"hold_first_posts": current.hold_first_posts if current else 0}
    form = HoldForm(posted(request), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.set_hold_first_posts(
                request.user,
                community=community,
                count=form.cleaned_data["hold_first_posts"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The discussion settings are saved.")
            return redirect("discussions:moderation_settings", slug)
    context = {"community": community, "membership": membership, "form": form}
    return render(request, "discussions/moderation/settings.html", context)
