"""The public figures of a service or an organisation, and of moderation.

What each figure means (the pages and docs say the same):
- stories: published stories about the service or anything below it (for an
  organisation, about any of its services), each counted once;
- responded to: of those, the ones with at least one published reply from
  the organisation concerned;
- median time to first response: from a story's publication to the first
  published reply of the organisation concerned, over the stories answered;
- change planned / change made: stories where the organisation concerned
  has a change a moderator confirmed. A story whose change was made counts
  as made, not also as planned, so the two never overlap;
- critical stories that led to a change: of the published stories a
  moderator rated critical (criticality >= models.CRITICAL), the share with
  a confirmed change, planned or made. Criticality is for staff and
  moderators alone, so the share must not let anyone work out how single
  stories were rated: it counts only stories published SETTLED ago or more
  (a story just published never moves it), it is rounded to the nearest
  ten per cent (so the count cannot be read back from the fraction), and it
  is withheld below MIN_CRITICAL such stories.

Each set of figures is one SQL query that brings back a few columns per
published story; the rest is arithmetic here, the same on SQLite and
PostgreSQL."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db.models import Count, Min, Q
from django.utils import timezone

from kinwell.stories.models import (
    CRITICAL,
    Organisation,
    Reason,
    Service,
    StaffReply,
    Story,
    StoryDecision,
    StoryQuerySet,
)

MIN_CRITICAL = 10
SETTLED = timedelta(days=28)
MONTHS = 12
WITHHELD = (
    "Not shown: fewer than {minimum} stories published four weeks ago or more "
    "were rated critical. Ratings are private to staff and moderators, and so "
    "small a count could reveal how single stories were rated."
)


@dataclass(frozen=True)
class Figures:
    stories: int
    responded: int
    changes_planned: int
    changes_made: int
    median_first_response: timedelta | None
    # None when withheld; `critical_note` then says why.
    critical_changed_share: float | None
    critical_note: str
    # (first day of the month, stories published that month), oldest first.
    per_month: list[tuple[date, int]] = field(default_factory=list)

    @property
    def responded_share(self) -> float | None:
        return _share(self.responded, self.stories)

    @property
    def planned_share(self) -> float | None:
        return _share(self.changes_planned, self.stories)

    @property
    def made_share(self) -> float | None:
        return _share(self.changes_made, self.stories)

    @property
    def median_wait_words(self) -> str:
        return wait_in_words(self.median_first_response)


def service_figures(service: Service, *, now: datetime | None = None) -> Figures:
    stories = Story.objects.about(service)
    return _figures(stories, service.organisation_id, now or timezone.now())


def organisation_figures(
    organisation: Organisation, *, now: datetime | None = None
) -> Figures:
    stories = Story.objects.about_organisation(organisation)
    return _figures(stories, organisation.pk, now or timezone.now())


def _figures(stories: StoryQuerySet, organisation_id: int, now: datetime) -> Figures:
    rows = _story_rows(stories, organisation_id)
    waits = [row.first_reply - row.published_at for row in rows if row.first_reply]
    critical = [
        row for row in rows if row.is_critical and row.published_at <= now - SETTLED
    ]
    withheld = len(critical) < MIN_CRITICAL
    changed = sum(1 for row in critical if row.planned or row.made)
    return Figures(
        stories=len(rows),
        responded=len(waits),
        changes_planned=sum(1 for row in rows if row.planned and not row.made),
        changes_made=sum(1 for row in rows if row.made),
        median_first_response=_median(waits),
        critical_changed_share=None if withheld else _banded(changed, len(critical)),
        critical_note=WITHHELD.format(minimum=MIN_CRITICAL) if withheld else "",
        per_month=_per_month([row.published_at for row in rows], now),
    )


def _banded(part: int, whole: int) -> float:
    """part / whole to the nearest tenth."""
    return round(10 * part / whole) / 10


class StoryRow(NamedTuple):
    """What the figures need of one published story."""

    published_at: datetime
    criticality: int | None
    # The organisation's first published reply, and how many of its
    # published replies carry a confirmed change planned, and made.
    first_reply: datetime | None
    planned: int
    made: int

    @property
    def is_critical(self) -> bool:
        return self.criticality is not None and self.criticality >= CRITICAL


def _story_rows(stories: StoryQuerySet, organisation_id: int) -> list[StoryRow]:
    """One row per published story, grouped by story, so that a story about
    two services of the subtree is counted once."""
    theirs = Q(
        replies__organisation_id=organisation_id,
        replies__status=StaffReply.Status.PUBLISHED,
    )
    confirmed = theirs & Q(replies__change_confirmed_at__isnull=False)
    planned = confirmed & Q(replies__change=StaffReply.Change.PLANNED)
    made = confirmed & Q(replies__change=StaffReply.Change.MADE)
    found = (
        stories.published()
        .filter(published_at__isnull=False)
        .order_by()
        .values_list("pk", "published_at", "criticality")
        .annotate(
            first_reply=Min("replies__published_at", filter=theirs),
            planned=Count("replies", filter=planned),
            made=Count("replies", filter=made),
        )
    )
    return [StoryRow(*row[1:]) for row in found]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(waits: list[timedelta]) -> timedelta | None:
    if not waits:
        return None
    # A reply can only follow publication; a clock skew must not show as
    # a negative wait.
    ordered = sorted(max(wait, timedelta(0)) for wait in waits)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def months_back(now: datetime, count: int = MONTHS) -> list[date]:
    """The first days of the last `count` months, this one included, oldest
    first, in the installation's time zone."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    months = []
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _per_month(published: list[datetime], now: datetime) -> list[tuple[date, int]]:
    counts = dict.fromkeys(months_back(now), 0)
    for moment in published:
        local = timezone.localtime(moment)
        month = date(local.year, local.month, 1)
        if month in counts:
            counts[month] += 1
    return list(counts.items())


