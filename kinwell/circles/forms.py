"""The shape of what people send from the circle pages. The rules (who may be
invited, how many seats a circle has) live in kinwell.circles.services."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from kinwell.accounts.forms import KinwellForm
from kinwell.accounts.models import User
from kinwell.circles.models import SEATED_STATES, Circle, CircleMembership


class MemberChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.public_name


def invitable_members(circle: Circle) -> QuerySet[User]:
    """Members of the circle's community who have no seat in it yet."""
    seated = CircleMembership.objects.filter(
        circle=circle, state__in=SEATED_STATES
    ).values("user_id")
    return (
        User.objects.filter(
            memberships__community_id=circle.community_id, is_active=True
        )
        .exclude(pk__in=seated)
        .order_by("display_name", "pk")
    )


class InviteForm(KinwellForm):
    user = MemberChoiceField(
        label="Member of the community",
        queryset=User.objects.none(),
        empty_label="Choose a member",
        error_messages={
            "required": "Choose the member to invite.",
            "invalid_choice": (
                "That person cannot be invited: they are not a member of the "
                "community, or they already have a seat in the circle."
            ),
        },
    )

    # Filled in by the circle script when the form is sent: the admin's
    # browser device signs the invitation (kinwell.circles.services).
    signer = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.HiddenInput(attrs={"data-circle-invite-signer": ""}),
    )
    signature = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.HiddenInput(attrs={"data-circle-invite-signature": ""}),
    )

    def __init__(self, *args: Any, circle: Circle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, MemberChoiceField)
        field.queryset = invitable_members(circle)

    def has_candidates(self) -> bool:
        field = self.fields["user"]
        assert isinstance(field, MemberChoiceField)
        return field.queryset is not None and field.queryset.exists()


class ReportDecisionForm(KinwellForm):
    action = forms.ChoiceField(
        choices=[("dismiss", "Dismiss the report"), ("remove", "Remove the message")],
        error_messages={
            "required": "Choose what to do with the report.",
            "invalid_choice": "Choose what to do with the report.",
        },
    )
