"""Shapes of the communities API: what goes in, what comes out. No rules
here; those live in kinwell.communities.access and .services."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.db import models
from ninja import Schema
from pydantic import Field

from kinwell.api.schemas.fields import (
    NO_NUL,
    InputSchema,
    enum_schema,
    max_length,
    one_of,
    optional_text,
    text,
)
from kinwell.communities.models import (
    Cluster,
    Community,
    InviteLink,
    JoinRequest,
    Membership,
)
from kinwell.communities.services import (
    MAX_INVITE_DAYS,
    MAX_INVITE_USES,
    MIN_SIZE_CAP,
)

Visibility = Annotated[
    str, one_of(Community.Visibility), enum_schema(Community.Visibility)
]
JoinPolicy = Annotated[
    str, one_of(Community.JoinPolicy), enum_schema(Community.JoinPolicy)
]
Role = Annotated[str, one_of(Membership.Role), enum_schema(Membership.Role)]
RequestStatus = Annotated[
    str, one_of(JoinRequest.Status), enum_schema(JoinRequest.Status)
]


def blank_text(model: type[models.Model], field: str) -> Any:
    """A string no longer than `model.field` allows, empty when left out."""
    return Field("", max_length=max_length(model, field), pattern=NO_NUL)


# Communities ---------------------------------------------------------------


class CommunityOut(Schema):
    slug: str
    name: str
    topic: str
    description: str
    charter: str = Field(description="Markdown, as the organisers wrote it.")
    visibility: Visibility
    join_policy: JoinPolicy
    join_question: str
    size_cap: int
    cluster: str | None = Field(description="The slug of its cluster, if any.")
    created_at: datetime

    @staticmethod
    def resolve_cluster(community: Community | dict[str, Any]) -> str | None:
        if isinstance(community, dict):  # CommunityDetailOut, built as a dict
            return community.get("cluster")
        return community.cluster.slug if community.cluster else None


class PersonOut(Schema):
    name: str


class CommunitySummaryOut(Schema):
    slug: str
    name: str
    topic: str


class CommunityDetailOut(CommunityOut):
    your_role: Role | None
    join_state: str = Field(
        description="member, pending, waiting, invite (by link only), full or open."
    )
    organisers: list[PersonOut] = Field(
        description="Empty for people who may not see the members."
    )
    siblings: list[CommunitySummaryOut]
    forked_from: str | None = Field(
        description="The original's slug, if you may see it."
    )
    forked_at: datetime | None
    imported_from: str
    imported_at: datetime | None


class CommunityIn(InputSchema):
    name: str = text(Community, "name", min_length=1)
    topic: str = blank_text(Community, "topic")
    description: str = blank_text(Community, "description")
    charter: str = blank_text(Community, "charter")
    visibility: Visibility = Community.Visibility.PUBLIC
    join_policy: JoinPolicy = Community.JoinPolicy.OPEN
    join_question: str = blank_text(Community, "join_question")


class CommunityPatch(InputSchema):
    name: str | None = optional_text(Community, "name")
    topic: str | None = optional_text(Community, "topic")
    description: str | None = optional_text(Community, "description")
    charter: str | None = optional_text(Community, "charter")
    visibility: Visibility | None = None
    join_policy: JoinPolicy | None = None
    join_question: str | None = optional_text(Community, "join_question")
    # Not strict: JSON's 20.0 is the integer 20 (but 20.5 is refused).
    size_cap: int | None = Field(None, ge=MIN_SIZE_CAP, strict=False)


# Joining, leaving, roles ---------------------------------------------------


class JoinIn(InputSchema):
    answer: str = blank_text(JoinRequest, "answer")


class JoinOut(Schema):
    status: Literal["member", "pending", "waiting"]
    request_id: int | None = Field(description="The join request, when you wait.")


class LeaveIn(InputSchema):
    keep_posts: bool = Field(
        description="True: your posts stay, shown as by 'a former member'."
    )


class MemberOut(Schema):
    user_id: int
    name: str
    role: Role
    joined_at: datetime

    @staticmethod
    def resolve_name(membership: Membership) -> str:
        return membership.user.public_name


class RoleIn(InputSchema):
    role: Role


class MyMembershipOut(Schema):
    community: CommunityOut
    role: Role
    joined_at: datetime


# Join requests and invitation links ----------------------------------------


class JoinRequestOut(Schema):
    id: int
    user_id: int
    name: str
    answer: str
    status: RequestStatus
    created_at: datetime
    decided_at: datetime | None
    reason: str

    @staticmethod
    def resolve_name(join_request: JoinRequest) -> str:
        return join_request.user.public_name


class DecisionIn(InputSchema):
    approve: bool
    reason: str = blank_text(JoinRequest, "reason")


class InviteLinkIn(InputSchema):
    days: int = Field(14, ge=1, le=MAX_INVITE_DAYS, strict=False)
    max_uses: int = Field(10, ge=1, le=MAX_INVITE_USES, strict=False)


class InviteLinkOut(Schema):
    id: int
    token: str
    path: str = Field(description="Where the link leads on this site.")
    expires_at: datetime
    max_uses: int
    uses: int
    revoked_at: datetime | None
    usable: bool

    @staticmethod
    def resolve_path(link: InviteLink) -> str:
        return link.get_absolute_url()

    @staticmethod
    def resolve_usable(link: InviteLink) -> bool:
        return link.is_usable


# Clusters ------------------------------------------------------------------


class ClusterOut(Schema):
    slug: str
    name: str
    description: str
    communities: list[CommunitySummaryOut] = Field(
        description="The sibling communities you may know of."
    )


def cluster_out(cluster: Cluster, communities: list[Community]) -> dict[str, object]:
    return {
        "slug": cluster.slug,
        "name": cluster.name,
        "description": cluster.description,
        "communities": communities,
    }
