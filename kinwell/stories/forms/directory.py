"""The shape of what organisation admins type into the directory's pages.
Rules live in kinwell.stories.directory."""

from typing import Any

from django import forms

from kinwell.accounts.forms import KinwellForm
from kinwell.stories.models import Service, StaffMembership


class OrganisationForm(KinwellForm):
    name = forms.CharField(
        label="Name",
        max_length=160,
        error_messages={"required": "Give the organisation a name."},
    )
    code = forms.CharField(
        label="National code",
        max_length=20,
        required=False,
        help_text="Optional, for example its ODS code.",
    )
    location = forms.CharField(
        label="Location", max_length=160, required=False, help_text="A town or area."
    )
    description = forms.CharField(
        label="Short description",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NewOrganisationForm(OrganisationForm):
    admin_email = forms.EmailField(
        label="First admin's email address",
        required=False,
        help_text="Optional. They need an account here already.",
    )
    admin_job_title = forms.CharField(
        label="First admin's job title", max_length=100, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("admin_email") and not data.get("admin_job_title"):
            self.add_error("admin_job_title", "Give the first admin's job title.")
        return data


class ServiceForm(KinwellForm):
    name = forms.CharField(
        label="Name",
        max_length=160,
        error_messages={"required": "Give the service a name."},
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=Service.Kind.choices,
        error_messages={"required": "Choose site, department or service."},
    )
    parent = forms.TypedChoiceField(
        label="Where it sits",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choose a place in this tree."},
    )
    code = forms.CharField(
        label="National code",
        max_length=20,
        required=False,
        help_text="Optional, for example its ODS code.",
    )
    location = forms.CharField(label="Location", max_length=160, required=False)

    def __init__(self, *args: Any, places: list[Service], **kwargs: Any) -> None:
        """`places`: the nodes it may sit under, in tree order."""
        super().__init__(*args, **kwargs)
        self.places = {place.pk: place for place in places}
        field = self.fields["parent"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            ("", "At the top, directly under the organisation"),
            *((place.pk, _indented(place)) for place in places),
        ]

    def clean_parent(self) -> Service | None:
        chosen = self.cleaned_data.get("parent")
        return None if chosen is None else self.places[chosen]


def _indented(place: Service) -> str:
    # A select cannot nest deeper than one level: dashes show the depth.
    return f"{'— ' * place.depth}{place.name} ({place.get_kind_display()})"


class StaffForm(KinwellForm):
    role = forms.ChoiceField(
        label="Role",
        choices=StaffMembership.Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose reader, responder or admin."},
    )
    job_title = forms.CharField(
        label="Job title",
        max_length=100,
        error_messages={"required": "Give their job title."},
        help_text="Shown beside their replies, for example: Ward manager.",
    )


class NewStaffForm(StaffForm):
    email = forms.EmailField(
        label="Email address",
        help_text="They need an account here already.",
        error_messages={"required": "Give their email address."},
    )
    field_order = ["email", "role", "job_title"]
