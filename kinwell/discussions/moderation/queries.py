"""What the moderation pages read: the queue, the log and the sanctions of a
community, and which posts carry an urgent flag. Callers have already been
allowed the community (kinwell.communities.access)."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Case, Exists, IntegerField, QuerySet, Value, When

from kinwell.communities.models import Community
from kinwell.discussions import access
from kinwell.discussions.models import (
    Flag,
    ModerationAction,
    Post,
    Sanction,
    Thread,
)


def urgent_flag_on(post: Any) -> Exists:
    """Whether `post` (a post or an OuterRef to one) has an open flag for
    risk of self-harm: such a post shows where to find help."""
    return Exists(
        Flag.objects.filter(
            post=post, status=Flag.Status.OPEN, reason=Flag.Reason.SELF_HARM
        )
    )


def open_flags(community: Community) -> QuerySet[Flag]:
    """The queue's flags: urgent ones (risk of self-harm) first, then the
    oldest first, so nothing waits behind newer flags."""
    urgent_first = Case(
        When(reason=Flag.Reason.SELF_HARM, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        Flag.objects.filter(community=community, status=Flag.Status.OPEN)
        .select_related("post", "post__thread__community", "post__persona", "reporter")
        .annotate(urgency=urgent_first)
        .order_by("urgency", "created_at", "pk")
    )


def held_posts(community: Community) -> QuerySet[Post]:
    return (
        Post.objects.filter(community=community, status=Post.Status.HELD)
        .select_related("thread__community", "persona", "author")
        .order_by("created_at", "pk")
    )


def log_of(community: Community) -> QuerySet[ModerationAction]:
    return (
        ModerationAction.objects.filter(community=community)
        .for_log()
        .select_related("thread__community")
    )


def readable_thread_ids(user: Any, entries: Iterable[ModerationAction]) -> set[int]:
    """Of the threads named in these log lines, the ones `user` may read:
    the log never shows the title of a thread its reader may not open."""
    ids = {entry.thread_id for entry in entries if entry.thread_id is not None}
    if not ids:
        return set()
    readable: set[int] = set()
    by_community: dict[int, Community] = {}
    for thread in Thread.objects.filter(pk__in=ids).select_related("community"):
        by_community.setdefault(thread.community_id, thread.community)
    for community in by_community.values():
        readable |= set(
            access.visible_threads(user, community)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
    return readable


def sanctions_of(community: Community) -> QuerySet[Sanction]:
    return (
        Sanction.objects.filter(community=community)
        .select_related("user", "created_by")
        .order_by("-created_at", "-pk")
    )
