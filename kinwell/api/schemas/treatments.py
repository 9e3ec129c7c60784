"""Shapes of a member's treatment courses, evaluations and personal charts in
the API. No rules here; those live in kinwell.tracking.treatments and
kinwell.tracking.access."""

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, Field, WithJsonSchema

from kinwell.api.schemas.fields import (
    NO_NUL,
    InputSchema,
    WholeNumber,
    enum_schema,
    one_of,
)
from kinwell.api.schemas.fields import max_length as field_length
from kinwell.api.schemas.tracking import Day, EntryRefOut, Id, Step
from kinwell.tracking.charts import MONTH_CHOICES
from kinwell.tracking.models import Evaluation, SideEffect, TreatmentCourse
from kinwell.tracking.treatments import MAX_SIDE_EFFECTS

StopReason = Annotated[
    str, one_of(TreatmentCourse.StopReason), enum_schema(TreatmentCourse.StopReason)
]
Severity = Annotated[
    int,
    Field(
        ge=1,
        le=4,
        strict=False,
        description="1 mild, 2 moderate, 3 severe, 4 very severe.",
    ),
]
NOTE_LIMIT = field_length(Evaluation, "note")


def _cost_band(value: str) -> str:
    if value and value not in Evaluation.CostBand.values:
        bands = ", ".join(Evaluation.CostBand.values)
        raise ValueError(f"Choose one of: {bands}; or leave it empty.")
    return value


CostBand = Annotated[
    str,
    AfterValidator(_cost_band),
    WithJsonSchema(
        {
            "type": "string",
            "enum": ["", *Evaluation.CostBand.values],
            "description": "Empty when not said.",
        }
    ),
]


def _months(value: int) -> int:
    if value not in MONTH_CHOICES:
        raise ValueError("Choose 3, 6 or 12 months.")
    return value


# Digits only (WholeNumber), then one of the periods the charts offer.
Months = Annotated[
    WholeNumber,
    AfterValidator(_months),
    WithJsonSchema({"type": "integer", "enum": list(MONTH_CHOICES)}),
]


def _text(field: str) -> Any:
    return Field("", max_length=field_length(TreatmentCourse, field), pattern=NO_NUL)


def _optional_text(field: str) -> Any:
    return Field(None, max_length=field_length(TreatmentCourse, field), pattern=NO_NUL)


def recorded_by(row: Any) -> str | None:
    """The carer who recorded a row, by display name; None when the member did."""
    recorder = row.recorded_by
    if recorder is None or recorder.pk == row.user_id:
        return None
    return str(recorder.public_name)


# Courses ---------------------------------------------------------------------------


class TreatmentRefOut(Schema):
    id: int
    name: str
    kind: str = Field(description="medicine, therapy, device or lifestyle.")


class CourseOut(Schema):
    id: int
    treatment: TreatmentRefOut
    started_on: date
    stopped_on: date | None = Field(description="Null while the course is current.")
    is_current: bool
    dose: str
    frequency: str
    stop_reason: str = Field(
        description="Why it stopped (side_effects, not_working, better, finished, "
        "advice, cost, access, other); empty while current."
    )
    recorded_by: str | None = Field(
        description="The display name of the carer who recorded it; null when "
        "the member did."
    )
    created_at: datetime

    @staticmethod
    def resolve_recorded_by(course: TreatmentCourse) -> str | None:
        return recorded_by(course)


class CourseIn(InputSchema):
    treatment: Id = Field(
        description="The id of a treatment in the catalogue the member may use."
    )
    started_on: Day = Field(description="Today or earlier.")
    dose: str = _text("dose")
    frequency: str = _text("frequency")


class CoursePatch(InputSchema):
    started_on: Day | None = None
    dose: str | None = _optional_text("dose")
    frequency: str | None = _optional_text("frequency")
    stopped_on: Day | None = Field(
        None,
        description="A stop date (with stop_reason) stops the course; an "
        "explicit null takes a stopped course up again; leave it out to keep it.",
    )
    stop_reason: StopReason | None = None


class StopIn(InputSchema):
    stopped_on: Day = Field(
        description="On or after the start, and not later than today."
    )
    reason: StopReason


# Evaluations -----------------------------------------------------------------------


class SideEffectIn(InputSchema):
    symptom: Id = Field(description="The id of a symptom in the member's catalogue.")
    severity: Severity


class EvaluationIn(InputSchema):
    evaluated_on: Day | None = Field(
        None,
        description="Today when left out. Evaluating a course again on the "
        "same day replaces that day's evaluation.",
    )
    effectiveness: Step | None = Field(
        None, description="0 no effect to 4 major; null: too soon to tell."
    )
    adherence: Step | None = Field(
        None, description="0 never to 4 always as prescribed; null: not said."
    )
    burden: Step | None = Field(
        None, description="0 not at all to 4 very much; null: too soon to tell."
    )
    cost_band: CostBand = ""
    side_effects: list[SideEffectIn] = Field(
        default_factory=list, max_length=MAX_SIDE_EFFECTS
    )
    note: str = Field("", max_length=NOTE_LIMIT, pattern=NO_NUL)


class SideEffectOut(Schema):
    symptom: EntryRefOut
    severity: int

    @staticmethod
    def resolve_symptom(effect: SideEffect) -> Any:
        return effect.symptom


class EvaluationOut(Schema):
    id: int
    course_id: int
    evaluated_on: date
    effectiveness: int | None
    adherence: int | None
    burden: int | None
    cost_band: str
    side_effects: list[SideEffectOut] = Field(description="The most severe first.")
    note: str
    recorded_by: str | None
    created_at: datetime

    @staticmethod
    def resolve_side_effects(evaluation: Evaluation) -> Any:
        return list(evaluation.side_effects.all())

    @staticmethod
    def resolve_recorded_by(evaluation: Evaluation) -> str | None:
        return recorded_by(evaluation)


# The charts ------------------------------------------------------------------------


class ChartPointOut(Schema):
    day: date
    value: int = Field(description="0 to 4.")
    words: str = Field(description="The value in words, as the chart's scale.")


class SymptomSeriesOut(Schema):
    symptom: EntryRefOut
    points: list[ChartPointOut] = Field(description="The days rated, in order.")


class ChartCourseOut(Schema):
    course_id: int
    treatment: str
    started_on: date
    stopped_on: date | None


class ChartOut(Schema):
    months: int
    start: date
    end: date = Field(description="Today.")
    symptoms: list[SymptomSeriesOut] = Field(
        description="Each symptom tracked in the period or rated in it, by name."
    )
    mood: list[ChartPointOut]
    courses: list[ChartCourseOut] = Field(
        description="The treatment courses overlapping the period, by start."
    )
