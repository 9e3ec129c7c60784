"""Small helpers that make questionnaires and answers through the real
services (kinwell.tracking.questionnaires)."""

from typing import Any

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking import questionnaires
from kinwell.tracking.models import Questionnaire, QuestionnaireResponse

SECRET_TITLE = "Canary questionnaire title"
BANDS = [
    {"from": 0, "label": "Low"},
    {"from": 3, "label": "Middle"},
    {"from": 6, "label": "High"},
]


def make_questionnaire(
    organiser: User,
    community: Community,
    *,
    title: str = SECRET_TITLE,
    questions: int = 2,
    scale: str = "intensity",
    opened: bool = True,
    **fields: Any,
) -> Questionnaire:
    """A questionnaire of `questions` questions on a ready-made scale,
    opened unless told otherwise."""
    fields.setdefault("interval_days", 7)
    fields.setdefault("score_bands", BANDS)
    found = questionnaires.create_questionnaire(
        organiser, community=community, title=title, **fields
    )
    for number in range(1, questions + 1):
        questionnaires.add_question(
            organiser,
            questionnaire=found,
            text=f"Question {number}: how much did it bother you?",
            choices=scales.scale_choices(scale),
        )
    if opened:
        found = questionnaires.open_questionnaire(organiser, questionnaire=found)
    return found


def answer_all(
    owner: User, found: Questionnaire, value: int, *, actor: User | None = None
) -> QuestionnaireResponse:
    """Every question answered with `value`."""
    answers = {question.pk: value for question in found.questions.all()}
    return questionnaires.answer_questionnaire(
        actor or owner, owner=owner, questionnaire=found, answers=answers
    )
