"""When community insights are worked out again: never on a page view.

Every write of a member's tracking data calls `note_change`: two queries
mark the member's communities as changed (InsightState.changed_at), and, at
most once a minute per process, the background job is queued to run a
minute later (tasks.refresh_insights). The job works out every marked
community whose last computation is MIN_INTERVAL old or more, and queues
itself again for the ones worked out more recently: a burst of check-ins
makes one computation, however many there are.

A decision on the "community insights" consent marks every community of
the member, consenting or not (`note_consent_change`, one of the consent
ledger's hooks), so a withdrawal is counted out at the next computation.
Joining or leaving a community, and changes to its catalogue, visibility
or cluster, mark it (`note_community_change`, `note_cluster_change`).

The `compute_insights` command (cron) also works out again the communities
whose insights are older than STALE_AFTER: the symptom ranking covers the
last twelve months, which move with the calendar."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from kinwell.accounts.models import ConsentRecord
from kinwell.communities.models import Community, Departure
from kinwell.tracking.insights.members import INSIGHTS, communities_counting
from kinwell.tracking.models.insights import InsightState

logger = logging.getLogger(__name__)

DELAY = timedelta(minutes=1)
MIN_INTERVAL = timedelta(minutes=5)
STALE_AFTER = timedelta(days=1)
REQUEST_EVERY = timedelta(hours=1)
QUEUED_KEY = "insights:refresh-queued"


def note_change(owner_id: int) -> None:
    """After every write of `owner_id`'s tracking records (check-ins,
    courses, evaluations, side effects, imports, deletions). Records of a
    member who does not consent count nowhere, so nothing is marked."""
    mark_changed(communities_counting(owner_id, consenting=True))


def note_consent_change(record: ConsentRecord) -> None:
    """A hook of the consent ledger (accounts.services.CONSENT_HOOKS)."""
    if record.purpose == INSIGHTS:
        mark_changed(communities_counting(record.user_id, consenting=False))


def note_community_change(community_id: int) -> None:
    """After a member joins or leaves, or the community's catalogue,
    visibility or cluster changes (it brings its cluster along)."""
    mark_changed([community_id])


def note_departure(departure: Departure) -> None:
    """A hook of leaving a community (communities.services.DEPARTURE_HOOKS)."""
    note_community_change(departure.community_id)


def note_cluster_change(cluster_id: int) -> None:
    """After a community leaves a cluster (or changes its visibility): the
    cluster's figures are worked out again with the communities it has now."""
    listed = Community.objects.listed().filter(cluster_id=cluster_id)
    mark_changed(listed.values_list("pk", flat=True))


def mark_changed(community_ids: Iterable[int], *, now: datetime | None = None) -> None:
    ids = sorted(set(community_ids))
    if not ids:
        return
    moment = now or timezone.now()
    InsightState.objects.bulk_create(
        [InsightState(community_id=pk, changed_at=moment) for pk in ids],
        update_conflicts=True,
        unique_fields=["community"],
        update_fields=["changed_at"],
    )
    transaction.on_commit(queue_refresh)


def queue_refresh() -> None:
    """Queues the job to run after DELAY, unless this process queued one
    within DELAY: the one queued will see this change too."""
    try:
        first = cache.add(QUEUED_KEY, True, int(DELAY.total_seconds()))
    except Exception:  # the cache is down: queue anyway, the job is idempotent
        logger.exception("insights: the cache could not be read")
        first = True
    if first:
        enqueue_refresh(timezone.now() + DELAY)


def enqueue_refresh(run_after: datetime, *, or_now: bool = True) -> None:
    """Queues the job for `run_after`. A backend that cannot wait (the one
    the tests use) runs it at once if `or_now`, and otherwise not at all,
    leaving it to the next change or the daily command."""
    from kinwell.tracking.insights.tasks import refresh_insights

    if refresh_insights.get_backend().supports_defer:
        refresh_insights.using(run_after=run_after).enqueue()
    elif or_now:
        refresh_insights.enqueue()


def due_states(*, now: datetime, stale: bool = False) -> QuerySet[InsightState]:
    """Communities whose members' records changed since their last
    computation, and with `stale`, those computed more than STALE_AFTER ago."""
    changed = Q(changed_at__isnull=False) & (
        Q(computed_at__isnull=True) | Q(changed_at__gt=F("computed_at"))
    )
    if stale:
        changed |= Q(computed_at__lt=now - STALE_AFTER)
    return InsightState.objects.filter(changed)


def run_due(*, now: datetime | None = None) -> int:
    """The background job's work: computes the communities that are due and
    were not computed in the last MIN_INTERVAL, and queues itself again
    for the others. Returns how many snapshots were written."""
    from kinwell.tracking.insights.compute import compute_communities

    moment = now or timezone.now()
    ready: list[InsightState] = []
    waiting: list[InsightState] = []
    for state in due_states(now=moment):
        recent = state.computed_at and state.computed_at > moment - MIN_INTERVAL
        (waiting if recent else ready).append(state)
    written = compute_communities([state.community_id for state in ready])
    if waiting:
        earliest = min(state.computed_at for state in waiting if state.computed_at)
        enqueue_refresh(earliest + MIN_INTERVAL, or_now=False)
    return written


def request_if_needed(community_ids: list[int], computed_at: datetime | None) -> None:
    """For a page showing insights computed at `computed_at` (None: none yet):
    if there are none, or they are older than STALE_AFTER, marks the
    communities (and queues the job) once an hour at most, so a busy page
    writes nothing."""
    if computed_at is not None and computed_at >= timezone.now() - STALE_AFTER:
        return
    key = "insights:requested:" + ",".join(map(str, sorted(community_ids)))
    try:
        first = cache.add(key, True, int(REQUEST_EVERY.total_seconds()))
    except Exception:  # the cache is down: the daily command catches up
        logger.exception("insights: the cache could not be read")
        return
    if first:
        mark_changed(community_ids)
