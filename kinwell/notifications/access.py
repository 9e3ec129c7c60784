"""The only door to notifications: each is its reader's alone, and anyone
else gets Http404 (a notification says who posted where)."""

from dataclasses import dataclass
from typing import Any

from django.shortcuts import get_object_or_404

from kinwell.accounts.models import User
from kinwell.communities.models import Community, Membership
from kinwell.notifications.models import (
    Notification,
    NotificationQuerySet,
    NotificationSettings,
)


def notifications_of(user: User) -> NotificationQuerySet:
    """Newest first, with what each line shows, in one query."""
    return (
        Notification.objects.readable_by(user)
        .select_related("community", "thread")
        .newest_first()
    )


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    # Most pages are seen with nothing unread, and asking that plainly costs a
    # quarter of counting only what the reader may still read.
    if not Notification.objects.filter(user=user, read_at__isnull=True).exists():
        return 0
    return Notification.objects.readable_by(user).unread().count()


def get_notification_for_user(user: User, notification_id: int) -> Notification:
    return get_object_or_404(
        Notification.objects.readable_by(user).select_related("community"),
        pk=notification_id,
    )


@dataclass(frozen=True)
class CommunitySettings:
    community: Community
    settings: NotificationSettings


def settings_of(user: User) -> list[CommunitySettings]:
    """The member's choices for each community they belong to (defaults
    where they have made none), by community name."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("community")
        .order_by("community__name")
    )
    rows = {
        row.community_id: row for row in NotificationSettings.objects.filter(user=user)
    }
    return [
        CommunitySettings(
            m.community,
            rows.get(m.community_id)
            or NotificationSettings(user=user, community=m.community),
        )
        for m in memberships
    ]
