"""Shapes of the community insights API. The figures are the website's,
read from the same stored snapshot: counts of distinct counted members,
rounded to the nearest 5, with a count that is not shown given as null and
`"suppressed": true` (docs/insights.md)."""

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class CountOut(Schema):
    count: int | None = Field(
        description="Members, rounded to the nearest 5; null when suppressed."
    )
    suppressed: bool
    reason: str | None = Field(
        description='Why it is not shown: "fewer_than_10" (0 to 9 members) or '
        '"withheld" (10 or more, hidden so that a small number cannot be '
        "worked out by subtraction); null when shown."
    )


class RulesOut(Schema):
    min_count: int = Field(description="Counts below this are never shown.")
    round_to: int = Field(description="Shown counts are rounded to a multiple of it.")
    min_treatment_members: int = Field(
        description="Members with a course a treatment needs for an evaluation."
    )


class SymptomOut(Schema):
    id: int
    name: str
    rank: int | None = Field(
        description="1 for the most burdensome; null when not ranked (its "
        "count is not shown)."
    )
    average_severity: float | None = Field(
        description="The average, over members reporting it, of each one's "
        "average rating in the window (0 none to 4 very severe), to one "
        "decimal; null when its count is not shown."
    )
    members: CountOut = Field(
        description="Members who rated it mild or worse at least once in the window."
    )


class TreatmentOut(Schema):
    id: int
    name: str
    kind: str
    members: CountOut = Field(description="Members with a course of it, ever.")
    evaluated: bool = Field(
        description="Whether it has an evaluation (enough members with a course)."
    )


class InsightsOut(Schema):
    ready: bool = Field(
        description="False until the first computation; the figures are then "
        "empty and a computation has been asked for."
    )
    computed_at: datetime | None
    window_from: date | None = Field(description="First day of the symptom window.")
    window_to: date | None
    members: CountOut | None = Field(description="Members counted.")
    symptoms: list[SymptomOut] = Field(description="Most burdensome first.")
    treatments: list[TreatmentOut] = Field(description="Most used first.")
    rules: RulesOut


class ShareOut(Schema):
    key: str
    label: str
    members: CountOut


class SideEffectFigureOut(Schema):
    id: int
    name: str
    members: CountOut


class TreatmentInsightsOut(Schema):
    computed_at: datetime
    treatment: TreatmentOut
    effectiveness: list[ShareOut] = Field(
        description='By each member\'s latest rating: "0" no effect to "4" '
        'major, and "unrated".'
    )
    standing: list[ShareOut] = Field(
        description='By each member\'s latest course: "taking", a stop reason, '
        'or "unstated".'
    )
    side_effects: list[SideEffectFigureOut] = Field(
        description="Every symptom of the catalogue, most reported first."
    )
    rules: RulesOut
