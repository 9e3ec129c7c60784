"""Shapes of the forks API. No rules here; those live in
kinwell.communities.access and kinwell.communities.forks.services."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from kinwell.api.schemas.fields import (
    NO_NUL,
    InputSchema,
    enum_schema,
    max_length,
    one_of,
    text,
)
from kinwell.communities.models import ForkChoice, ForkComment, ForkProposal
from kinwell.lib.markdown import render_markdown

ProposalStatus = Annotated[
    str, one_of(ForkProposal.Status), enum_schema(ForkProposal.Status)
]
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


class ForkProposalOut(Schema):
    id: int
    community: str = Field(description="The original community's slug.")
    name: str
    slug: str = Field(description="The web address the new community will have.")
    reason: str = Field(description="Markdown.")
    charter: str = Field(description="The proposed charter, Markdown.")
    status: ProposalStatus
    proposer_name: str
    joining: int = Field(description="Members who have chosen to join.")
    created_at: datetime
    confirmable_at: datetime = Field(description="The end of the notice period.")
    confirmed_at: datetime | None
    fork: str | None = Field(description="The new community's slug, once made.")

    @staticmethod
    def resolve_community(proposal: ForkProposal) -> str:
        return proposal.community.slug

    @staticmethod
    def resolve_proposer_name(proposal: ForkProposal) -> str:
        return proposal.proposer.public_name

    @staticmethod
    def resolve_joining(proposal: ForkProposal) -> int:
        counted = getattr(proposal, "joining", None)
        if counted is None:
            counted = proposal.choices.filter(joins=True).count()
        return int(counted)

    @staticmethod
    def resolve_fork(proposal: ForkProposal) -> str | None:
        return proposal.fork.slug if proposal.fork else None


class ForkChoiceOut(Schema):
    joins: bool
    bring_posts: bool
    updated_at: datetime


class ForkCommentOut(Schema):
    id: int
    author_name: str
    body: str = Field(description="Markdown, as written.")
    body_html: str = Field(description="The body rendered and sanitised.")
    created_at: datetime

    @staticmethod
    def resolve_author_name(comment: ForkComment) -> str:
        return comment.author.public_name

    @staticmethod
    def resolve_body_html(comment: ForkComment) -> str:
        return str(render_markdown(comment.body))


class ForkProposalDetailOut(ForkProposalOut):
    my_choice: ForkChoiceOut | None = Field(description="Null until you choose.")
    comments: list[ForkCommentOut]

    @staticmethod
    def resolve_my_choice(
        proposal: ForkProposal, context: dict[str, Any]
    ) -> ForkChoice | None:
        user = context["request"].auth
        return ForkChoice.objects.filter(proposal=proposal, user=user).first()

    @staticmethod
    def resolve_comments(proposal: ForkProposal) -> list[ForkComment]:
        return list(
            proposal.comments.select_related("author").order_by("created_at", "pk")
        )


class ForkProposalIn(InputSchema):
    name: str = text(ForkProposal, "name", min_length=1)
    slug: str = Field(
        min_length=1,
        max_length=max_length(ForkProposal, "slug"),
        pattern=SLUG_PATTERN,
    )
    reason: str = text(ForkProposal, "reason", min_length=1)
    charter: str | None = Field(
        None,
        max_length=max_length(ForkProposal, "charter"),
        pattern=NO_NUL,
        description="Left out or null: the original's charter.",
    )
    bring_posts: bool = Field(
        False, description="Whether your own past posts come along."
    )


class ForkChoiceIn(InputSchema):
    joins: bool
    bring_posts: bool


class ForkCommentIn(InputSchema):
    body: str = text(ForkComment, "body", min_length=1)
