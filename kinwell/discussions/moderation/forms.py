"""The shape of what members and moderators type into the moderation pages.
Rules live in kinwell.discussions.moderation.services."""

from typing import Any

from django import forms

from kinwell.accounts.forms import KinwellForm
from kinwell.communities.models import Community
from kinwell.discussions.models import Flag
from kinwell.discussions.moderation.sanctions import MAX_SUSPENSION_DAYS
from kinwell.discussions.moderation.services import (
    MAX_HOLD_FIRST_POSTS,
    POST_ACTIONS,
    THREAD_STATES,
)

REASON_HELP = "Members read it in the moderation log."
SIGN_LABEL = "Sign with my name in the log (otherwise it says “a moderator”)"


class FlagForm(KinwellForm):
    reason = forms.ChoiceField(
        label="What is wrong",
        choices=Flag.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you are flagging the post."},
    )
    note = forms.CharField(
        label="Anything the moderators should know (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ModeratorForm(KinwellForm):
    """What every moderator action asks: a reason, and whether to sign."""

    reason = forms.CharField(
        label="Reason", max_length=250, required=False, help_text=REASON_HELP
    )
    signed = forms.BooleanField(label=SIGN_LABEL, required=False)


class PostActionForm(ModeratorForm):
    action = forms.ChoiceField(
        choices=[(action, action) for action in POST_ACTIONS],
        error_messages={"required": "Choose what to do with the post."},
    )


class RedactForm(ModeratorForm):
    body = forms.CharField(
        label="The post, with the personal information taken out",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="The text as it was is not kept anywhere once you save.",
    )


class ThreadStateForm(ModeratorForm):
    state = forms.ChoiceField(
        choices=[(state, state) for state in THREAD_STATES],
        error_messages={"required": "Choose what to do with the thread."},
    )


class MoveThreadForm(ModeratorForm):
    to = forms.ModelChoiceField(
        label="Move it to",
        queryset=Community.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a sibling community."},
    )

    def __init__(self, *args: Any, destinations: list[Community], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["to"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Community.objects.filter(pk__in=[c.pk for c in destinations])


SANCTION_KINDS = [
    ("warning", "Warn (recorded and sent to them; they can still post)"),
    ("suspension", "Suspend from posting for a number of days"),
    ("ban", "Ban from posting until a moderator lifts it"),
]


class SanctionForm(ModeratorForm):
    member = forms.TypedChoiceField(
        label="Member",
        coerce=int,
        choices=(),
        error_messages={"required": "Choose a member."},
    )
    kind = forms.ChoiceField(
        label="What to do",
        choices=SANCTION_KINDS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a warning, a suspension or a ban."},
    )
    days = forms.IntegerField(
        label="Days of suspension",
        min_value=1,
        max_value=MAX_SUSPENSION_DAYS,
        required=False,
        help_text="Only for a suspension.",
    )

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Choose a member"), *members]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "suspension" and not data.get("days"):
            self.add_error("days", "Say for how many days.")
        return data


class HoldForm(KinwellForm):
    hold_first_posts = forms.IntegerField(
        label="How many of a new member's first posts wait for a moderator",
        min_value=0,
        max_value=MAX_HOLD_FIRST_POSTS,
        help_text=(
            "0: nobody's posts wait. Once this many of a member's posts have "
            "been approved, they post freely."
        ),
        error_messages={"required": "Give a number (0 for none)."},
    )
