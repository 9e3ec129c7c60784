"""Where to find help, shown beside a post flagged as a risk of self-harm.
The installation sets the list (KINWELL_SUPPORT_RESOURCES, see
docs/moderation.md); the default is for the United Kingdom."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class SupportResource:
    name: str
    contact: str = ""
    url: str = ""


def support_resources() -> list[SupportResource]:
    return [SupportResource(**item) for item in settings.KINWELL_SUPPORT_RESOURCES]
