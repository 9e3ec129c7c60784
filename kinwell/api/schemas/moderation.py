"""Shapes of the moderation API. No rules here; those live in
kinwell.discussions.moderation (access and services).

The log never names the member a sanction concerns, and names a moderator
only where they signed; flags never reach the post's author."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from kinwell.api.schemas.fields import (
    NO_NUL,
    InputSchema,
    enum_schema,
    max_length,
    one_of,
)
from kinwell.discussions.models import Flag, ModerationAction, Post, Sanction
from kinwell.discussions.moderation.sanctions import MAX_SUSPENSION_DAYS
from kinwell.discussions.moderation.services import (
    MAX_HOLD_FIRST_POSTS,
)

FlagReason = Annotated[str, one_of(Flag.Reason), enum_schema(Flag.Reason)]
FlagStatus = Annotated[str, one_of(Flag.Status), enum_schema(Flag.Status)]
PostStatus = Annotated[str, one_of(Post.Status), enum_schema(Post.Status)]
SanctionKind = Annotated[str, one_of(Sanction.Kind), enum_schema(Sanction.Kind)]
LogAction = Annotated[
    str, one_of(ModerationAction.Action), enum_schema(ModerationAction.Action)
]
Reason = Annotated[
    str,
    Field(
        max_length=250,
        pattern=NO_NUL,
        description="Members read it in the moderation log.",
    ),
]
Signed = Annotated[
    bool,
    Field(description="Name you in the log; otherwise it says “A moderator”."),
]


class FlagIn(InputSchema):
    reason: FlagReason
    note: str = Field(
        "",
        max_length=max_length(Flag, "note"),
        pattern=NO_NUL,
        description="Anything the moderators should know.",
    )


class FlagOut(Schema):
    id: int
    post_id: int
    reason: FlagReason
    urgent: bool = Field(description="A flag for risk of self-harm.")
    status: FlagStatus
    created_at: datetime

    @staticmethod
    def resolve_urgent(flag: Flag) -> bool:
        return flag.is_urgent


class ModeratedPostOut(Schema):
    id: int
    thread_id: int
    thread_title: str
    number: int
    status: PostStatus
    hidden_reason: str
    body: str = Field(description="Markdown, as written.")
    body_html: str = Field(description="The body rendered and sanitised.")
    created_at: datetime

    @staticmethod
    def resolve_thread_title(post: Post) -> str:
        return post.thread.title


class QueuedFlagOut(FlagOut):
    note: str
    reporter_name: str
    post: ModeratedPostOut

    @staticmethod
    def resolve_reporter_name(flag: Flag, context: dict[str, Any]) -> str:
        # A moderator is not told who flagged their own post.
        if flag.post.author_id == context["request"].auth.pk:
            return "a member"
        return flag.reporter.public_name if flag.reporter else "a former member"


class PostActionIn(InputSchema):
    action: Literal["approve", "reject", "hide", "unhide", "redact"]
    reason: Reason = ""
    signed: Signed = False
    body: str | None = Field(
        None,
        max_length=max_length(Post, "body"),
        pattern=NO_NUL,
        description="For redact: the post with the personal information taken out.",
    )


class DismissIn(InputSchema):
    reason: Reason = ""
    signed: Signed = False


class ThreadActionIn(InputSchema):
    action: Literal["lock", "unlock", "pin", "unpin", "close", "reopen", "move"]
    to: str | None = Field(
        None, max_length=60, pattern=NO_NUL, description="For move: a sibling's slug."
    )
    reason: Reason = ""
    signed: Signed = False


class ThreadStateOut(Schema):
    id: int
    community: str = Field(description="The slug of the thread's community.")
    is_locked: bool
    is_pinned: bool
    is_closed: bool

    @staticmethod
    def resolve_community(thread: object) -> str:
        return str(thread.community.slug)  # type: ignore[attr-defined]


class SanctionIn(InputSchema):
    # Not strict: JSON's 20.0 is the integer 20 (but 20.5 is refused).
    user_id: int = Field(
        ge=1, le=2**63 - 1, strict=False, description="The member's account id."
    )
    kind: SanctionKind
    days: int | None = Field(
        None,
        ge=1,
        le=MAX_SUSPENSION_DAYS,
        strict=False,
        description="For a suspension: how many days.",
    )
    reason: Reason
    signed: Signed = False


class SanctionOut(Schema):
    id: int
    user_id: int
    user_name: str
    kind: SanctionKind
    reason: str
    until: datetime | None
    created_at: datetime
    lifted_at: datetime | None
    in_force: bool

    @staticmethod
    def resolve_user_name(sanction: Sanction) -> str:
        return sanction.user.public_name

    @staticmethod
    def resolve_in_force(sanction: Sanction) -> bool:
        return sanction.is_in_force


class LogEntryOut(Schema):
    id: int
    action: LogAction
    description: str
    reason: str
    moderator: str = Field(description="“A moderator” unless they signed.")
    thread_id: int | None = Field(
        description="Null when there is none, or you may not read it."
    )
    thread_title: str | None
    created_at: datetime


class LogPageOut(Schema):
    items: list[LogEntryOut]
    count: int


class HoldSettingsIn(InputSchema):
    hold_first_posts: int = Field(ge=0, le=MAX_HOLD_FIRST_POSTS, strict=False)


class HoldSettingsOut(Schema):
    hold_first_posts: int = Field(
        description="How many of a new member's first posts wait for approval."
    )
