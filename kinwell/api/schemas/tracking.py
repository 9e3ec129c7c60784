"""Shapes of a member's tracking in the API: check-ins, conditions, tracked
symptoms and the catalogue entries they may use. No rules here; those live in
kinwell.tracking.checkins and kinwell.tracking.access."""

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field

from kinwell.api.schemas.fields import MAX_ID, NO_NUL, InputSchema
from kinwell.tracking.checkins import MAX_TRACKED, NOTE_LIMIT
from kinwell.tracking.models import CheckIn, SymptomScore

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: Any) -> Any:
    """Only "YYYY-MM-DD": pydantic would also read numbers as timestamps."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValueError("must be a date written as YYYY-MM-DD")
    return date.fromisoformat(value)


Day = Annotated[date, BeforeValidator(_iso_day)]
Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=False)]
Step = Annotated[int, Field(ge=0, le=4, strict=False)]


# The catalogue -----------------------------------------------------------------


class CatalogueEntryOut(Schema):
    id: int
    name: str
    description: str
    community: str | None = Field(
        description="The slug of the community that added it; null for the generic set."
    )
    icd10_code: str = Field("", description="Conditions and symptoms; or empty.")
    snomed_code: str = ""
    atc_code: str = Field("", description="Treatments only; or empty.")
    kind: str | None = Field(
        None, description="Treatments only: medicine, therapy, device or lifestyle."
    )

    @staticmethod
    def resolve_community(entry: Any) -> str | None:
        return entry.community.slug if entry.community_id else None


class EntryRefOut(Schema):
    id: int
    name: str


# Check-ins -----------------------------------------------------------------------


class ScoreIn(InputSchema):
    symptom: Id = Field(description="The id of a symptom the member tracks.")
    severity: Step = Field(
        description="0 none, 1 mild, 2 moderate, 3 severe, 4 very severe."
    )


class CheckInIn(InputSchema):
    scores: list[ScoreIn] = Field(default_factory=list, max_length=MAX_TRACKED)
    mood: Step | None = Field(
        None, description="0 very low, 1 low, 2 okay, 3 good, 4 very good; or null."
    )
    note: str = Field("", max_length=NOTE_LIMIT, pattern=NO_NUL)


class NewCheckInIn(CheckInIn):
    day: Day = Field(
        description="The day checked in for: today or earlier. A second "
        "check-in for the same day replaces the first."
    )


class ScoreOut(Schema):
    symptom: EntryRefOut
    severity: int

    @staticmethod
    def resolve_symptom(score: SymptomScore) -> Any:
        return score.symptom


class CheckInOut(Schema):
    id: int
    day: date
    mood: int | None
    note: str
    scores: list[ScoreOut] = Field(description="By symptom name.")
    recorded_by: str | None = Field(
        description="The display name of the carer who recorded it; null when "
        "the member did."
    )
    recorded_at: datetime

    @staticmethod
    def resolve_scores(check_in: CheckIn) -> Any:
        return list(check_in.scores.all())

    @staticmethod
    def resolve_recorded_by(check_in: CheckIn) -> str | None:
        recorder = check_in.recorded_by
        if recorder is None or recorder.pk == check_in.user_id:
            return None
        return str(recorder.public_name)


# Conditions and tracked symptoms ------------------------------------------------------


class ConditionIn(InputSchema):
    condition: Id = Field(description="The id of a condition in the catalogue.")
    onset_on: Day | None = Field(None, description="When the first symptoms began.")
    diagnosed_on: Day | None = None


class ConditionPatch(InputSchema):
    onset_on: Day | None = Field(
        None, description="Null clears the date; leave it out to keep it."
    )
    diagnosed_on: Day | None = Field(
        None, description="Null clears the date; leave it out to keep it."
    )


class MemberConditionOut(Schema):
    id: int
    condition: CatalogueEntryOut
    onset_on: date | None
    diagnosed_on: date | None
    created_at: datetime


class TrackIn(InputSchema):
    symptom: Id = Field(description="The id of a symptom in the catalogue.")


class TrackedSymptomOut(Schema):
    id: int
    symptom: CatalogueEntryOut
    started_on: date | None = Field(
        description="Null for a carer who may record but not read: they get "
        "the symptoms to rate, not when the member began rating them."
    )
    stopped_on: date | None = Field(description="Null while it is tracked.")
