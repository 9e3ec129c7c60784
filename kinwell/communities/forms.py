"""The shape of what people type into the communities pages. Rules live in
kinwell.communities.services."""

from typing import Any

from django import forms

from kinwell.accounts.forms import KinwellForm
from kinwell.communities.models import Cluster, Community, Membership
from kinwell.communities.services import (
    MAX_AVATAR_BYTES,
    MAX_INVITE_DAYS,
    MAX_INVITE_USES,
    MIN_SIZE_CAP,
)


class SearchForm(KinwellForm):
    q = forms.CharField(label="Name or condition", max_length=120, required=False)


class CommunityForm(KinwellForm):
    name = forms.CharField(
        label="Name",
        max_length=120,
        error_messages={"required": "Give the community a name."},
    )
    topic = forms.CharField(
        label="Condition or service",
        max_length=120,
        required=False,
        help_text="What the community is about, for example: Long COVID.",
    )
    description = forms.CharField(
        label="Short description",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    charter = forms.CharField(
        label="Charter",
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=(
            "You can use Markdown. Say what the community is for, its rules, "
            "and what happens to members' data."
        ),
    )
    visibility = forms.ChoiceField(
        label="Who can see it",
        choices=Community.Visibility.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who can see the community."},
    )
    join_policy = forms.ChoiceField(
        label="How people join",
        choices=Community.JoinPolicy.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how people join."},
    )
    join_question = forms.CharField(
        label="Question for people who ask to join",
        max_length=300,
        required=False,
        help_text="Optional, for communities people join by request.",
    )
    avatar = forms.ImageField(
        label="Picture",
        required=False,
        help_text="Optional. A PNG or JPEG smaller than 2 MB.",
        error_messages={
            "invalid_image": "This file is not a picture we can read. "
            "Try a PNG or JPEG."
        },
    )

    def clean_avatar(self) -> Any:
        avatar = self.cleaned_data.get("avatar")
        if avatar and avatar.size > MAX_AVATAR_BYTES:
            raise forms.ValidationError("Choose a picture smaller than 2 MB.")
        return avatar


class CommunitySettingsForm(CommunityForm):
    size_cap = forms.IntegerField(
        label="Size cap",
        min_value=MIN_SIZE_CAP,
        help_text=(
            "Small groups are where people trust each other. When the community "
            "is full, newcomers wait on a list."
        ),
        error_messages={"required": "Enter a size cap."},
    )
    remove_avatar = forms.BooleanField(label="Remove the picture", required=False)


class JoinForm(KinwellForm):
    answer = forms.CharField(
        label="Your answer",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class LeaveForm(KinwellForm):
    keep_posts = forms.TypedChoiceField(
        label="What happens to your posts",
        choices=[
            ("yes", "Keep them, shown as written by “a former member”"),
            ("no", "Remove them"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens to your posts."},
    )


class RoleForm(KinwellForm):
    role = forms.ChoiceField(
        label="Role",
        choices=Membership.Role.choices,
        error_messages={"invalid_choice": "Choose organiser, moderator or member."},
    )


class DecisionForm(KinwellForm):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("decline", "Decline")],
        error_messages={"required": "Choose approve or decline."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        required=False,
        help_text="Needed when you decline. It is sent to the person.",
    )


class InviteLinkForm(KinwellForm):
    days = forms.IntegerField(
        label="Days the link works",
        min_value=1,
        max_value=MAX_INVITE_DAYS,
        initial=14,
    )
    max_uses = forms.IntegerField(
        label="How many people may use it",
        min_value=1,
        max_value=MAX_INVITE_USES,
        initial=10,
    )


class AnswerForm(KinwellForm):
    accept = forms.TypedChoiceField(
        choices=[("yes", "Accept"), ("no", "Decline")],
        coerce=lambda value: value == "yes",
        error_messages={"required": "Choose accept or decline."},
    )


class ClusterChoiceForm(KinwellForm):
    cluster = forms.ModelChoiceField(
        label="Cluster",
        queryset=Cluster.objects.none(),
        required=False,
        empty_label="No cluster",
    )

    def __init__(self, *args: Any, clusters: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if clusters is not None:
            self.fields["cluster"].queryset = clusters  # type: ignore[attr-defined]


class NewClusterForm(KinwellForm):
    name = forms.CharField(
        label="Cluster name",
        max_length=120,
        help_text="For example: Long COVID UK.",
        error_messages={"required": "Give the cluster a name."},
    )
    description = forms.CharField(
        label="Description",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
