"""The only door to circles and what belongs to them.

A circle exists only for the people with a seat in it (invited, accepted or
joined): everyone else gets Http404, whatever their role, the community's
moderators and organisers and the installation's administrators included.
Moderators reach the reports of circle messages through the community, and
nothing else of the circle."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from kinwell.accounts.models import User
from kinwell.circles.models import (
    SEATED_STATES,
    Circle,
    CircleMembership,
    Device,
    Message,
    Report,
)
from kinwell.circles.reads import circle_state
from kinwell.communities import access as community_access
from kinwell.communities.models import Community

State = CircleMembership.State

__all__ = [
    "circle_state",
    "get_circle_for_admin",
    "get_circle_for_member",
    "get_circle_invitation",
    "get_message_in_circle",
    "get_own_device",
    "get_report_for_moderator",
    "get_seat",
    "my_circle_invitations",
    "my_circles",
    "open_reports",
]


def _seat(user: Any, uid: str, states: Any) -> tuple[Circle, CircleMembership]:
    if not getattr(user, "is_authenticated", False):
        raise Http404("Not found")
    found = (
        CircleMembership.objects.select_related("circle__community", "user")
        .filter(circle__uid=uid, user=user, state__in=states)
        .first()
    )
    if found is None:
        raise Http404("Not found")
    return found.circle, found


def get_circle_for_member(user: Any, uid: str) -> tuple[Circle, CircleMembership]:
    """A circle `user` has joined, with their membership; Http404 otherwise."""
    return _seat(user, uid, [State.JOINED])


def get_circle_for_admin(user: Any, uid: str) -> tuple[Circle, CircleMembership]:
    """A circle `user` has joined as an admin. Http404 to outsiders;
    PermissionDenied to its other members."""
    circle, membership = get_circle_for_member(user, uid)
    if not membership.is_admin:
        raise PermissionDenied("This is for the circle's admins.")
    return circle, membership


def get_circle_invitation(user: Any, uid: str) -> tuple[Circle, CircleMembership]:
    """A circle `user` is invited to and has not answered; Http404 otherwise."""
    return _seat(user, uid, [State.INVITED])


def get_seat(user: Any, uid: str) -> tuple[Circle, CircleMembership]:
    """A circle `user` holds a seat in: invited, accepted or joined."""
    return _seat(user, uid, list(SEATED_STATES))


def get_own_device(user: Any, device_id: int) -> Device:
    """One of `user`'s devices or keys, in any state; Http404 otherwise."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("Not found")
    return get_object_or_404(Device, pk=device_id, user=user)


def my_circles(user: User, community: Community) -> QuerySet[CircleMembership]:
    """`user`'s seats in the circles of `community` they accepted or joined,
    with their circles, most recently active first."""
    return (
        CircleMembership.objects.filter(
            user=user, community=community, state__in=[State.ACCEPTED, State.JOINED]
        )
        .select_related("circle")
        .order_by(
            F("circle__last_message_at").desc(nulls_last=True),
            "-circle__created_at",
            "-pk",
        )
    )


def my_circle_invitations(
    user: User, community: Community | None = None
) -> QuerySet[CircleMembership]:
    """Invitations `user` has not answered, newest first, with the circle, its
    community and who invited them."""
    found = CircleMembership.objects.filter(user=user, state=State.INVITED)
    if community is not None:
        found = found.filter(community=community)
    return found.select_related("circle__community", "invited_by").order_by(
        "-invited_at", "-pk"
    )


def get_message_in_circle(circle: Circle, message_id: int) -> Message:
    return get_object_or_404(Message, pk=message_id, circle=circle)


def open_reports(community: Community) -> QuerySet[Report]:
    """Reports of `community`'s circle messages waiting for a moderator,
    oldest first."""
    return (
        Report.objects.filter(community=community, status=Report.Status.OPEN)
        .select_related("reporter", "message")
        .order_by("created_at", "pk")
    )


def get_report_for_moderator(
    user: Any, slug: str, report_id: int
) -> tuple[Community, Report]:
    """A report of the community's circles, for its organisers and moderators
    (with two-factor authentication)."""
    community, _ = community_access.get_community_for_moderator(user, slug)
    report = get_object_or_404(
        Report.objects.select_related("reporter", "message", "community"),
        pk=report_id,
        community=community,
    )
    return community, report
