from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kinwell.notifications.access import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """The bell's count: one query, and only on pages that show it."""
    user = getattr(request, "user", None)
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
