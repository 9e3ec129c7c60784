"""The doors to what moderators act on, and to the moderation log.

Moderators reach posts, threads, flags and sanctions of their own community
only (get_community_for_moderator, which also asks for two-factor
authentication); anything else is Http404."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from kinwell.communities import access as community_access
from kinwell.communities.models import Community, Membership
from kinwell.discussions.models import Flag, Post, Sanction, Thread


def get_community_for_log_reader(user: Any, slug: str) -> Community:
    """Moderation in the open: members read their community's log, and for a
    public community so does anyone who can read its posts."""
    community = community_access.get_community_for_user(user, slug)
    if not community_access.can_read_content(user, community):
        raise PermissionDenied("The moderation log is for members of the community.")
    return community


def get_post_for_moderator(user: Any, slug: str, post_id: int) -> Post:
    community, _ = community_access.get_community_for_moderator(user, slug)
    return get_object_or_404(
        Post.objects.select_related("thread", "community", "persona", "author"),
        pk=post_id,
        community=community,
    )


def get_thread_for_moderator(
    user: Any, slug: str, thread_id: int
) -> tuple[Thread, Membership]:
    community, membership = community_access.get_community_for_moderator(user, slug)
    thread = get_object_or_404(
        Thread.objects.select_related("community"), pk=thread_id, community=community
    )
    return thread, membership


def get_flag_for_moderator(user: Any, slug: str, flag_id: int) -> Flag:
    community, _ = community_access.get_community_for_moderator(user, slug)
    return get_object_or_404(
        Flag.objects.select_related("post", "post__thread", "community"),
        pk=flag_id,
        community=community,
    )


def get_sanction_for_moderator(user: Any, slug: str, sanction_id: int) -> Sanction:
    community, _ = community_access.get_community_for_moderator(user, slug)
    return get_object_or_404(
        Sanction.objects.select_related("user", "community"),
        pk=sanction_id,
        community=community,
    )
