"""Shapes of questionnaires in the API: what organisers write, what members
answer, and what each sees back. No rules here; those live in
kinwell.tracking.questionnaires and its scales. Organisers' results carry
aggregates only, never one member's answers."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from kinwell.api.schemas.fields import MAX_ID, InputSchema, enum_schema, one_of
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.models import Questionnaire, QuestionnaireResponse

Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=False)]
Scoring = Annotated[
    str, one_of(Questionnaire.Scoring), enum_schema(Questionnaire.Scoring)
]
Status = Annotated[str, one_of(Questionnaire.Status), enum_schema(Questionnaire.Status)]
Interval = Annotated[
    Literal[0, 7, 14, 28],
    Field(description="Days between reminders: 0 (once only), 7, 14 or 28."),
]
Title = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[^\x00]*$")]
Description = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]
QuestionText = Annotated[
    str, Field(min_length=1, max_length=300, pattern=r"^[^\x00]*$")
]
Label = Annotated[str, Field(min_length=1, max_length=scales.MAX_LABEL)]


# Scales and bands -------------------------------------------------------------


class ChoiceSchema(Schema):
    label: Label
    value: int = Field(ge=-scales.MAX_VALUE, le=scales.MAX_VALUE)


class ChoiceIn(InputSchema):
    label: Label
    value: int = Field(ge=-scales.MAX_VALUE, le=scales.MAX_VALUE, strict=False)


class BandSchema(Schema):
    lowest: float = Field(description="The lowest score in the band.")
    label: str

    @staticmethod
    def resolve_lowest(band: dict[str, Any]) -> float:
        return float(band["from"])


class BandIn(InputSchema):
    lowest: int | float = Field(description="The lowest score in the band.")
    label: Label


# Questionnaires ---------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    position: int
    text: str
    choices: list[ChoiceSchema]


class QuestionnaireOut(Schema):
    id: int
    community: str = Field(description="The community's slug.")
    title: str
    description: str
    status: Status
    scoring: Scoring
    score_bands: list[BandSchema] = Field(
        description="Lowest first; a score gets the label of the last band it reaches."
    )
    interval_days: int = Field(description="0: asked once only.")
    created_at: datetime
    opened_at: datetime | None

    @staticmethod
    def resolve_community(questionnaire: Questionnaire) -> str:
        return questionnaire.community.slug


class QuestionnaireCardOut(QuestionnaireOut):
    enrolled: bool = Field(
        description="Whether the member (you, or whom you act for) is reminded."
    )


class QuestionnaireDetailOut(QuestionnaireCardOut):
    questions: list[QuestionOut]
    next_due_on: date | None = Field(
        description="When it is next due for the member, if they are enrolled; "
        "null for a carer who may record but not read (it follows from the "
        "member's last answer)."
    )


class QuestionnaireIn(InputSchema):
    title: Title
    description: Description = ""
    scoring: Scoring = Questionnaire.Scoring.SUM
    score_bands: list[BandIn] = Field(default_factory=list, max_length=scales.MAX_BANDS)
    interval_days: Interval = 0


class QuestionnairePatch(InputSchema):
    """Fields left out (or null) stay as they are."""

    title: Title | None = None
    description: Description | None = None
    scoring: Scoring | None = None
    score_bands: list[BandIn] | None = Field(None, max_length=scales.MAX_BANDS)
    interval_days: Interval | None = None


class QuestionIn(InputSchema):
    text: QuestionText
    scale: Literal["intensity", "frequency", "yes_no"] | None = Field(
        None,
        description="A ready-made scale: intensity (0 not at all to 4 extremely), "
        "frequency (0 not at all to 3 nearly every day) or yes_no (0 or 1). "
        "Give either a scale or choices.",
    )
    choices: list[ChoiceIn] | None = Field(None, max_length=scales.MAX_CHOICES)


class MoveIn(InputSchema):
    direction: Literal["up", "down"]


# Enrolments and responses ------------------------------------------------------


class EnrolmentOut(Schema):
    questionnaire: int = Field(description="The questionnaire's id.")
    title: str
    community: str = Field(description="The community's slug.")
    next_due_on: date | None
    created_at: datetime

    @staticmethod
    def resolve_questionnaire(enrolment: Any) -> int:
        return int(enrolment.questionnaire_id)

    @staticmethod
    def resolve_title(enrolment: Any) -> str:
        return str(enrolment.questionnaire.title)

    @staticmethod
    def resolve_community(enrolment: Any) -> str:
        return str(enrolment.community.slug)


class AnswerIn(InputSchema):
    question: Id
    value: int = Field(strict=False)


class ResponseIn(InputSchema):
    answers: list[AnswerIn] = Field(max_length=scales.MAX_QUESTIONS)


class AnswerOut(Schema):
    question: int = Field(description="The question's id.")
    value: int

    @staticmethod
    def resolve_question(answer: Any) -> int:
        return int(answer.question_id)


class ResponseOut(Schema):
    id: int
    questionnaire: int = Field(description="The questionnaire's id.")
    title: str
    community: str = Field(description="The community's slug.")
    score: Decimal
    band: str = Field(description="The score's band; empty without bands.")
    answered_at: datetime
    by_carer: bool = Field(description="Whether a carer recorded it for the member.")
    answers: list[AnswerOut]

    @staticmethod
    def resolve_questionnaire(response: QuestionnaireResponse) -> int:
        return int(response.questionnaire_id)

    @staticmethod
    def resolve_title(response: QuestionnaireResponse) -> str:
        return response.questionnaire.title

    @staticmethod
    def resolve_community(response: QuestionnaireResponse) -> str:
        return response.community.slug

    @staticmethod
    def resolve_band(response: QuestionnaireResponse) -> str:
        return scales.band_for(response.score, response.questionnaire.score_bands)

    @staticmethod
    def resolve_by_carer(response: QuestionnaireResponse) -> bool:
        recorder = response.recorded_by_id
        return recorder is not None and recorder != response.user_id

    @staticmethod
    def resolve_answers(response: QuestionnaireResponse) -> list[Any]:
        return list(response.answers.all())


# Results (organisers) -----------------------------------------------------------


class BandCountOut(Schema):
    label: str
    count: int | None = Field(
        description="Members whose latest score is in the band, rounded to the "
        "nearest 5; null when withheld (below 10, or it would reveal one that is)."
    )


class ResultsOut(Schema):
    enough: bool = Field(
        description="Whether 10 or more members answered; if not, nothing else "
        "is given."
    )
    members: int | None = Field(
        description="Members who answered, rounded to the nearest 5; null when "
        "withheld."
    )
    responses: int | None = Field(
        description="Responses in all, rounded to the nearest 5; null when withheld."
    )
    bands: list[BandCountOut]
