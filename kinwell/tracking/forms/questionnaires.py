"""The shape of a questionnaire, a question and a set of answers, as the
website takes them. The rules live in kinwell.tracking.questionnaires and
its scales."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from kinwell.accounts.forms import KinwellForm
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.models import Question, Questionnaire

ANSWER_PREFIX = "question_"


def _messages(error: ValidationError) -> forms.ValidationError:
    """A service rule's error, as a field's own."""
    return forms.ValidationError(error.messages)


class QuestionnaireForm(KinwellForm):
    title = forms.CharField(
        label="Title",
        max_length=120,
        error_messages={"required": "Give the questionnaire a title."},
    )
    description = forms.CharField(
        label="What it is for (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Members read this before they choose to answer.",
    )
    interval_days = forms.TypedChoiceField(
        label="How often members are asked",
        choices=scales.INTERVALS,
        coerce=int,
        widget=forms.RadioSelect,
        initial=0,
    )
    scoring = forms.ChoiceField(
        label="The score",
        choices=Questionnaire.Scoring.choices,
        widget=forms.RadioSelect,
        initial=Questionnaire.Scoring.SUM,
    )
    score_bands = forms.CharField(
        label="Score bands (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One band a line, lowest first, as “name = lowest score”, "
        "for example “Mild = 5”. Members see their band; you see how many "
        "members are in each. They cannot change once it is open.",
    )

    def clean_score_bands(self) -> list[dict[str, Any]]:
        try:
            return scales.bands_from_lines(self.cleaned_data["score_bands"])
        except ValidationError as error:
            raise _messages(error) from None


def questionnaire_initial(questionnaire: Questionnaire) -> dict[str, Any]:
    return {
        "title": questionnaire.title,
        "description": questionnaire.description,
        "interval_days": questionnaire.interval_days,
        "scoring": questionnaire.scoring,
        "score_bands": scales.bands_as_lines(questionnaire.score_bands),
    }


class QuestionForm(KinwellForm):
    text = forms.CharField(
        label="The question",
        max_length=300,
        error_messages={"required": "Write the question."},
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scale = forms.ChoiceField(
        label="Answers to choose from",
        choices=[
            *((name, label) for name, (label, _) in scales.SCALES.items()),
            (scales.CUSTOM, "Your own answers (below)"),
        ],
        widget=forms.RadioSelect,
        initial="intensity",
    )
    custom_choices = forms.CharField(
        label="Your own answers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One answer a line, in the order asked, as “words = value”, "
        "for example “Not at all = 0”. From 2 to 11 answers; values are "
        "whole numbers.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scale = data.get("scale")
        try:
            if scale == scales.CUSTOM:
                data["choices"] = scales.choices_from_lines(
                    data.get("custom_choices", "")
                )
            elif scale:
                data["choices"] = scales.scale_choices(scale)
        except ValidationError as error:
            self.add_error("custom_choices", _messages(error))
        return data


def question_initial(question: Question) -> dict[str, Any]:
    scale = scales.scale_name(question.choices)
    return {
        "text": question.text,
        "scale": scale,
        "custom_choices": scales.choices_as_lines(question.choices)
        if scale == scales.CUSTOM
        else "",
    }


class MoveForm(KinwellForm):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class AnswerForm(KinwellForm):
    """One group of radio buttons per question, each a fieldset whose legend
    is the question."""

    def __init__(self, *args: Any, questions: Iterable[Question], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"{ANSWER_PREFIX}{question.pk}"] = forms.TypedChoiceField(
                label=f"{question.position}. {question.text}",
                choices=[(str(c["value"]), c["label"]) for c in question.choices],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": "Choose an answer.",
                    "invalid_choice": "Choose one of the answers offered.",
                },
            )

    def answers(self) -> dict[int, int]:
        return {
            question.pk: self.cleaned_data[f"{ANSWER_PREFIX}{question.pk}"]
            for question in self.questions
        }
