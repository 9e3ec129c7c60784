"""The shape of a treatment course, its stop, an evaluation and the period
of the charts, as the website takes them. The rules live in
kinwell.tracking.treatments."""

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from kinwell.accounts.forms import KinwellForm
from kinwell.tracking.charts import MONTH_CHOICES
from kinwell.tracking.models import Evaluation, Symptom, Treatment, TreatmentCourse
from kinwell.tracking.models.records import Severity

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": "Give a date, such as 2025-03-01."}
SIDE_EFFECT_PREFIX = "side_effect_"
# An answer left empty: "too soon to tell" or "rather not say".
UNANSWERED = ""


def _date_field(label: str, *, required: bool = True, **kwargs: Any) -> Any:
    return forms.DateField(
        label=label,
        required=required,
        widget=DATE_WIDGET,
        error_messages={**DATE_ERRORS, "required": f"Give the {label.lower()}."},
        **kwargs,
    )


def _text(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=60, required=False, help_text=help_text
    )


# A course --------------------------------------------------------------------------


class CourseDetailsForm(KinwellForm):
    started_on = _date_field("Start date", initial=timezone.localdate)
    dose = _text("Dose (optional)", "For example: 10 mg, or 2 puffs.")
    frequency = _text(
        "How often (optional)", "For example: twice a day, or when needed."
    )


