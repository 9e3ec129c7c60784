"""The community health panel for organisers. Each section is built by one
function of the community; later features add their own (posts this week,
open flags...) by appending to HEALTH_SECTIONS."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from kinwell.communities.models import Community
from kinwell.communities.sizes import OPEN_STATUSES, is_near_cap, size_cap_of

ACTIVE_DAYS = 30


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | str
    note: str = ""


@dataclass(frozen=True)
class PanelSection:
    title: str
    figures: tuple[Figure, ...]
    notices: tuple[str, ...] = ()


def membership_section(community: Community) -> PanelSection:
    count = community.memberships.count()
    cap = size_cap_of(community)
    since = timezone.now() - timedelta(days=ACTIVE_DAYS)
    active = community.memberships.filter(last_active_at__gte=since).count()
    open_counts = dict(
        community.join_requests.filter(status__in=OPEN_STATUSES)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    notices: tuple[str, ...] = ()
    if count >= cap:
        notices = ("The community is full. Newcomers wait on the list below.",)
    elif is_near_cap(count, cap):
        notices = (
            "The community is nearly full. You could start a sibling community "
            "in a cluster, so conversations stay small.",
        )
    figures = (
        Figure("Members", f"{count} of {cap}", "against the size cap"),
        Figure("Active in the last 30 days", active),
        Figure("Requests waiting for a decision", open_counts.get("pending", 0)),
        Figure("On the waiting list", open_counts.get("waiting", 0)),
    )
    return PanelSection("Members", figures, notices)


HEALTH_SECTIONS: list[Callable[[Community], PanelSection]] = [membership_section]


def health_panel(community: Community) -> list[PanelSection]:
    return [section(community) for section in HEALTH_SECTIONS]
