"""Small helpers every app's views use with forms and services."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict


def posted(request: HttpRequest) -> QueryDict | None:
    """The submitted data, or None for a GET. (`request.POST or None` would
    leave an all-empty submission unbound, and so silently unchecked.)"""
    return request.POST if request.method == "POST" else None


def first_message(error: ValidationError) -> str:
    """The first message of a service's ValidationError, for a flash message."""
    return str(error.messages[0]) if error.messages else "That did not work."
