"""The shape of a check-in, a condition and a choice of symptoms, as the
website takes them. The rules live in kinwell.tracking.checkins."""

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet

from kinwell.accounts.forms import KinwellForm
from kinwell.tracking.models import Condition, Symptom
from kinwell.tracking.models.records import Mood, Severity

MAX_MATCHES = 40
# A rating left as it was offered: the symptom is not rated that day.
SKIP = ""
SYMPTOM_PREFIX = "symptom_"
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _scale(choices: Sequence[tuple[int, str]]) -> list[tuple[str, str]]:
    return [(str(value), f"{label} ({value})") for value, label in choices]


class ScaleField(forms.TypedChoiceField):
    """Five labelled steps, 0 to 4, and "Skip"; empty means not rated."""

    def __init__(self, choices: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(
            choices=[*_scale(choices), (SKIP, "Skip")],
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            error_messages={"invalid_choice": "Choose one of the five steps."},
            **kwargs,
        )


class CheckInForm(KinwellForm):
    day = forms.DateField(widget=forms.HiddenInput)
    mood = ScaleField(Mood.choices, label="Your mood")
    note = forms.CharField(
        label="A note (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Anything you want to remember about the day. Only you, and "
        "a carer you allow to read your records, see it.",
    )

    def setup(self, symptoms: Iterable[Symptom]) -> None:
        """One severity scale per symptom rated that day, in the order given."""
        self.symptoms = list(symptoms)
        for symptom in self.symptoms:
            self.fields[f"{SYMPTOM_PREFIX}{symptom.pk}"] = ScaleField(
                Severity.choices, label=symptom.name
            )

    def symptom_fields(self) -> list[forms.BoundField]:
        return [self[f"{SYMPTOM_PREFIX}{symptom.pk}"] for symptom in self.symptoms]

    def scores(self) -> dict[int, int]:
        """Symptom id -> severity, for the symptoms rated."""
        return {
            symptom.pk: self.cleaned_data[f"{SYMPTOM_PREFIX}{symptom.pk}"]
            for symptom in self.symptoms
            if self.cleaned_data.get(f"{SYMPTOM_PREFIX}{symptom.pk}") is not None
        }


def check_in_initial(
    day: date, mood: int | None, note: str, scores: dict[int, int]
) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "day": day,
        "mood": SKIP if mood is None else str(mood),
        "note": note,
    }
    for symptom_id, severity in scores.items():
        initial[f"{SYMPTOM_PREFIX}{symptom_id}"] = str(severity)
    return initial


class DayForm(KinwellForm):
    """`?day=` on the check-in page."""

    day = forms.DateField(required=False)


# Conditions ----------------------------------------------------------------------


class ConditionDatesForm(KinwellForm):
    onset_on = forms.DateField(
        label="When your first symptoms began (optional)",
        required=False,
        widget=DATE_WIDGET,
        help_text="An approximate date is fine, such as the first of the month.",
        error_messages={"invalid": "Give a date, such as 2023-03-01."},
    )
    diagnosed_on = forms.DateField(
        label="When it was diagnosed (optional)",
        required=False,
        widget=DATE_WIDGET,
        help_text="Leave it empty if it is not diagnosed, or you do not know.",
        error_messages={"invalid": "Give a date, such as 2023-03-01."},
    )


class ConditionForm(ConditionDatesForm):
    q = forms.CharField(label="Find a condition", max_length=100, required=False)
    condition = forms.ModelChoiceField(
        label="Condition",
        queryset=Condition.objects.none(),
        empty_label="Choose a condition",
        error_messages={
            "required": "Choose a condition.",
            "invalid_choice": "Choose a condition from the list.",
        },
    )
    field_order = ["q", "condition", "onset_on", "diagnosed_on"]

    def setup(self, offered: QuerySet[Condition], query: str) -> None:
        """Offers the conditions in `offered` whose name matches `query`."""
        self.query = " ".join(query.split())[:100]
        if self.query:
            offered = offered.filter(name__icontains=self.query)
        field = self.fields["condition"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = offered.order_by("name", "pk")


# Symptoms ------------------------------------------------------------------------


class TrackSymptomsForm(KinwellForm):
    q = forms.CharField(label="Find a symptom", max_length=100, required=False)
    symptoms = forms.ModelMultipleChoiceField(
        label="Symptoms to rate at each check-in",
        queryset=Symptom.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Tick at least one symptom.",
            "invalid_choice": "Choose symptoms from the list.",
            "invalid_pk_value": "Choose symptoms from the list.",
        },
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def setup(self, offered: QuerySet[Symptom], query: str) -> None:
        """Offers the symptoms in `offered` matching `query` (the first
        MAX_MATCHES by name; all of them stay valid choices)."""
        self.query = " ".join(query.split())[:100]
        field = self.fields["symptoms"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = offered
        shown = offered.filter(name__icontains=self.query) if self.query else offered
        field.widget.choices = [
            (s.pk, s.name) for s in shown.order_by("name", "pk")[:MAX_MATCHES]
        ]
        self.more = shown.count() > MAX_MATCHES
