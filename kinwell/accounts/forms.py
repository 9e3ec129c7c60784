"""The shape of what people type into the accounts pages. Rules live in services."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from kinwell.accounts.models import ApiToken, Credential, Delegation, User
from kinwell.lib.forms import RememberedBoundField


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Shows a service's ValidationError on the form: on the field it names when
    the form has that field, otherwise at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class KinwellForm(forms.Form):
    bound_field_class = RememberedBoundField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Labels read as plain words; a trailing colon reads oddly after a checkbox.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ProfileForm(KinwellForm):
    display_name = forms.CharField(
        label="Display name",
        max_length=60,
        required=False,
        help_text="What other members see. It does not need to be your real name.",
    )
    pronouns = forms.CharField(
        label="Pronouns",
        max_length=40,
        required=False,
        help_text="For example: she/her.",
    )
    bio = forms.CharField(
        label="About you",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Optional. You can use Markdown. Shown on your personal page.",
    )


class AccessibilityForm(KinwellForm):
    text_size = forms.ChoiceField(
        label="Text size",
        choices=User.TextSize.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the offered text sizes."},
    )
    high_contrast = forms.BooleanField(
        label="High contrast colours",
        required=False,
    )
    reduced_motion = forms.BooleanField(
        label="Reduce movement on the page",
        required=False,
    )


class CredentialForm(KinwellForm):
    profession = forms.ChoiceField(
        label="Profession",
        choices=[("", "Choose your profession"), *Credential.Profession.choices],
        error_messages={"required": "Choose your profession."},
    )
    registration_body = forms.CharField(
        label="Registration body",
        max_length=120,
        help_text="For example: Nursing and Midwifery Council.",
        error_messages={"required": "Enter the body you are registered with."},
    )
    registration_number = forms.CharField(
        label="Registration number",
        max_length=60,
        error_messages={"required": "Enter your registration number."},
    )


class InviteCarerForm(KinwellForm):
    carer_email = forms.EmailField(
        label="Your carer's email address",
        help_text=(
            "If they have no account yet, the invitation waits for them "
            "to sign up with this address."
        ),
        error_messages={"required": "Enter your carer's email address."},
    )
    scopes = forms.MultipleChoiceField(
        label="What they may do for you",
        choices=Delegation.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one thing they may do.",
            "invalid_choice": "Choose from the options shown.",
        },
    )


class ConsentForm(KinwellForm):
    given = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")])


class ApiTokenForm(KinwellForm):
    name = forms.CharField(
        label="Token name",
        max_length=60,
        help_text="Something you will recognise, such as 'My tracking app'.",
        error_messages={"required": "Give the token a name you will recognise."},
    )
    scope = forms.ChoiceField(
        label="What the token may do",
        choices=ApiToken.Scope.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose read or write.",
            "invalid_choice": "Choose read or write.",
        },
    )


class ReviewCredentialForm(KinwellForm):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")],
        error_messages={"required": "Choose approve or reject."},
    )
    note = forms.CharField(
        label="Note to the person",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when you reject, so they can put it right.",
    )
