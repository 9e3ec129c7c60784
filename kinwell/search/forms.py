"""The search form. Its lists of communities and tags hold only what the
searcher may read, so the form itself reveals nothing else."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from kinwell.accounts.forms import KinwellForm
from kinwell.discussions.models import Tag
from kinwell.search.access import readable_communities
from kinwell.search.backends import parse
from kinwell.search.results import Criteria

MAX_QUERY_LENGTH = 200


class DateInput(forms.DateInput):
    input_type = "date"


class Select(forms.Select):
    """Django's select, with its options written here rather than by a
    template each: a searcher may read hundreds of communities, and
    rendering that many option templates was most of a search page's time."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        chosen = {str(item) for item in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        attributes = flatatt(
            self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        )
        return format_html("<select{}>{}</select>", attributes, options)


class SearchForm(KinwellForm):
    q = forms.CharField(
        label="Search for",
        max_length=MAX_QUERY_LENGTH,
        required=False,
        help_text='Every word must appear. Put a phrase in "double quotes".',
    )
    community = forms.ChoiceField(
        label="Community",
        required=False,
        widget=Select,
        error_messages={"invalid_choice": "Choose a community from the list."},
    )
    tag = forms.ChoiceField(
        label="Tag",
        required=False,
        widget=Select,
        help_text="Choose a community and search to list its tags.",
        error_messages={"invalid_choice": "Choose one of the community's tags."},
    )
    author = forms.CharField(
        label="Author",
        max_length=16,
        required=False,
        help_text="The persona's id: the last part of its page's address.",
    )
    since = forms.DateField(label="From", required=False, widget=DateInput())
    until = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data)
        communities = readable_communities(user).order_by("name", "pk")
        self.fields["community"].choices = [  # type: ignore[attr-defined]
            ("", "All communities"),
            *communities.values_list("slug", "name"),
        ]
        self.fields["tag"].choices = [  # type: ignore[attr-defined]
            ("", "Any tag"),
            *_tags(communities, data.get("community", "")),
        ]

    def clean_q(self) -> str:
        q: str = self.cleaned_data["q"]
        if q and not parse(q):
            raise forms.ValidationError("Search for words made of letters or digits.")
        return q

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                self.criteria()  # the rules that span fields live there
            except ValidationError as error:
                self.add_error(None, error)
        return data

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria.from_text(
            data["q"],
            community=data["community"],
            tag=data["tag"],
            author=data["author"],
            since=data["since"],
            until=data["until"],
        )


def _tags(communities: Any, slug: str) -> list[tuple[str, str]]:
    """The tags of the chosen community, if the searcher may read it."""
    if not slug:
        return []
    tags = Tag.objects.filter(community__in=communities, community__slug=slug)
    return list(tags.order_by("name").values_list("slug", "name"))
