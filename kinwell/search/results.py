"""A search, shared by the web page and the API: the criteria, the posts
they find (best first), and the hits shown for a page of them."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from kinwell.communities.models import Membership
from kinwell.discussions.models import Post
from kinwell.search.access import searchable_posts
from kinwell.search.backends import Snippet, Terms, get_backend, marked, parse

PER_PAGE = 20
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


def find(user: Any, criteria: Criteria) -> QuerySet[Post]:
    """The posts `user` may read that match, most relevant first, with what
    a hit shows. Nothing (and no query) when there are no words to find."""
    if not criteria.terms:
        return Post.objects.none()
    posts = _filtered(searchable_posts(user), criteria)
    return (
        get_backend()
        .matching(posts, criteria.terms)
        .select_related(
            "community",
            "thread",
            "persona__user",
            "persona__credential",
            "written_by",
        )
        .annotate(author_is_member=_author_is_member())
    )


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
    snippets = get_backend().snippets([post.pk for post in posts], terms)
    return [_hit(post, snippets.get(post.pk, Snippet(None, None))) for post in posts]


def _hit(post: Post, snippet: Snippet) -> Hit:
    # What the byline shows (templates/discussions/_byline.html).
    post.by_former_member = (  # type: ignore[attr-defined]
        post.author_id is not None and not getattr(post, "author_is_member", False)
    )
    body = snippet.body or Truncator(post.body).words(OPENING_WORDS)
    title = marked(snippet.title or post.thread.title) if post.number == 1 else None
    return Hit(post=post, title_html=title, snippet_html=marked(body))
