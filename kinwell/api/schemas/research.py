"""Shapes of research access in the API: dataset requests, decisions,
releases and the public data-release register. No rules here; those live in
kinwell.tracking.research.

What the register shows of a researcher is their public name and their
institution, never their account. Members' counts in the register follow
the published-figure rules ("fewer than 10", else rounded to 5)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

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
from kinwell.api.schemas.tracking import Day
from kinwell.communities.models import Community
from kinwell.tracking.models import DataRelease, DatasetRequest
from kinwell.tracking.research.services import MAX_PRIVACY_BUDGET

RequestStatus = Annotated[
    str, one_of(DatasetRequest.Status), enum_schema(DatasetRequest.Status)
]
ReleaseKind = Annotated[str, one_of(DataRelease.Kind), enum_schema(DataRelease.Kind)]
# JSON numbers (not strict: 1 is as good as 1.0), kept to three decimal
# places by the services.
Budget = Annotated[
    float, Field(gt=0, le=float(MAX_PRIVACY_BUDGET), strict=False, allow_inf_nan=False)
]
Epsilon = Annotated[
    float, Field(gt=0, le=float(MAX_PRIVACY_BUDGET), strict=False, allow_inf_nan=False)
]


class DatasetRequestIn(InputSchema):
    community: str = Field(
        max_length=max_length(Community, "slug"),
        pattern=r"^[-a-zA-Z0-9_]+$",
        description="The slug of a community you can see.",
    )
    title: str = text(DatasetRequest, "title", min_length=1)
    institution: str = text(DatasetRequest, "institution", min_length=1)
    purpose: str = text(DatasetRequest, "purpose", min_length=1)
    include_conditions: bool = True
    include_check_ins: bool = True
    include_treatments: bool = True
    include_questionnaires: bool = False
    include_notes: bool = Field(
        False, description="Notes only of members who allowed their notes."
    )
    period_from: Day | None = None
    period_to: Day | None = None
    privacy_budget: Budget | None = Field(
        None,
        description="Total epsilon for counts with differential privacy; "
        "null for records only.",
    )


class DatasetDecisionIn(InputSchema):
    note: str = Field(
        "",
        max_length=max_length(DatasetRequest, "decision_note"),
        pattern=NO_NUL,
        description="For the researcher; needed to refuse.",
    )


class ReleaseIn(InputSchema):
    kind: ReleaseKind
    epsilon: Epsilon | None = Field(
        None, description="For `dp_counts` only: how much of the budget to spend."
    )


class ReleaseOut(Schema):
    id: int
    kind: ReleaseKind
    released_at: datetime
    members: str = Field(
        description="Members included, as the register shows it: 'fewer than "
        "10', or rounded to the nearest 5."
    )
    member_count: int | None = Field(
        description="The exact number, for the researcher it was released to; "
        "null for others."
    )
    record_count: int | None = Field(
        description="Rows, resources or counts in the file; null for others."
    )
    epsilon: Decimal | None
    sha256: str | None = Field(description="Null for others than the researcher.")
    file: str | None = Field(
        description="Where the researcher downloads it; null for others."
    )


class DatasetRequestOut(Schema):
    id: int
    community: str = Field(description="The community's slug.")
    title: str
    institution: str
    purpose: str
    researcher_name: str
    include_conditions: bool
    include_check_ins: bool
    include_treatments: bool
    include_questionnaires: bool
    include_notes: bool
    period_from: date | None
    period_to: date | None
    privacy_budget: Decimal | None
    privacy_spent: Decimal
    status: RequestStatus
    decided_by_name: str | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime
    releases: list[ReleaseOut]


class RegisterReleaseOut(Schema):
    id: int
    kind: ReleaseKind
    released_at: datetime
    members: str
    epsilon: Decimal | None


class RegisterEntryOut(Schema):
    id: int
    title: str
    purpose: str
    researcher_name: str
    institution: str
    status: RequestStatus
    decided_at: datetime | None
    contents: list[str] = Field(description="What it holds, in plain words.")
    period: str
    privacy_budget: Decimal | None
    privacy_spent: Decimal
    releases: list[RegisterReleaseOut]
