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
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Value,
)

from kinwell.communities.models import Community, Membership
from kinwell.discussions import access
from kinwell.discussions.bylines import (
    BYLINE_FIELDS,
    BYLINE_RELATED,
    BYLINE_VALUES,
    POST_FIELDS,
)
from kinwell.discussions.models import (
    Post,
    Reaction,
    ReadState,
    Thread,
    ThreadSubscription,
)
from kinwell.discussions.moderation.queries import urgent_flag_on

POSTS_PER_PAGE = 20
THREADS_PER_PAGE = 30


@dataclass
class ThreadPage:
    thread: Thread
    number: int
    page_count: int
    posts: list[Post]
    last_read: int
    subscription: str
    # Whether the reader had read any of the thread before this page.
    read_before: bool = False
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


@dataclass(frozen=True)
class ReaderState:
    """Where a signed-in reader stands in a thread: how far they have read
    (None before their first reading) and whether they watch or muted it."""

    last_read: int | None = None
    subscription: str = ""


def reader_state(user: Any, thread: Thread) -> ReaderState:
    """Both in one query; nothing for a visitor."""
    if not getattr(user, "is_authenticated", False):
        return ReaderState()
    mine = {"user": user, "thread": OuterRef("pk")}
    rows = Thread.objects.filter(pk=thread.pk).values_list(
        Subquery(ReadState.objects.filter(**mine).values("last_read_number")[:1]),
        Subquery(ThreadSubscription.objects.filter(**mine).values("level")[:1]),
    )
    for last_read, subscription in rows[:1]:
        return ReaderState(last_read=last_read, subscription=subscription or "")
    return ReaderState()


def first_unread_page(thread: Thread, state: ReaderState) -> int:
    """Where the reader left off (the first page for a visitor)."""
    last_read = state.last_read or 0
    return page_of(min(last_read + 1, thread.post_count))


def thread_page(
    user: Any, thread: Thread, number: int, state: ReaderState | None = None
) -> ThreadPage:
    """The page `number` of `thread`; `state` is the reader's, if the caller
    has it already."""
    number = min(max(1, number), page_count(thread))
    first = (number - 1) * POSTS_PER_PAGE + 1
    # Whether each author is still a member, and whether a post has an open
    # flag for risk of self-harm, come with the posts rather than in queries
    # of their own.
    still_member = Membership.objects.filter(
        community_id=thread.community_id, user_id=OuterRef("author_id")
    )
    posts: list[Post] = list(
        access.visible_posts(user, thread)
        .filter(number__gte=first, number__lt=first + POSTS_PER_PAGE)
        # Loading every column of two accounts and a credential for each
        # post was a fifth of the page's work.
        .select_related(*BYLINE_RELATED)
        .only(*POST_FIELDS, *BYLINE_FIELDS)
        .annotate(
            reply_to_number=F("in_reply_to__number"),
            by_current_member=Exists(still_member),
            is_urgent=urgent_flag_on(OuterRef("pk")),
        )
        .prefetch_related("images")
        .order_by("number")
    )
    state = state or reader_state(user, thread)
    for post in posts:
        # Posts by people who have left show "a former member": the persona
        # they used is no longer theirs to show here.
        post.by_former_member = (  # type: ignore[attr-defined]
            post.author_id is not None and not post.by_current_member  # type: ignore[attr-defined]
        )
    page = ThreadPage(
        thread=thread,
        number=number,
        page_count=page_count(thread),
        posts=posts,
        last_read=state.last_read or 0,
        subscription=state.subscription,
        read_before=state.last_read is not None,
    )
    found = reactions(user, [post.pk for post in posts])
    page.reactions, page.mine = found.counts, found.mine
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


@dataclass
class Reactions:
    """The reactions to some posts: how many of each kind, and the reader's own."""

    counts: dict[int, dict[str, int]]
    mine: dict[int, set[str]]


def reactions(user: Any, post_ids: list[int]) -> Reactions:
    """Counted in one query, with the reader's own (none for a visitor)."""
    found = Reactions(counts=defaultdict(dict), mine=defaultdict(set))
    signed_in = getattr(user, "is_authenticated", False)
    rows = (
        Reaction.objects.filter(post_id__in=post_ids)
        .values_list("post_id", "kind")
        .annotate(
            n=Count("pk"),
            own=Count("pk", filter=Q(user_id=user.pk)) if signed_in else Value(0),
        )
        .order_by()
    )
    for post_id, kind, n, own in rows:
        found.counts[post_id][kind] = n
        if own:
            found.mine[post_id].add(kind)
    return Reactions(counts=dict(found.counts), mine=dict(found.mine))


# The thread list ---------------------------------------------------------------


def thread_list(
    user: Any,
    community: Community,
    page_number: Any,
    *,
    tag: str = "",
    since: datetime | None = None,
) -> Page[dict[str, Any]]:
    """A page of the thread list as plain rows (kinwell.discussions.items.
    thread_row makes them up): each thread with what its opening post's
    byline needs, in one query, and the page's tags in another."""
    threads = access.visible_threads(user, community)
    if tag:
        threads = threads.filter(tags__slug=tag)
    # Pinned first, then the most recently active. Counted without the
    # joins, which only the rows of the page need.
    ordered = threads.order_by("-is_pinned", "-last_posted_at", "-pk")
    page = Paginator(ordered, THREADS_PER_PAGE).get_page(page_number)
    start = (page.number - 1) * THREADS_PER_PAGE
    with_bylines = ordered.annotate(
        opening=FilteredRelation("posts", condition=Q(posts__number=1))
    ).values(
        *THREAD_ROW_FIELDS,
        "opening__id",
        *(f"opening__{name}" for name in BYLINE_VALUES),
    )
    rows = list(with_bylines[start : start + THREADS_PER_PAGE])
    _add_tags(rows)
    if getattr(user, "is_authenticated", False):
        _mark_unread(user, rows, since)
    return Page(rows, page.number, page.paginator)


THREAD_ROW_FIELDS = (
    "pk", "title", "is_pinned", "is_locked", "is_closed", "status", "audience",
    "content_warning", "post_count", "created_at", "last_posted_at",
)  # fmt: skip


def _add_tags(rows: list[dict[str, Any]]) -> None:
    tags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    found = (
        Thread.tags.through.objects.filter(thread_id__in=[row["pk"] for row in rows])
        .order_by("tag__name")
        .values_list("thread_id", "tag__slug", "tag__name")
    )
    for thread_id, slug, name in found:
        tags[thread_id].append((slug, name))
    for row in rows:
        row["tags"] = tags.get(row["pk"], [])


def _mark_unread(user: Any, rows: list[dict[str, Any]], since: datetime | None) -> None:
    """Marks each thread as new since the reader's last visit (`since`), or
    with how many posts they have not read. Only the reader ever sees this."""
    read = dict(
        ReadState.objects.filter(
            user=user, thread_id__in=[row["pk"] for row in rows]
        ).values_list("thread_id", "last_read_number")
    )
    for row in rows:
        last_read = read.get(row["pk"])
        row["unread"] = row["post_count"] - last_read if last_read is not None else 0
        row["is_new"] = (
            last_read is None and since is not None and row["created_at"] > since
        )
