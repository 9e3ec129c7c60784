from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    classes = []
    if user is not None and user.is_authenticated:
        classes.append(f"text-{user.text_size}")
        if user.high_contrast:
            classes.append("high-contrast")
        if user.reduced_motion:
            classes.append("reduced-motion")
    return {
        "site_name": settings.SITE_NAME,
        "preference_classes": " ".join(classes),
        "acting_for": getattr(request, "acting_for", None),
    }
