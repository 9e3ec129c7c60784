"""The shape of a story as its author writes it, and of what a story
moderator decides. The rules live in kinwell.stories.services."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Q

from kinwell.accounts.forms import KinwellForm
from kinwell.stories.models import Feeling, Reason, Redaction, Service, Story

MAX_MATCHES = 30
PATH_SEPARATOR = "\u203a"
PRINCIPLES_HELP = (
    "Please follow the moderation principles: no names of patients; name staff "
    "only to thank them; no dates or details that could identify anyone. "
    "You can use Markdown."
)
CRITICALITY_LEVELS = [
    (0, "0: nothing went wrong (thanks, praise, or a neutral account)"),
    (1, "1: a small inconvenience, quickly put right"),
    (2, "2: things went wrong, with no lasting effect"),
    (3, "3: distress or harm that the service should look into"),
    (4, "4: serious harm, or a risk of it to others"),
    (5, "5: lasting harm or a safeguarding concern: needs action now"),
]
MODERATOR_REASONS = [
    (value, label) for value, label in Reason.choices if value != Reason.AUTHOR_CHOICE
]


# Finding services ----------------------------------------------------------------


def matching_services(query: str) -> list[Service]:
    """Services whose name, location or code, or whose organisation's,
    match `query`, across every organisation (the first MAX_MATCHES)."""
    query = " ".join(query.split())[:100]
    if not query:
        return []
    match = (
        Q(name__icontains=query)
        | Q(location__icontains=query)
        | Q(code__iexact=query)
        | Q(organisation__name__icontains=query)
        | Q(organisation__location__icontains=query)
        | Q(organisation__code__iexact=query)
    )
    found = Service.objects.filter(match).select_related("organisation")
    return list(found.order_by("organisation__name", "path")[:MAX_MATCHES])


def service_paths(services: Iterable[Service]) -> dict[int, str]:
    """Each service as "Organisation > Site > Service" (with a right-pointing
    quotation mark), in one query for all of their ancestors' names."""
    services = list(services)
    ids = {int(pk) for s in services for pk in s.path.strip("/").split("/") if pk}
    names = dict(Service.objects.filter(pk__in=ids).values_list("pk", "name"))
    paths = {}
    for service in services:
        steps = [names.get(int(pk), "") for pk in service.path.strip("/").split("/")]
        paths[service.pk] = f" {PATH_SEPARATOR} ".join(
            [service.organisation.name, *steps]
        )
    return paths


def _chosen_ids(values: Iterable[Any]) -> list[int]:
    return [int(value) for value in values if str(value).isdecimal()][:50]


# A story ---------------------------------------------------------------------------


