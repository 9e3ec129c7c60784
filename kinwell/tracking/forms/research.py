"""The shape of what researchers and organisers type into the research
pages. The rules (who may, what a request must say, the privacy budget) are
in kinwell.tracking.research."""

from decimal import Decimal
from typing import Any

from django import forms

from kinwell.accounts.forms import KinwellForm
from kinwell.communities.models import Community
from kinwell.tracking.models import DataRelease, DatasetRequest
from kinwell.tracking.research import privacy
from kinwell.tracking.research.services import MAX_PRIVACY_BUDGET

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
CONTENT_FIELDS = (
    "include_conditions",
    "include_check_ins",
    "include_treatments",
    "include_questionnaires",
    "include_notes",
)


class DatasetRequestForm(KinwellForm):
    community = forms.ModelChoiceField(
        queryset=Community.objects.none(),
        label="Community",
        empty_label="Choose a community",
        help_text="Its organisers decide on your request.",
    )
    title = forms.CharField(label="Title of the study", max_length=160)
    institution = forms.CharField(
        label="Your institution",
        max_length=160,
        help_text="Shown with your name in the community's public register.",
    )
    purpose = forms.CharField(
        label="What the data is for",
        max_length=4000,
        widget=forms.Textarea,
        help_text="The question you want to answer and how the data will be "
        "used and kept. Members read this in the public register.",
    )
    include_conditions = forms.BooleanField(
        label="Conditions, with dates of onset and diagnosis",
        required=False,
        initial=True,
    )
    include_check_ins = forms.BooleanField(
        label="Check-ins: symptom severity and mood", required=False, initial=True
    )
    include_treatments = forms.BooleanField(
        label="Treatment courses and evaluations", required=False, initial=True
    )
    include_questionnaires = forms.BooleanField(
        label="Questionnaire answers", required=False
    )
    include_notes = forms.BooleanField(
        label="Members' notes (only from members who allowed it)", required=False
    )
    period_from = forms.DateField(
        label="From (optional)", required=False, widget=DATE_INPUT
    )
    period_to = forms.DateField(
        label="To (optional)", required=False, widget=DATE_INPUT
    )
    privacy_budget = forms.DecimalField(
        label="Privacy budget for counts with differential privacy (optional)",
        required=False,
        min_value=Decimal("0.001"),
        max_value=MAX_PRIVACY_BUDGET,
        decimal_places=3,
        help_text="The total epsilon all your private counts may spend, for "
        "example 1. Leave empty if you want records only.",
    )

    def __init__(self, *args: Any, researcher: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Community.objects.visible_to(researcher).order_by("name")
        if not privacy.available():
            del self.fields["privacy_budget"]

    def content_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CONTENT_FIELDS]

    def request_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.setdefault("privacy_budget", None)
        return data


class ReleaseForm(KinwellForm):
    kind = forms.ChoiceField(
        label="What to release", widget=forms.RadioSelect, choices=()
    )
    epsilon = forms.DecimalField(
        label="Epsilon to spend (counts with differential privacy only)",
        required=False,
        min_value=privacy.MIN_EPSILON,
        decimal_places=3,
        help_text="Smaller means more noise and more privacy. It is taken "
        "from the request's budget for good.",
    )

    def __init__(self, *args: Any, request: DatasetRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [
            (DataRelease.Kind.RECORDS_CSV.value, DataRelease.Kind.RECORDS_CSV.label),
            (DataRelease.Kind.RECORDS_FHIR.value, DataRelease.Kind.RECORDS_FHIR.label),
        ]
        if privacy.may_release(request):
            counts = DataRelease.Kind.PRIVATE_COUNTS
            kinds.append((counts.value, counts.label))
        else:
            del self.fields["epsilon"]
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = kinds
        field.initial = DataRelease.Kind.RECORDS_CSV.value


class DecisionForm(KinwellForm):
    APPROVE = "approve"
    REFUSE = "refuse"

    decision = forms.ChoiceField(
        label="Your decision",
        widget=forms.RadioSelect,
        choices=[(APPROVE, "Approve"), (REFUSE, "Refuse")],
    )
    note = forms.CharField(
        label="A note for the researcher",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when you refuse, so they understand why.",
    )


class EndApprovalForm(KinwellForm):
    note = forms.CharField(
        label="Why you are ending it",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The researcher reads this. What was released stays in the register.",
    )
