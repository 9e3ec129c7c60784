"""The shape of what staff and story moderators send: replies, moderating a
reply, the dashboard's filters and alerts. Rules live in
kinwell.stories.replies and kinwell.stories.alerts."""

from typing import Any

from django import forms

from kinwell.accounts.forms import KinwellForm
from kinwell.stories.models import Service, StaffAlert, StaffMembership, StaffReply
from kinwell.stories.replies import CRITICALITY_MEANINGS, MAX_CHANGE_DESCRIPTION

CRITICALITY_CHOICES = [
    (str(level), f"{level}: {meaning}")
    for level, meaning in CRITICALITY_MEANINGS.items()
]


class ReplyForm(KinwellForm):
    body = forms.CharField(
        label="Your reply",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "Public, under your organisation and job title. You can use "
            "Markdown: *italic*, **bold**, lists."
        ),
        error_messages={"required": "Write your reply first."},
    )
    change = forms.ChoiceField(
        label="Does your reply mark a change?",
        choices=StaffReply.Change.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="A moderator confirms a change before it counts.",
    )
    change_description = forms.CharField(
        label="What the change is",
        max_length=MAX_CHANGE_DESCRIPTION,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when you mark a change planned or made.",
    )


class ModerateReplyForm(KinwellForm):
    action = forms.ChoiceField(
        choices=[("publish", "Publish"), ("reject", "Refuse"), ("confirm", "Confirm")]
    )
    confirm_change = forms.BooleanField(required=False)
    note = forms.CharField(max_length=500, required=False)
    next = forms.CharField(max_length=500, required=False)


def service_choices(services: list[Service]) -> list[tuple[str, str]]:
    """Each service, indented under its parent, in tree order."""
    return [
        (str(service.pk), f"{'— ' * service.depth}{service.name}")
        for service in services
    ]


class DashboardForm(KinwellForm):
    service = forms.TypedChoiceField(
        label="About", required=False, coerce=int, empty_value=None
    )
    unread = forms.BooleanField(label="Only stories I have not read", required=False)
    min_criticality = forms.TypedChoiceField(
        label="Criticality at least",
        choices=[("", "Any"), *CRITICALITY_CHOICES],
        required=False,
        coerce=int,
        empty_value=None,
    )

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[Any] = [("", "Every service")]
        for organisation, group in _by_organisation(services):
            choices.append((organisation, service_choices(group)))
        self.fields["service"].choices = choices  # type: ignore[attr-defined]


class AlertForm(KinwellForm):
    where = forms.ChoiceField(
        label="Stories about",
        help_text="A service includes everything below it.",
    )
    min_criticality = forms.TypedChoiceField(
        label="Criticality at least",
        choices=CRITICALITY_CHOICES,
        coerce=int,
        initial="0",
    )
    delivery = forms.ChoiceField(
        label="How to tell you",
        choices=StaffAlert.Delivery.choices,
        widget=forms.RadioSelect,
        initial=StaffAlert.Delivery.AT_ONCE,
    )

    def __init__(
        self,
        *args: Any,
        roles: list[StaffMembership],
        services: list[Service],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.roles = {role.organisation_id: role for role in roles}
        self.services = {service.pk: service for service in services}
        choices: list[Any] = []
        by_organisation = dict(_by_organisation(services))
        for role in roles:
            name = role.organisation.name
            whole = [(f"organisation-{role.organisation_id}", f"All of {name}")]
            tree = service_choices(by_organisation.get(name, []))
            choices.append((name, whole + tree))
        self.fields["where"].choices = choices  # type: ignore[attr-defined]

    def alert_fields(self) -> dict[str, Any]:
        """The staff membership and service the chosen "where" stands for."""
        where = self.cleaned_data["where"]
        if where.startswith("organisation-"):
            staff = self.roles[int(where.removeprefix("organisation-"))]
            service = None
        else:
            service = self.services[int(where)]
            staff = self.roles[service.organisation_id]
        return {
            "staff": staff,
            "service": service,
            "min_criticality": self.cleaned_data["min_criticality"],
            "delivery": self.cleaned_data["delivery"],
        }


def _by_organisation(services: list[Service]) -> list[tuple[str, list[Service]]]:
    groups: dict[str, list[Service]] = {}
    for service in services:
        groups.setdefault(service.organisation.name, []).append(service)
    return list(groups.items())