class StoryForm(KinwellForm):
    services = forms.ModelMultipleChoiceField(
        label="The services your story is about",
        queryset=Service.objects.select_related("organisation"),
        widget=forms.CheckboxSelectMultiple,
        help_text="Find a service by its name, its town or its code, then tick it.",
        error_messages={
            "required": "Choose the service your story is about.",
            "invalid_choice": "Choose services from the list.",
            "invalid_pk_value": "Choose services from the list.",
        },
    )
    author_role = forms.ChoiceField(
        label="Who you are in this story",
        choices=Story.AuthorRole.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who you are in this story."},
    )
    patient_consented = forms.BooleanField(
        label="The patient agreed to me telling their story",
        required=False,
        help_text="Needed when you tell a patient's story as a member of staff.",
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={"required": "Give your story a title."},
    )
    what_happened = forms.CharField(
        label="What happened",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=PRINCIPLES_HELP,
        error_messages={"required": "Tell us what happened."},
    )
    what_was_good = forms.CharField(
        label="What was good",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Optional. " + PRINCIPLES_HELP,
    )
    what_could_be_better = forms.CharField(
        label="What could be better",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Optional. " + PRINCIPLES_HELP,
    )
    feelings = forms.MultipleChoiceField(
        label="How you felt",
        choices=Feeling.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional. Choose any that fit.",
    )
    pseudonym = forms.CharField(
        label="The name your story shows",
        max_length=60,
        required=False,
        help_text="Made up for you, with no link to your account. Change it if "
        "you like; leave it empty for a new one.",
    )
    show_name = forms.BooleanField(
        label="Show my name instead",
        required=False,
        help_text="Your display name shows instead of the made-up name.",
    )
    show_reader_titles = forms.BooleanField(
        label="Show the job titles of the staff who read my story",
        required=False,
        help_text="Everyone sees how many staff read it; with this, their job "
        "titles too (never their names).",
    )
    source_post = forms.IntegerField(required=False, widget=forms.HiddenInput)
    field_order = [
        "services",
        "author_role",
        "patient_consented",
        "title",
        "what_happened",
        "what_was_good",
        "what_could_be_better",
        "feelings",
        "pseudonym",
        "show_name",
        "show_reader_titles",
    ]

    def setup(self, query: str, chosen: Iterable[Any] = ()) -> None:
        """Offers the services already chosen, then those matching the
        search, each labelled with its place in its organisation."""
        if self.is_bound:
            chosen = self.data.getlist("services")  # type: ignore[attr-defined]
        wanted = _chosen_ids(chosen)
        picked = list(
            Service.objects.filter(pk__in=wanted).select_related("organisation")
        )
        self.matches = [s for s in matching_services(query) if s.pk not in wanted]
        paths = service_paths([*picked, *self.matches])
        field = self.fields["services"]
        field.widget.choices = [(s.pk, paths[s.pk]) for s in [*picked, *self.matches]]
        if not self.is_bound:
            self.initial["services"] = [s.pk for s in picked]
        self.query = query

    def story_fields(self) -> dict[str, Any]:
        """The cleaned data as the services take it (without source_post)."""
        data = dict(self.cleaned_data)
        data.pop("source_post", None)
        data["services"] = list(data["services"])
        return data


def story_initial(story: Story) -> dict[str, Any]:
    """A story's fields, to edit it."""
    return {
        "author_role": story.author_role,
        "patient_consented": story.author_role == Story.AuthorRole.STAFF_FOR_PATIENT,
        "title": story.title,
        "what_happened": story.what_happened,
        "what_was_good": story.what_was_good,
        "what_could_be_better": story.what_could_be_better,
        "feelings": story.feelings,
        "pseudonym": story.pseudonym,
        "show_name": story.show_name,
        "show_reader_titles": story.show_reader_titles,
    }


class RedactionAnswerForm(KinwellForm):
    answer = forms.ChoiceField(
        choices=[("accept", "Accept the change"), ("decline", "Decline it")],
        error_messages={"required": "Accept or decline the change."},
    )


# Moderation -----------------------------------------------------------------------


class CriticalityField(forms.TypedChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label="Criticality",
            choices=CRITICALITY_LEVELS,
            coerce=int,
            widget=forms.RadioSelect,
            help_text="Only staff of the services and moderators ever see it.",
            error_messages={"required": "Choose the story's criticality."},
            **kwargs,
        )


class PublishForm(KinwellForm):
    criticality = CriticalityField()


class CriticalityForm(KinwellForm):
    criticality = CriticalityField()


class ReturnForm(KinwellForm):
    reason = forms.ChoiceField(
        label="Why",
        choices=MODERATOR_REASONS,
        error_messages={"required": "Choose the reason."},
    )
    note = forms.CharField(
        label="Note to the author",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Say what to change. The author reads it on the site; emails "
        "only say the story came back.",
        error_messages={"required": "Tell the author what to change."},
    )


class RejectForm(KinwellForm):
    reason = forms.ChoiceField(
        label="Why",
        choices=MODERATOR_REASONS,
        error_messages={"required": "Choose the reason."},
    )
    note = forms.CharField(
        label="Note to the author (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RedactionForm(KinwellForm):
    field = forms.ChoiceField(
        label="Part of the story", choices=Redaction.Field.choices
    )
    original = forms.CharField(
        label="Exact words to change",
        max_length=500,
        strip=False,
        help_text="Copied exactly as the author wrote them; the first place they "
        "appear is changed.",
        error_messages={"required": "Copy the exact words to change."},
    )
    replacement = forms.CharField(
        label="Replace with",
        max_length=500,
        required=False,
        strip=False,
        help_text="For example: [a nurse], or leave empty to remove the words.",
    )
    note = forms.CharField(
        label="Note to the author (optional)", max_length=500, required=False
    )
