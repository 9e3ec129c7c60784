"""The public data-release register of a community: every request that was
approved, what it holds and every release made from it.

Member counts follow the rules of every published figure: below 10 they
show as "fewer than 10", and the rest are rounded to the nearest 5."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from kinwell.communities.models import Community
from kinwell.tracking.models import DataRelease, DatasetRequest

SMALLEST_SHOWN = 10
ROUND_TO = 5


def published_count(count: int) -> str:
    if count < SMALLEST_SHOWN:
        return f"fewer than {SMALLEST_SHOWN}"
    return str(ROUND_TO * round(count / ROUND_TO))


def contents(request: DatasetRequest) -> list[str]:
    """What a request asks for, in plain words."""
    kinds = [
        (request.include_conditions, "Conditions, with dates of onset and diagnosis"),
        (request.include_check_ins, "Check-ins: symptom severity and mood"),
        (
            request.include_treatments,
            "Treatment courses and evaluations: effectiveness, side effects, "
            "adherence, burden and cost band",
        ),
        (request.include_questionnaires, "Questionnaire answers and scores"),
        (
            request.include_notes,
            "Notes written with check-ins and evaluations, only from members "
            "who allowed their notes to be included",
        ),
    ]
    return [label for wanted, label in kinds if wanted]


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def period(request: DatasetRequest) -> str:
    start, end = request.period_from, request.period_to
    if start and end:
        return f"from {_day(start)} to {_day(end)}"
    if start:
        return f"from {_day(start)} onwards"
    if end:
        return f"up to {_day(end)}"
    return "all dates"


@dataclass(frozen=True)
class ReleaseLine:
    release: DataRelease
    members: str


@dataclass(frozen=True)
class RegisterEntry:
    request: DatasetRequest
    contents: list[str]
    period: str
    releases: list[ReleaseLine]


def registered_requests(community: Community) -> QuerySet[DatasetRequest]:
    """Approved requests, and earlier ones that were ended or withdrawn after
    something was released: a release stays on the register for good."""
    released = DataRelease.objects.filter(request=OuterRef("pk"))
    return (
        DatasetRequest.objects.filter(community=community)
        .filter(Q(status=DatasetRequest.Status.APPROVED) | Exists(released))
        .select_related("researcher")
        .prefetch_related("releases")
        .order_by("-decided_at", "-pk")
    )


def register_of(community: Community) -> list[RegisterEntry]:
    return [entry_for(request) for request in registered_requests(community)]


def entry_for(request: DatasetRequest) -> RegisterEntry:
    return RegisterEntry(
        request=request,
        contents=contents(request),
        period=period(request),
        releases=[
            ReleaseLine(release, published_count(release.member_count))
            for release in _newest_first(request.releases.all())
        ],
    )


def _newest_first(releases: Iterable[DataRelease]) -> list[DataRelease]:
    return sorted(releases, key=lambda r: (r.released_at, r.pk), reverse=True)
