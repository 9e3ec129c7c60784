"""What the thread list and the thread page show, each in a fixed number of
queries however long the list or the thread: a page of a thread is a range
of post numbers, and everything about its posts (pictures, reactions, who is
still a member) is fetched for the page at once."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Prefetch, QuerySet

from kinwell.communities.models import Community, Membership
from kinwell.discussions import access
from kinwell.discussions.models import (
    Post,
    Reaction,
    ReadState,
    Thread,
    ThreadSubscription,
)

POSTS_PER_PAGE = 20
BYLINE_FIELDS = (
    "thread_id", "author_id", "placeholder_author", "written_by__display_name",
    "persona__kind", "persona__public_id", "persona__name",
    "persona__user__display_name", "persona__credential__profession",
)  # fmt: skip
THREADS_PER_PAGE = 30


@dataclass
class ThreadPage:
    thread: Thread
    number: int
    page_count: int
    posts: list[Post]
    last_read: int
    subscription: str
    reactions: dict[int, dict[str, int]] = field(default_factory=dict)
    mine: dict[int, set[str]] = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.page_count

    @property
    def last_number_shown(self) -> int:
        return max((post.number for post in self.posts), default=0)


def page_count(thread: Thread) -> int:
    return max(1, math.ceil(thread.post_count / POSTS_PER_PAGE))


def page_of(number: int) -> int:
    return max(1, math.ceil(number / POSTS_PER_PAGE))


def first_unread_page(user: Any, thread: Thread) -> int:
    if not getattr(user, "is_authenticated", False):
        return 1
    last_read = _last_read(user, thread)
    return page_of(min(last_read + 1, thread.post_count))


def thread_page(user: Any, thread: Thread, number: int) -> ThreadPage:
    number = min(max(1, number), page_count(thread))
    first = (number - 1) * POSTS_PER_PAGE + 1
    posts: list[Post] = list(
        access.visible_posts(user, thread)
        .filter(number__gte=first, number__lt=first + POSTS_PER_PAGE)
        .select_related("persona__user", "persona__credential", "written_by")
        .annotate(reply_to_number=F("in_reply_to__number"))
        .prefetch_related("images")
        .order_by("number")
    )
    signed_in = getattr(user, "is_authenticated", False)
    _mark_former_members(thread.community, posts)
    page = ThreadPage(
        thread=thread,
        number=number,
        page_count=page_count(thread),
        posts=posts,
        last_read=_last_read(user, thread) if signed_in else 0,
        subscription=_subscription(user, thread) if signed_in else "",
    )
    ids = [post.pk for post in posts]
    page.reactions = reaction_counts(ids)
    page.mine = my_reactions(user, ids) if signed_in else {}
    _annotate_posts(user, thread, page)
    return page


def _annotate_posts(user: Any, thread: Thread, page: ThreadPage) -> None:
    """What the reader may do with each post. (No queries.)"""
    for post in page.posts:
        post.can_edit = access.can_edit(user, post)  # type: ignore[attr-defined]
        post.is_own = user.pk is not None and user.pk in (  # type: ignore[attr-defined]
            post.author_id,
            post.written_by_id,
        )


def _last_read(user: Any, thread: Thread) -> int:
    found = (
        ReadState.objects.filter(user=user, thread=thread)
        .values_list("last_read_number", flat=True)
        .first()
    )
    return found or 0


def _subscription(user: Any, thread: Thread) -> str:
    found = (
        ThreadSubscription.objects.filter(user=user, thread=thread)
        .values_list("level", flat=True)
        .first()
    )
    return found or ""


def _mark_former_members(community: Community, posts: list[Post]) -> None:
    """Posts by people who have left show "a former member": the persona they
    used is no longer theirs to show here."""
    authors = {post.author_id for post in posts if post.author_id}
    current = set(
        Membership.objects.filter(community=community, user_id__in=authors).values_list(
            "user_id", flat=True
        )
    )
    for post in posts:
        post.by_former_member = (  # type: ignore[attr-defined]
            post.author_id is not None and post.author_id not in current
        )


def reaction_counts(post_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Reaction.objects.filter(post_id__in=post_ids)
        .values_list("post_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for post_id, kind, n in rows:
        counts[post_id][kind] = n
    return dict(counts)


def my_reactions(user: Any, post_ids: list[int]) -> dict[int, set[str]]:
    mine: dict[int, set[str]] = defaultdict(set)
    rows = Reaction.objects.filter(post_id__in=post_ids, user=user).values_list(
        "post_id", "kind"
    )
    for post_id, kind in rows:
        mine[post_id].add(kind)
    return dict(mine)


# The thread list ---------------------------------------------------------------


def thread_list(
    user: Any,
    community: Community,
    page_number: Any,
    *,
    tag: str = "",
    since: datetime | None = None,
) -> Page[Thread]:
    threads = access.visible_threads(user, community)
    if tag:
        threads = threads.filter(tags__slug=tag)
    # Only what a byline needs: not the (long) text of each opening post.
    opening = (
        Post.objects.filter(number=1)
        .select_related("persona__user", "persona__credential", "written_by")
        .only(*BYLINE_FIELDS)
    )
    # Pinned first, then the most recently active.
    listed: QuerySet[Thread] = (
        threads.order_by("-is_pinned", "-last_posted_at", "-pk")
        .select_related("community")
        .prefetch_related(
            "tags", Prefetch("posts", queryset=opening, to_attr="opening_posts")
        )
    )
    page = Paginator(listed, THREADS_PER_PAGE).get_page(page_number)
    if getattr(user, "is_authenticated", False):
        _mark_unread(user, list(page.object_list), since)
    return page


def _mark_unread(user: Any, threads: list[Thread], since: datetime | None) -> None:
    """Marks each thread as new since the reader's last visit (`since`), or
    with how many posts they have not read. Only the reader ever sees this."""
    read = dict(
        ReadState.objects.filter(user=user, thread__in=threads).values_list(
            "thread_id", "last_read_number"
        )
    )
    for thread in threads:
        last_read = read.get(thread.pk)
        thread.unread = (  # type: ignore[attr-defined]
            thread.post_count - last_read if last_read is not None else 0
        )
        thread.is_new = (  # type: ignore[attr-defined]
            last_read is None and since is not None and thread.created_at > since
        )
