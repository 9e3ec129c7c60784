"""Small helpers every app's views use with forms and services."""

from typing import Any

from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.forms.models import ModelChoiceIterator
from django.http import HttpRequest, QueryDict
from django.utils.safestring import SafeString

from kinwell.lib.fragments import remembered


def posted(request: HttpRequest) -> QueryDict | None:
    """The submitted data, or None for a GET. (`request.POST or None` would
    leave an all-empty submission unbound, and so silently unchecked.)"""
    return request.POST if request.method == "POST" else None


def first_message(error: ValidationError) -> str:
    """The first message of a service's ValidationError, for a flash message."""
    return str(error.messages[0]) if error.messages else "That did not work."


class RememberedBoundField(BoundField):
    """A field whose group (label, help text, errors and widget) is rendered
    once for each distinct thing it shows, then taken from the fragment
    cache: Django renders each widget, and each option of a select, through
    templates, which made up much of a page with a form (a search form with
    a list of communities, the reply form under every thread)."""

    def as_field_group(self) -> SafeString:
        shown = what_field_shows(self)
        if shown is None:
            return super().as_field_group()
        return remembered(shown, super().as_field_group)


def what_field_shows(field: BoundField) -> list[Any] | None:
    """Everything a field's group can show, or None for a field whose
    choices come from a query (listing them twice would query twice)."""
    # The widget's: what it lists (some forms set them on the widget alone).
    choices = getattr(field.field.widget, "choices", None)
    if isinstance(choices, ModelChoiceIterator):
        return None
    form = field.form
    return [
        type(form).__module__, type(form).__qualname__, form.prefix,
        form.auto_id, form.label_suffix, form.use_required_attribute,
        field.name, type(field.field).__qualname__,
        type(field.field.widget).__qualname__, field.field.widget.attrs,
        str(field.label), str(field.help_text), field.field.required,
        field.field.disabled, field.field.localize,
        field.field.show_hidden_initial, field.initial, field.value(),
        list(choices) if choices is not None else None,
        [str(error) for error in field.errors],
    ]  # fmt: skip
