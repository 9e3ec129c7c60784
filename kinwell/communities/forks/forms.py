"""The shape of what members type into the fork pages. Rules live in services."""

from django import forms
from django.db import models

from kinwell.accounts.forms import KinwellForm
from kinwell.communities.models import ForkComment, ForkProposal

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes(value: str) -> bool:
    return value == "yes"


def _limit(model: type[models.Model], name: str) -> int | None:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.max_length


class ProposeForkForm(KinwellForm):
    name = forms.CharField(
        label="Name of the new community",
        max_length=_limit(ForkProposal, "name"),
        error_messages={"required": "Give the new community a name."},
    )
    slug = forms.SlugField(
        label="Web address",
        max_length=_limit(ForkProposal, "slug"),
        help_text="Lower-case letters, numbers and hyphens, such as 'evening-group'.",
        error_messages={
            "required": "Choose a web address for the new community.",
            "invalid": "Use only lower-case letters, numbers and hyphens.",
        },
    )
    reason = forms.CharField(
        label="Why you propose it",
        max_length=_limit(ForkProposal, "reason"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="You can use Markdown. Every member will read this.",
        error_messages={"required": "Say why you propose the fork."},
    )
    charter = forms.CharField(
        label="Proposed charter",
        max_length=_limit(ForkProposal, "charter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Starts as this community's charter. Change what you would do "
        "differently. You can use Markdown.",
    )
    bring_posts = forms.BooleanField(
        label="Bring my past posts along to the new community",
        required=False,
        help_text="Recorded in your consent record. You can change it until the "
        "fork is confirmed.",
    )


class ForkChoiceForm(KinwellForm):
    joins = forms.TypedChoiceField(
        label="Do you want to join the new community?",
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether you will join the new community.",
            "invalid_choice": "Choose yes or no.",
        },
    )
    bring_posts = forms.TypedChoiceField(
        label="May copies of your past posts go to the new community?",
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
        help_text="If not, your posts appear there only as 'a post by a member "
        "who did not bring their posts along'. Recorded in your consent record.",
        error_messages={
            "required": "Choose whether your past posts come along.",
            "invalid_choice": "Choose yes or no.",
        },
    )


class ForkCommentForm(KinwellForm):
    body = forms.CharField(
        label="Your comment",
        max_length=_limit(ForkComment, "body"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="You can use Markdown.",
        error_messages={"required": "Write a comment before sending it."},
    )
