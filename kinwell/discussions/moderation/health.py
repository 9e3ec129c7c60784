"""The discussions' section of the community health panel: open flags,
new members nobody has answered yet, and how long a first reply takes."""

from datetime import datetime, timedelta
from statistics import median

from django.db.models import Count, Q
from django.utils import timezone

from kinwell.communities.health import (
    ACTIVE_DAYS,
    HEALTH_SECTIONS,
    Figure,
    PanelSection,
)
from kinwell.communities.models import Community
from kinwell.discussions.models import Flag, Thread


def discussion_section(community: Community) -> PanelSection:
    since = timezone.now() - timedelta(days=ACTIVE_DAYS)
    flags = Flag.objects.filter(community=community, status=Flag.Status.OPEN)
    counts = flags.aggregate(
        open=Count("pk"), urgent=Count("pk", filter=Q(reason=Flag.Reason.SELF_HARM))
    )
    unanswered = _unanswered_new_member_threads(community, since)
    notices: tuple[str, ...] = ()
    if counts["urgent"]:
        notices = (
            f"{counts['urgent']} urgent flag(s) about a risk of self-harm are "
            "waiting in the moderation queue.",
        )
    figures = (
        Figure("Open flags", counts["open"], f"{counts['urgent']} urgent"),
        Figure(
            "Threads by new members with no reply yet",
            unanswered,
            "started in the last 30 days by people who joined in that time",
        ),
        Figure(
            "Median time to a first reply",
            _median_first_reply(community, since),
            "threads started in the last 30 days",
        ),
    )
    return PanelSection("Discussions", figures, notices)


def _unanswered_new_member_threads(community: Community, since: datetime) -> int:
    return (
        Thread.objects.filter(
            community=community,
            status=Thread.Status.PUBLISHED,
            created_at__gte=since,
            first_reply_at__isnull=True,
            author__memberships__community=community,
            author__memberships__joined_at__gte=since,
        )
        .distinct()
        .count()
    )


def _median_first_reply(community: Community, since: datetime) -> str:
    replied = Thread.objects.filter(
        community=community, created_at__gte=since, first_reply_at__isnull=False
    ).values_list("created_at", "first_reply_at")
    waits = [
        (first - created).total_seconds()
        for created, first in replied
        if first is not None
    ]
    if not waits:
        return "No replies yet"
    return describe_wait(median(waits))


def describe_wait(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} hours"
    return f"{round(hours / 24)} days"


HEALTH_SECTIONS.append(discussion_section)
