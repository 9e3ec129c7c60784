"""The circle pages: a community's circles and invitations, a new circle, a
circle, the keys of this device, and the moderators' circle reports.

The server cannot read a circle, so each page is a shell the pinned circle
scripts fill in (`#circle-app`, served under `circle_page`'s policy). What
the server knows anyway it renders itself: who has a seat, invitations,
and the text a reporter chose to reveal. Every circle is reached through
kinwell.circles.access: 404 for anyone without a seat, moderators,
organisers and the installation's administrators included."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix
from django.views.decorators.http import require_POST

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.circles import access, reads, services
from kinwell.circles.forms import InviteForm, ReportDecisionForm
from kinwell.circles.models import (
    MAX_CIRCLE_MEMBERS,
    SEATED_STATES,
    Circle,
    CircleMembership,
    Device,
)
from kinwell.circles.scripts import circle_page
from kinwell.communities import access as community_access
from kinwell.communities.models import Community
from kinwell.lib.forms import first_message
from kinwell.lib.markdown import render_markdown

REPORTS_SHOWN = 100


def _app(
    request: AuthenticatedRequest,
    page: str,
    community: Community | None = None,
    circle: Circle | None = None,
) -> dict[str, Any]:
    """What the circle scripts read from `#circle-app`."""
    return {
        "user": request.user.pk,
        "community": community.slug if community else "",
        "circle": circle.uid if circle else "",
        "page": page,
        "api": f"{get_script_prefix()}api/v1/",
    }


# A community's circles ------------------------------------------------------


@login_required
@circle_page
def circle_list(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, _ = community_access.get_community_for_member(request.user, slug)
    lists = reads.circle_lists(
        list(access.my_circles(request.user, community)),
        list(access.my_circle_invitations(request.user, community)),
    )
    context = {
        "community": community,
        **lists,
        "app": _app(request, "list", community),
    }
    return render(request, "circles/list.html", context)


@login_required
@circle_page
def new_circle(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, _ = community_access.get_community_for_member(request.user, slug)
    context = {
        "community": community,
        "max_members": MAX_CIRCLE_MEMBERS,
        "app": _app(request, "new", community),
    }
    return render(request, "circles/new.html", context)


@login_required
@circle_page
def keys(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "circles/keys.html", {"app": _app(request, "keys")})


# One circle ---------------------------------------------------------------


@login_required
@circle_page
def detail(request: AuthenticatedRequest, uid: str) -> HttpResponse:
    circle, seat = access.get_seat(request.user, uid)
    if seat.state != CircleMembership.State.JOINED:
        # Invited or waiting for keys: their circles page says which, and
        # has the buttons to answer.
        return redirect("circles:list", circle.community.slug)
    return _render_detail(request, circle, seat)


def _render_detail(
    request: AuthenticatedRequest,
    circle: Circle,
    seat: CircleMembership,
    invite_form: InviteForm | None = None,
) -> HttpResponse:
    members = list(_seated(circle))
    if seat.is_admin and invite_form is None:
        invite_form = InviteForm(circle=circle)
    context = {
        "community": circle.community,
        "circle": circle,
        "seat": seat,
        "members": members,
        "max_members": MAX_CIRCLE_MEMBERS,
        "is_full": len(members) >= MAX_CIRCLE_MEMBERS,
        "invite_form": invite_form,
        "has_candidates": invite_form is not None and invite_form.has_candidates(),
        "app": _app(request, "detail", circle.community, circle),
    }
    return render(request, "circles/detail.html", context)


def _seated(circle: Circle) -> QuerySet[CircleMembership]:
    """Who holds a seat: what the server knows anyway, so it shows it."""
    return (
        CircleMembership.objects.filter(circle=circle, state__in=SEATED_STATES)
        .select_related("user")
        .order_by("role", "user__display_name", "pk")
    )


@login_required
@require_POST
@circle_page
def invite(request: AuthenticatedRequest, uid: str) -> HttpResponse:
    circle, seat = access.get_circle_for_admin(request.user, uid)
    form = InviteForm(request.POST, circle=circle)
    if form.is_valid():
        invitee = form.cleaned_data["user"]
        try:
            services.invite_to_circle(
                request.user,
                circle=circle,
                invitee=invitee,
                signer=_own_device(request.user, form.cleaned_data["signer"]),
                signature=form.cleaned_data["signature"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{invitee.public_name} is invited. They answer on the community's "
                "circles page.",
            )
            return redirect("circles:detail", circle.uid)
    return _render_detail(request, circle, seat, invite_form=form)


def _own_device(user: Any, device_id: int | None) -> Device | None:
    """The device a form names, if it is `user`'s; the service refuses None."""
    if device_id is None:
        return None
    try:
        return access.get_own_device(user, device_id)
    except Http404:
        return None


@login_required
@require_POST
def accept(request: AuthenticatedRequest, uid: str) -> HttpResponse:
    circle, invitation = access.get_circle_invitation(request.user, uid)
    _attempt(
        request,
        lambda: services.accept_circle_invitation(request.user, membership=invitation),
        "You accepted. You can read the circle once a circle admin's device has "
        "added you to its member list: this happens the next time an admin opens "
        "the circle.",
    )
    return redirect("circles:list", circle.community.slug)


@login_required
@require_POST
def decline(request: AuthenticatedRequest, uid: str) -> HttpResponse:
    circle, invitation = access.get_circle_invitation(request.user, uid)
    _attempt(
        request,
        lambda: services.decline_circle_invitation(request.user, membership=invitation),
        "You declined the invitation.",
    )
    return redirect("circles:list", circle.community.slug)


@login_required
@require_POST
def leave(request: AuthenticatedRequest, uid: str) -> HttpResponse:
    circle, seat = access.get_seat(request.user, uid)
    if _attempt(
        request,
        lambda: services.leave_circle(request.user, membership=seat),
        "You left the circle.",
    ):
        return redirect("circles:list", circle.community.slug)
    return redirect("circles:detail", circle.uid)


def _attempt(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Runs a service call for a button with no fields: its refusal, if any,
    is the page's message."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, first_message(error))
        return False
    messages.success(request, success)
    return True


# Moderators: reported circle messages ---------------------------------------


@login_required
@mfa_gate
def reports(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = community_access.get_community_for_moderator(
        request.user, slug
    )
    found = access.open_reports(community)[:REPORTS_SHOWN]
    context = {
        "community": community,
        "membership": membership,
        "reports": [
            (report, render_markdown(report.revealed_text)) for report in found
        ],
        "shown": REPORTS_SHOWN,
    }
    return render(request, "circles/reports.html", context)


DECIDED = {
    "dismiss": "The report is dismissed. The message stays.",
    "remove": "The message is removed. The circle's members see that it was.",
}


@login_required
@require_POST
@mfa_gate
def decide_report(
    request: AuthenticatedRequest, slug: str, report_id: int
) -> HttpResponse:
    community, report = access.get_report_for_moderator(request.user, slug, report_id)
    form = ReportDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Choose whether to dismiss the report or remove the message."
        )
    else:
        action = form.cleaned_data["action"]
        _attempt(
            request,
            lambda: services.decide_report(
                request.user, report=report, remove_message=action == "remove"
            ),
            DECIDED[action],
        )
    return redirect("circles:reports", community.slug)
