"""Shapes of the discussions API: what goes in, what comes out. No rules
here; those live in kinwell.discussions.access and .services.

A post never shows who its author is beyond the persona it was written as:
no account id, no email, and an anonymous professional persona shows only
its badge. Nobody's read state is shown either."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from kinwell.api.schemas.accounts import PersonaOut
from kinwell.api.schemas.fields import (
    MAX_ID,
    NO_NUL,
    InputSchema,
    enum_schema,
    max_length,
    one_of,
    text,
)
from kinwell.discussions.models import (
    Post,
    Reaction,
    Tag,
    Thread,
    ThreadSubscription,
)

ThreadStatus = Annotated[str, one_of(Thread.Status), enum_schema(Thread.Status)]
PostStatus = Annotated[str, one_of(Post.Status), enum_schema(Post.Status)]
Audience = Annotated[str, one_of(Thread.Audience), enum_schema(Thread.Audience)]
ReactionKind = Annotated[str, one_of(Reaction.Kind), enum_schema(Reaction.Kind)]
Level = Annotated[
    str, one_of(ThreadSubscription.Level), enum_schema(ThreadSubscription.Level)
]
# Numbers in bodies are not strict: JSON's 20.0 is the integer 20 (but 20.5
# is refused).
# Shown in place of the persona of someone who has left the community.
FORMER_MEMBER = "a former member"
# Shown for reactions an imported archive counted without saying whose.
IMPORTED_REACTOR = "Someone in the community this was imported from"


# Threads -------------------------------------------------------------------


class ThreadOut(Schema):
    id: int
    title: str
    status: ThreadStatus
    audience: Audience
    content_warning: str = Field(description="Empty when there is none.")
    tags: list[str] = Field(description="The slugs of the thread's tags.")
    is_pinned: bool
    is_locked: bool
    is_closed: bool
    post_count: int = Field(description="The number of the last post.")
    created_at: datetime
    last_posted_at: datetime

    @staticmethod
    def resolve_tags(thread: Thread) -> list[str]:
        return [tag.slug for tag in thread.tags.all()]


class ThreadIn(InputSchema):
    title: str = text(Thread, "title", min_length=1)
    body: str = text(Post, "body", min_length=1)
    content_warning: str = Field(
        "", max_length=max_length(Thread, "content_warning"), pattern=NO_NUL
    )
    tags: list[
        Annotated[str, Field(max_length=max_length(Tag, "slug"), pattern=NO_NUL)]
    ] = Field(default_factory=list, max_length=20, description="Tag slugs.")
    audience: Audience = Thread.Audience.EVERYONE
    persona: str | None = Field(
        None,
        max_length=16,
        pattern=NO_NUL,
        description="The public id of one of your personas; yours by default.",
    )
    on_behalf_of: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        strict=False,
        description="The id of a delegation that lets you post for them.",
    )


# Posts ---------------------------------------------------------------------


class ImageOut(Schema):
    url: str
    alt_text: str
    width: int
    height: int


class PostOut(Schema):
    id: int
    number: int = Field(description="Its place in the thread: 1, 2, 3…")
    status: PostStatus
    author: str | None = Field(
        description="Who it is by, as shown: the persona's label or "
        "'a former member'. Null when the post is hidden or deleted."
    )
    persona: PersonaOut | None = Field(
        description="Null for a former member, and for hidden or deleted posts."
    )
    written_by: str | None = Field(
        description="The carer who wrote it for the author, if one did."
    )
    body: str | None = Field(description="Markdown. Null when hidden or deleted.")
    body_html: str | None = Field(description="The body rendered and sanitised.")
    in_reply_to: int | None = Field(description="The number of the post it answers.")
    images: list[ImageOut]
    reactions: dict[str, int] = Field(description="How many of each kind.")
    my_reactions: list[ReactionKind] = Field(description="Your own reactions.")
    created_at: datetime
    edited_at: datetime | None


def _answered_number(post: Post) -> int | None:
    # A page of posts comes with the number annotated (pages.thread_page).
    if hasattr(post, "reply_to_number"):
        number: int | None = post.reply_to_number
        return number
    return post.in_reply_to.number if post.in_reply_to else None


def post_out(
    post: Post, counts: dict[str, int] | None = None, mine: set[str] | None = None
) -> dict[str, Any]:
    """A post as the API shows it. `post.by_former_member` comes from
    kinwell.discussions.pages, which marks the posts of people who left."""
    shown = post.status in (Post.Status.PUBLISHED, Post.Status.HELD)
    base: dict[str, Any] = {
        "id": post.pk,
        "number": post.number,
        "status": post.status,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "in_reply_to": _answered_number(post),
    }
    if not shown:
        return {**base, **_NOTHING_SHOWN}
    return {
        **base,
        **voice(post),
        "body": post.body,
        "body_html": post.body_html,
        "images": [_image(picture) for picture in post.images.all()],
        "reactions": counts or {},
        "my_reactions": sorted(mine or ()),
    }


_NOTHING_SHOWN: dict[str, Any] = {
    "author": None,
    "persona": None,
    "written_by": None,
    "body": None,
    "body_html": None,
    "images": [],
    "reactions": {},
    "my_reactions": [],
}


def voice(post: Post) -> dict[str, Any]:
    """The byline of the website (kinwell/discussions/bylines.py)."""
    former = getattr(post, "by_former_member", False)
    if post.placeholder_author or former or post.persona is None:
        label = post.placeholder_author or FORMER_MEMBER
        return {"author": label, "persona": None, "written_by": None}
    return {
        "author": post.persona.label,
        "persona": post.persona,
        "written_by": post.written_by.public_name if post.written_by else None,
    }


def _image(picture: Any) -> dict[str, Any]:
    return {
        "url": picture.get_absolute_url(),
        "alt_text": picture.alt_text,
        "width": picture.width,
        "height": picture.height,
    }


class ThreadPageOut(Schema):
    thread: ThreadOut
    page: int
    page_count: int
    posts: list[PostOut] = Field(description="Up to 20 posts, in order.")
    subscription: Level | None = Field(
        description="Whether you watch or muted the thread; null: the default."
    )
    can_reply: bool


class ReplyIn(InputSchema):
    body: str = text(Post, "body", min_length=1)
    in_reply_to: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        strict=False,
        description="The number of the post this answers.",
    )
    persona: str | None = Field(None, max_length=16, pattern=NO_NUL)
    on_behalf_of: int | None = Field(None, ge=1, le=MAX_ID, strict=False)


class PostPatch(InputSchema):
    body: str = text(Post, "body", min_length=1)
    title: str | None = Field(
        None,
        max_length=max_length(Thread, "title"),
        pattern=NO_NUL,
        description="A new title, for the opening post only.",
    )


# Reactions, watching, tags ---------------------------------------------------


class ReactionsOut(Schema):
    reactions: dict[str, int]
    my_reactions: list[ReactionKind]


class ReactorOut(Schema):
    kind: ReactionKind
    name: str = Field(
        description="The person's display name (reactions copied from an "
        "imported archive name nobody)."
    )

    @staticmethod
    def resolve_name(reaction: Reaction) -> str:
        if reaction.user is None:
            return IMPORTED_REACTOR
        return reaction.user.public_name


class SubscriptionIn(InputSchema):
    level: Level | None = Field(
        description="watching, muted, or null for the default (replies to you "
        "and mentions)."
    )


class SubscriptionOut(Schema):
    level: Level | None


class TagOut(Schema):
    slug: str
    name: str
    following: bool = Field(description="Whether you follow it.")


class TagIn(InputSchema):
    name: str = text(Tag, "name", min_length=1)