class CourseForm(CourseDetailsForm):
    treatment = forms.TypedChoiceField(
        label="Treatment",
        coerce=int,
        error_messages={
            "required": "Choose a treatment.",
            "invalid_choice": "Choose a treatment from the list.",
        },
    )
    field_order = ["treatment", "started_on", "dose", "frequency"]

    def setup(self, offered: QuerySet[Treatment]) -> None:
        """Offers the treatments in `offered`, grouped by kind."""
        self.offered = {t.pk: t for t in offered.order_by("name", "pk")}
        groups: dict[str, list[tuple[int, str]]] = {}
        for treatment in self.offered.values():
            groups.setdefault(treatment.get_kind_display(), []).append(
                (treatment.pk, treatment.name)
            )
        field = self.fields["treatment"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Choose a treatment"), *sorted(groups.items())]

    def chosen_treatment(self) -> Treatment:
        return self.offered[self.cleaned_data["treatment"]]


def _stop_reason(*, required: bool = True, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Why it stopped",
        choices=TreatmentCourse.StopReason.choices,
        required=required,
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": "Choose why the course stopped."},
    )


class StopForm(KinwellForm):
    stopped_on = _date_field("Stop date", initial=timezone.localdate)
    stop_reason = _stop_reason()


class CourseEditForm(CourseDetailsForm):
    stopped_on = _date_field(
        "Stop date",
        required=False,
        help_text="Leave it empty if you are still on this treatment.",
    )
    stop_reason = _stop_reason(
        required=False, help_text="Only for a course that has stopped."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("stopped_on") and not data.get("stop_reason"):
            self.add_error("stop_reason", "Choose why the course stopped.")
        if not data.get("stopped_on"):
            data["stopped_on"], data["stop_reason"] = None, ""
        return data


def course_initial(course: TreatmentCourse) -> dict[str, Any]:
    return {
        "started_on": course.started_on,
        "dose": course.dose,
        "frequency": course.frequency,
        "stopped_on": course.stopped_on,
        "stop_reason": course.stop_reason,
    }


# An evaluation ---------------------------------------------------------------------


class AnswerField(forms.TypedChoiceField):
    """A 0-4 scale in words, and a first answer meaning "not answered"."""

    def __init__(
        self, choices: Sequence[tuple[int, str]], unanswered: str, **kwargs: Any
    ) -> None:
        super().__init__(
            choices=[
                (UNANSWERED, unanswered),
                *((str(value), label) for value, label in choices),
            ],
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            error_messages={"invalid_choice": "Choose one of the answers offered."},
            **kwargs,
        )


SIDE_EFFECT_CHOICES = [
    (UNANSWERED, "Not a side effect"),
    *((str(value), label) for value, label in Severity.choices if value),
]


class EvaluationForm(KinwellForm):
    evaluated_on = _date_field("Date of this evaluation", initial=timezone.localdate)
    effectiveness = AnswerField(
        Evaluation.Effectiveness.choices,
        "Too soon to tell",
        label="How well is it working for you?",
    )
    adherence = AnswerField(
        Evaluation.Adherence.choices,
        "I would rather not say",
        label="How often do you take it as prescribed or planned?",
    )
    burden = AnswerField(
        Evaluation.Burden.choices,
        "Too soon to tell",
        label="How much of a burden is it (time, effort, hassle)?",
    )
    cost_band = forms.ChoiceField(
        label="What does it cost you?",
        choices=[(UNANSWERED, "I would rather not say"), *Evaluation.CostBand.choices],
        required=False,
        widget=forms.RadioSelect,
        help_text="What you pay yourself, as it feels to you.",
        error_messages={"invalid_choice": "Choose one of the cost bands offered."},
    )
    note = forms.CharField(
        label="A note (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only you, and a carer you allow to read your records, see "
        "it; it goes into research datasets only if you allow your notes there "
        "on the Consents page.",
    )

    def setup(
        self, symptoms: Iterable[Symptom], *, first: Collection[int] = ()
    ) -> None:
        """One optional severity per symptom the member may name; those in
        `first` (the symptoms they track, the side effects they named last
        time) come first, the rest after them."""
        self.symptoms = list(symptoms)
        self.first = set(first)
        for symptom in self.symptoms:
            self.fields[f"{SIDE_EFFECT_PREFIX}{symptom.pk}"] = forms.TypedChoiceField(
                label=symptom.name,
                choices=SIDE_EFFECT_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                error_messages={"invalid_choice": "Choose a severity from the list."},
            )

    def first_side_effect_fields(self) -> list[forms.BoundField]:
        return [self._side_effect(s) for s in self.symptoms if s.pk in self.first]

    def other_side_effect_fields(self) -> list[forms.BoundField]:
        return [self._side_effect(s) for s in self.symptoms if s.pk not in self.first]

    def others_in_use(self) -> bool:
        """Whether a symptom offered after the first has a severity or an
        error, so that its folded list must show open."""
        return any(f.value() or f.errors for f in self.other_side_effect_fields())

    def _side_effect(self, symptom: Symptom) -> forms.BoundField:
        return self[f"{SIDE_EFFECT_PREFIX}{symptom.pk}"]

    def side_effects(self) -> dict[int, int]:
        """Symptom id -> severity, for the symptoms named as side effects."""
        chosen = {
            symptom.pk: self.cleaned_data.get(f"{SIDE_EFFECT_PREFIX}{symptom.pk}")
            for symptom in self.symptoms
        }
        return {pk: severity for pk, severity in chosen.items() if severity}

    def evaluation_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "evaluated_on": data["evaluated_on"],
            "effectiveness": data["effectiveness"],
            "adherence": data["adherence"],
            "burden": data["burden"],
            "cost_band": data["cost_band"],
            "side_effects": self.side_effects(),
            "note": data["note"],
        }


def evaluation_initial(last: Evaluation | None) -> dict[str, Any]:
    """A new evaluation starts from the last one's answers (not its note):
    quicker for someone tired, who changes only what changed."""
    if last is None:
        # "Too soon to tell" / "rather not say" shown chosen, as they are.
        return dict.fromkeys(("effectiveness", "adherence", "burden"), UNANSWERED)
    initial: dict[str, Any] = {
        name: UNANSWERED if value is None else str(value)
        for name, value in (
            ("effectiveness", last.effectiveness),
            ("adherence", last.adherence),
            ("burden", last.burden),
        )
    }
    initial["cost_band"] = last.cost_band
    for effect in last.side_effects.all():
        initial[f"{SIDE_EFFECT_PREFIX}{effect.symptom_id}"] = str(effect.severity)
    return initial


# The charts ------------------------------------------------------------------------


class ChartPeriodForm(KinwellForm):
    months = forms.TypedChoiceField(
        label="Show the last",
        choices=[(str(months), f"{months} months") for months in MONTH_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose 3, 6 or 12 months."},
    )