# Moderation, for the transparency page -------------------------------------------


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    recent: int
    all_time: int


@dataclass(frozen=True)
class ActionTally(Tally):
    # Why, for stories returned, not published or withdrawn; none for
    # published ones. Only the reasons given at least once.
    reasons: list[Tally]


@dataclass(frozen=True)
class Transparency:
    since: datetime
    actions: list[ActionTally]


COUNTED_ACTIONS = (
    StoryDecision.Action.PUBLISHED,
    StoryDecision.Action.RETURNED,
    StoryDecision.Action.REJECTED,
    StoryDecision.Action.WITHDRAWN,
)
NO_REASON = "No reason recorded"


def transparency(*, now: datetime | None = None) -> Transparency:
    """Moderation decisions, counted by action and reason, over the last
    year and all time: one query."""
    since = (now or timezone.now()) - timedelta(days=365)
    rows = (
        StoryDecision.objects.filter(action__in=COUNTED_ACTIONS)
        .order_by()
        .values_list("action", "reason")
        .annotate(
            all_time=Count("pk"), recent=Count("pk", filter=Q(created_at__gte=since))
        )
    )
    counts = {
        (action, reason): (recent, total) for action, reason, total, recent in rows
    }
    return Transparency(
        since=since,
        actions=[_action_tally(action, counts) for action in COUNTED_ACTIONS],
    )


def _action_tally(
    action: StoryDecision.Action, counts: dict[tuple[str, str], tuple[int, int]]
) -> ActionTally:
    mine = {reason: n for (done, reason), n in counts.items() if done == action}
    reasons = []
    if action != StoryDecision.Action.PUBLISHED:
        labels = [(reason.value, reason.label) for reason in Reason]
        for key, label in [*labels, ("", NO_REASON)]:
            recent, total = mine.get(key, (0, 0))
            if total:
                reasons.append(Tally(key or "none", str(label), recent, total))
    return ActionTally(
        key=action.value,
        label=str(action.label),
        recent=sum(recent for recent, _ in mine.values()),
        all_time=sum(total for _, total in mine.values()),
        reasons=reasons,
    )


def wait_in_words(wait: timedelta | None) -> str:
    """A median wait as people say it: minutes under an hour, hours under
    two days, days beyond."""
    if wait is None:
        return "No replies yet"
    minutes = round(wait.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} hour{'' if hours == 1 else 's'}"
    days = round(hours / 24)
    return f"{days} days"
