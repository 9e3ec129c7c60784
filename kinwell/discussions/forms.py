"""The shape of what people write in discussions. Rules live in
kinwell.discussions.services."""

from typing import Any

from django import forms
from django.db.models import Exists, QuerySet

from kinwell.accounts.forms import KinwellForm
from kinwell.accounts.models import Delegation, Persona, User
from kinwell.communities.models import Community, Membership
from kinwell.discussions.models import Reaction, Tag, Thread, ThreadSubscription
from kinwell.discussions.services import MAX_IMAGE_BYTES, Attachment
from kinwell.lib.changes import remembered_until_changed

BODY_HELP = (
    "You can use Markdown: *italic*, **bold**, lists, and > to quote. "
    "Write @name-of-member to tell someone in the community."
)


def posting_personas(user: User) -> QuerySet[Persona]:
    return (
        Persona.objects.filter(user=user)
        .select_related("credential", "user")
        .order_by("kind", "pk")
    )


def _is_posting_carer(user: User) -> Exists:
    return Exists(
        Delegation.objects.filter(
            carer=user, status=Delegation.Status.ACTIVE, may_post=True
        )
    )


def carer_delegations(user: User, community: Community) -> QuerySet[Delegation]:
    """The people `user` may post for in `community`: members who gave them
    the "post for me" scope."""
    members = Membership.objects.filter(community=community).values("user_id")
    return Delegation.objects.filter(
        carer=user,
        status=Delegation.Status.ACTIVE,
        may_post=True,
        member_id__in=members,
    ).select_related("member")


class PostFormMixin(forms.Form):
    """The fields every post has: what it says, who says it, a picture."""

    body = forms.CharField(
        label="Your message",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=BODY_HELP,
        error_messages={"required": "Write something first."},
    )
    persona = forms.ChoiceField(label="Post as", required=False)
    on_behalf_of = forms.ChoiceField(label="Post for", required=False)
    image = forms.ImageField(
        label="Picture",
        required=False,
        help_text=(
            "Optional, up to 8 MB. We remove the hidden details a photo carries, "
            "such as where it was taken."
        ),
        error_messages={
            "invalid_image": "This file is not a picture we can read. "
            "Try a PNG or JPEG."
        },
    )
    image_alt = forms.CharField(
        label="Describe the picture",
        max_length=300,
        required=False,
        help_text="For people who cannot see it.",
    )

    def setup_voice(
        self, user: User, community: Community, acting_for: Delegation | None
    ) -> None:
        self._user = user
        # Asked on every thread page a member opens, so kept until anything
        # changes (a new persona, a credential checked or withdrawn).
        choices, may_be_carer = remembered_until_changed(
            f"persona-choices:{user.pk}", lambda: _persona_choices(user)
        )
        self.fields["persona"].choices = choices  # type: ignore[attr-defined]
        self._delegations = (
            {str(d.pk): d for d in carer_delegations(user, community)}
            if may_be_carer
            else {}
        )
        if not self._delegations:
            del self.fields["on_behalf_of"]
            return
        self.fields["on_behalf_of"].choices = [  # type: ignore[attr-defined]
            ("", "Myself"),
            *[
                (key, f"{d.member.public_name}, as their carer")
                for key, d in self._delegations.items()
            ],
        ]
        if acting_for is not None and str(acting_for.pk) in self._delegations:
            self.initial.setdefault("on_behalf_of", str(acting_for.pk))

    def _chosen_persona(self, public_id: str) -> Persona | None:
        """The persona chosen, fetched when a post is written (the choices
        offered were plain values)."""
        if not public_id:
            return None
        return posting_personas(self._user).filter(public_id=public_id).first()

    def clean_image(self) -> Any:
        image = self.cleaned_data.get("image")
        if image and image.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError("Choose a picture smaller than 8 MB.")
        return image

    def voice(self) -> dict[str, Any]:
        """The persona, carer and pictures, as the services take them."""
        data = self.cleaned_data
        image = data.get("image")
        return {
            "persona": self._chosen_persona(data.get("persona") or ""),
            "on_behalf_of": self._delegations.get(data.get("on_behalf_of") or ""),
            "images": [Attachment(image, data.get("image_alt", ""))] if image else [],
        }


def _persona_choices(user: User) -> tuple[list[tuple[str, str]], bool]:
    """The personas `user` may post as, as choices, and whether they may post
    for anyone. Whether they do comes with the personas: most members are
    nobody's carer, and their form needs no second query."""
    personas = list(posting_personas(user).annotate(is_carer=_is_posting_carer(user)))
    choices = [(p.public_id, _persona_choice(p)) for p in personas]
    may_be_carer = not personas or personas[0].is_carer  # type: ignore[attr-defined]
    return choices, may_be_carer


def _persona_choice(persona: Persona) -> str:
    if persona.kind == Persona.Kind.PERSONAL:
        return f"{persona.label} (you)"
    if persona.is_anonymous:
        return f"{persona.badge}, anonymously"
    return f"{persona.label}, {persona.badge}"


class ThreadForm(PostFormMixin, KinwellForm):
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={"required": "Give the thread a title."},
    )
    content_warning = forms.CharField(
        label="Content warning",
        max_length=200,
        required=False,
        help_text=(
            "Optional. If the thread talks about something some people may "
            "not want to read, say what, for example: describes a bereavement. "
            "Readers will see the warning and open the thread themselves."
        ),
    )
    tags = forms.ModelMultipleChoiceField(
        label="Tags",
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience = forms.ChoiceField(
        label="Who can read it",
        choices=Thread.Audience.choices,
        widget=forms.RadioSelect,
        initial=Thread.Audience.EVERYONE,
    )
    field_order = ["title", "body", "content_warning", "tags", "audience"]

    def setup(
        self, user: User, community: Community, acting_for: Delegation | None
    ) -> None:
        self.setup_voice(user, community, acting_for)
        self.fields["tags"].queryset = Tag.objects.filter(  # type: ignore[attr-defined]
            community=community
        )
        if community.visibility != Community.Visibility.PUBLIC:
            # Only members read a members-only or hidden community anyway.
            del self.fields["audience"]

    def thread_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data["body"],
            "content_warning": data["content_warning"],
            "tags": data["tags"],
            "audience": data.get("audience") or Thread.Audience.EVERYONE,
            **self.voice(),
        }


class ReplyForm(PostFormMixin, KinwellForm):
    in_reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def setup(
        self, user: User, community: Community, acting_for: Delegation | None
    ) -> None:
        self.setup_voice(user, community, acting_for)


class EditForm(KinwellForm):
    title = forms.CharField(label="Title", max_length=200, required=False)
    body = forms.CharField(
        label="Your message",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=BODY_HELP,
        error_messages={"required": "Write something first."},
    )


class PreviewForm(KinwellForm):
    body = forms.CharField(max_length=20000, required=False)


class ReactionForm(KinwellForm):
    kind = forms.ChoiceField(choices=Reaction.Kind.choices)


class SubscriptionForm(KinwellForm):
    level = forms.ChoiceField(
        label="Notifications for this thread",
        choices=[
            ("", "Normal: replies to me and mentions"),
            *ThreadSubscription.Level.choices,
        ],
        required=False,
    )


class TagForm(KinwellForm):
    name = forms.CharField(
        label="New tag",
        max_length=40,
        error_messages={"required": "Give the tag a name."},
    )


class ThreadListForm(KinwellForm):
    tag = forms.SlugField(required=False)
