"""The shape of a catalogue entry as organisers type it. The rules (names
unique and fixed, codes well formed) live in kinwell.tracking.catalogue."""

from typing import Any

from django import forms

from kinwell.accounts.forms import KinwellForm
from kinwell.tracking.catalogue import code_fields
from kinwell.tracking.models import Treatment

CODE_HELP = "Optional. Researchers and exports use it; nobody else needs it."


class EntryForm(KinwellForm):
    name = forms.CharField(
        label="Name",
        max_length=120,
        help_text="The words members use, for example “Brain fog”.",
        error_messages={"required": "Give it a name."},
    )
    description = forms.CharField(
        label="Short description (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    treatment_kind = forms.ChoiceField(
        label="Kind of treatment",
        choices=Treatment.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose medicine, therapy, device or lifestyle."},
    )
    icd10_code = forms.CharField(
        label="ICD-10 code", max_length=10, required=False, help_text=CODE_HELP
    )
    atc_code = forms.CharField(
        label="ATC code", max_length=10, required=False, help_text=CODE_HELP
    )
    snomed_code = forms.CharField(
        label="SNOMED CT code", max_length=20, required=False, help_text=CODE_HELP
    )

    def __init__(
        self, *args: Any, kind: str, adding: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # A name is given once: members' records name the entry by it.
        kept = {"description", *code_fields(kind)} | ({"name"} if adding else set())
        if kind == "treatments":
            kept.add("treatment_kind")
        for name in list(self.fields):
            if name not in kept:
                del self.fields[name]

    def entry_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def entry_initial(entry: Any, kind: str) -> dict[str, Any]:
    initial = {"description": entry.description}
    initial |= {field: getattr(entry, field) for field in code_fields(kind)}
    if kind == "treatments":
        initial["treatment_kind"] = entry.kind
    return initial
