"""A search, shared by the web page and the API: the criteria, the posts
they find (best first), and the hits shown for a page of them.

A search ranks the newest WINDOW matches the searcher may read, not every
match: on a million posts a common word matches hundreds of thousands, and
no one reads past the first pages. The count is exact below WINDOW, and
"more than WINDOW" otherwise (`Found.exact`)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, overload

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from kinwell.communities.models import Membership
from kinwell.discussions.bylines import BYLINE_FIELDS, BYLINE_RELATED, POST_FIELDS
from kinwell.discussions.models import Post
from kinwell.lib.urls import cached_reverse
from kinwell.search.access import searchable_posts
from kinwell.search.backends import (
    Snippet,
    Terms,
    Window,
    get_backend,
    marked,
    parse,
)

PER_PAGE = 20
# How many of the newest matches a search ranks and pages through.
WINDOW = 1000
# Words of a post's beginning, shown when only its thread's title matched.
OPENING_WORDS = 24


@dataclass(frozen=True)
class Criteria:
    """What to look for, and where. Slugs and the persona id are matched in
    SQL among what the searcher may read: one they may not read finds what
    an unknown one finds, nothing."""

    terms: Terms
    community: str = ""
    tag: str = ""
    author: str = ""
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValidationError(
                {"until": "Choose a date on or after the “From” date."}
            )

    @classmethod
    def from_text(cls, q: str, **filters: Any) -> "Criteria":
        return cls(terms=parse(q), **filters)


@dataclass(frozen=True)
class Hit:
    post: Post
    title_html: SafeString | None  # the thread's title, for an opening post
    snippet_html: SafeString

    @property
    def is_thread(self) -> bool:
        return self.post.number == 1

    @property
    def url(self) -> str:
        """The thread, for an opening post; the post itself for a reply."""
        post = self.post
        if self.is_thread:
            slug = post.community.slug
            return cached_reverse("discussions:thread", slug, post.thread_id)
        return post.get_absolute_url()


# What a hit shows of its community and thread (the page and the API).
HIT_FIELDS = (
    "community__name", "community__slug", "thread__title", "thread__content_warning",
)  # fmt: skip


class Found:
    """The posts a search found, best first: a sequence for a Paginator or
    a slice, fetched page by page. The window of matches is read once, on
    first use, in one query; each page is one more."""

    def __init__(
        self, posts: QuerySet[Post] | None, criteria: Criteria | None = None
    ) -> None:
        self._posts = posts  # None: nothing to look for, and no query
        self._criteria = criteria or Criteria(terms=Terms(()))
        self.limit = WINDOW
        self._ids: list[int] | None = None
        self._exact = True

    @property
    def exact(self) -> bool:
        """False when there are more matches than the window holds: the
        count is then `limit`, shown as "more than"."""
        self._ranked()
        return self._exact

    def count(self) -> int:
        return len(self._ranked())

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Post]:
        return iter(self[:])

    @overload
    def __getitem__(self, index: int) -> Post: ...
    @overload
    def __getitem__(self, index: slice) -> list[Post]: ...
    def __getitem__(self, index: int | slice) -> Post | list[Post]:
        if isinstance(index, int):
            return self[index : index + 1 or None][0]
        return self._fetch(self._ranked()[index])

    def _fetch(self, ids: list[int]) -> list[Post]:
        if not ids or self._posts is None:
            return []
        # The visibility rules once more, by primary key: a post hidden
        # since the window was read is not shown.
        rows = (
            self._posts.filter(pk__in=ids)
            .select_related("community", "thread", *BYLINE_RELATED)
            .only(*HIT_FIELDS, *POST_FIELDS, *BYLINE_FIELDS)
        )
        by_id = {
            post.pk: post
            for post in rows.annotate(author_is_member=_author_is_member())
        }
        return [by_id[pk] for pk in ids if pk in by_id]

    def _ranked(self) -> list[int]:
        if self._ids is None:
            if self._posts is None:
                self._ids = []
            else:
                window = get_backend().newest(
                    self._posts,
                    self._criteria.terms,
                    self.limit,
                    community=self._criteria.community,
                    author=self._criteria.author,
                )
                self._ids, self._exact = ranked(window, self.limit)
        return self._ids


def ranked(window: Window, limit: int) -> tuple[list[int], bool]:
    """The newest `limit` posts of the window, best first (ties: newest
    first), and whether they are all the matches. An opening post matching
    in its body and its thread's title adds both ranks."""
    ranks: dict[int, float] = {}
    for pk, rank in (*window.in_body, *window.in_title):
        ranks[pk] = ranks.get(pk, 0.0) + rank
    newest = sorted(ranks, reverse=True)
    exact = (
        len(window.in_body) <= limit
        and len(window.in_title) <= limit
        and len(newest) <= limit
    )
    return sorted(newest[:limit], key=lambda pk: (ranks[pk], -pk)), exact


def find(user: Any, criteria: Criteria) -> Found:
    """The posts `user` may read that match, most relevant first, with what
    a hit shows. Nothing (and no query) when there are no words to find."""
    if not criteria.terms:
        return Found(None)
    return Found(_filtered(searchable_posts(user), criteria), criteria)


def _filtered(posts: QuerySet[Post], criteria: Criteria) -> QuerySet[Post]:
    if criteria.community:
        posts = posts.filter(community__slug=criteria.community)
    if criteria.tag:
        posts = posts.filter(thread__tags__slug=criteria.tag)
    if criteria.author:
        # A former member's posts show "a former member": their persona no
        # longer finds them.
        posts = posts.filter(
            persona__public_id=criteria.author, placeholder_author=""
        ).filter(_author_is_member())
    if criteria.since:
        posts = posts.filter(created_at__gte=_start_of(criteria.since))
    if criteria.until:
        posts = posts.filter(created_at__lt=_start_of(criteria.until + timedelta(1)))
    return posts


def _author_is_member() -> Exists:
    return Exists(
        Membership.objects.filter(
            community_id=OuterRef("community_id"), user_id=OuterRef("author_id")
        )
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def hits(posts: list[Post], terms: Terms) -> list[Hit]:
    """A page of found posts with their highlighted title and snippet (one
    query, for the page only)."""
    snippets = get_backend().snippets(posts, terms)
    return [_hit(post, snippets.get(post.pk, Snippet(None, None))) for post in posts]


def _hit(post: Post, snippet: Snippet) -> Hit:
    # What the byline shows (kinwell/discussions/bylines.py).
    post.by_former_member = (  # type: ignore[attr-defined]
        post.author_id is not None and not getattr(post, "author_is_member", False)
    )
    body = snippet.body or Truncator(post.body).words(OPENING_WORDS)
    title = marked(snippet.title or post.thread.title) if post.number == 1 else None
    return Hit(post=post, title_html=title, snippet_html=marked(body))
