"""Shapes of the search API. The rules (what a searcher may find) live in
kinwell.search; a hit shows its author exactly as a post does."""

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from kinwell.api.pagination import MAX_LIMIT, MAX_OFFSET
from kinwell.api.schemas.accounts import PersonaOut
from kinwell.api.schemas.discussions import voice
from kinwell.api.schemas.fields import NO_NUL, Day, WholeNumber, max_length
from kinwell.communities.models import Community
from kinwell.discussions.models import Tag
from kinwell.search.forms import MAX_QUERY_LENGTH
from kinwell.search.results import PER_PAGE, Hit


class SearchIn(Schema):
    q: str = Field(
        min_length=1,
        max_length=MAX_QUERY_LENGTH,
        pattern=NO_NUL,
        description='Every word must appear; a phrase goes in "double quotes". '
        "Anything but letters and digits is ignored.",
    )
    community: str = Field(
        "",
        max_length=max_length(Community, "slug"),
        pattern=NO_NUL,
        description="Only this community (its slug).",
    )
    tag: str = Field(
        "",
        max_length=max_length(Tag, "slug"),
        pattern=NO_NUL,
        description="A tag slug.",
    )
    author: str = Field(
        "",
        max_length=16,
        pattern=NO_NUL,
        description="Only posts written as this persona (its public id).",
    )
    since: Day | None = Field(None, description="Posts written on or after this day.")
    until: Day | None = Field(None, description="Posts written on or before this day.")
    limit: WholeNumber = Field(PER_PAGE, ge=1, le=MAX_LIMIT)
    offset: WholeNumber = Field(0, ge=0, le=MAX_OFFSET)


class HitOut(Schema):
    kind: Literal["thread", "post"] = Field(
        description="'thread' for a thread's opening post, 'post' for a reply."
    )
    community: str = Field(description="The community's slug.")
    thread_id: int
    thread_title: str
    post_id: int
    number: int = Field(description="The post's place in its thread.")
    url: str
    title_html: str | None = Field(
        description="The thread's title with the matches in <mark>, for a "
        "thread; everything else escaped."
    )
    snippet_html: str = Field(
        description="A passage with the matches in <mark>; everything else escaped."
    )
    content_warning: str = Field(description="The thread's; empty when none.")
    author: str = Field(description="As shown: a persona's label, or a placeholder.")
    persona: PersonaOut | None
    written_by: str | None = Field(description="The carer who wrote it, if one did.")
    created_at: datetime


class SearchOut(Schema):
    items: list[HitOut]
    count: int = Field(description="How many hits in all, on every page.")
    more: bool = Field(
        description="More hits than `count`: only the newest 1,000 matches "
        "are ranked and paged."
    )


def hit_out(hit: Hit) -> dict[str, Any]:
    post = hit.post
    return {
        "kind": "thread" if hit.is_thread else "post",
        "community": post.community.slug,
        "thread_id": post.thread_id,
        "thread_title": post.thread.title,
        "post_id": post.pk,
        "number": post.number,
        "url": post.get_absolute_url(),
        "title_html": hit.title_html,
        "snippet_html": hit.snippet_html,
        "content_warning": post.thread.content_warning,
        "created_at": post.created_at,
        **voice(post),
    }
