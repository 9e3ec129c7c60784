"""The seeders, in order, and what they share.

A feature adds its data by appending a function `(context) -> None` to
SEEDERS (and its numbers to `scales.Scale`). Each seeder draws from a
Random of its own, derived from the seed and its name, so adding one never
changes what the others make."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, reset_queries

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.seeding.scales import SCALES, Scale

# Every date is counted back from here, never from the clock, so a seed makes
# the same rows whenever it runs.
BASE = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
EMAIL_DOMAIN = "seed.kinwell.test"
# Every seeded account signs in with this (documented in docs/performance.md).
SEED_PASSWORD = "kinwell-seed-password"  # noqa: S105 - published on purpose
SQLITE_CACHE_KIB = 128 * 1024


class SeedError(Exception):
    pass


@dataclass
class SeededCommunity:
    id: int
    slug: str
    visibility: str
    created_at: datetime
    # Shuffled once: members early in the list are the active ones.
    member_ids: list[int]
    moderator_ids: list[int]
    tag_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NotificationSeed:
    user_id: int
    community_id: int
    thread_id: int
    post_id: int
    reason: str
    actor_label: str
    created_at: datetime


@dataclass
class Context:
    scale: Scale
    seed: int
    rng: random.Random
    report: Callable[[str], None]
    # user id -> (personal persona id, the label posts show for it)
    personas: dict[int, tuple[int, str]] = field(default_factory=dict)
    user_ids: list[int] = field(default_factory=list)
    communities: list[SeededCommunity] = field(default_factory=list)
    # Replies someone would have been told about, for the notifications seeder.
    notifications: list[NotificationSeed] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, made: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + made
        # Django keeps every query in DEBUG; a seed runs hundreds of thousands.
        reset_queries()


Seeder = Callable[[Context], None]


def _seeders() -> list[Seeder]:
    # Imported here: each seeder module imports this one for the context.
    from kinwell.seeding import (
        accounts,
        circles,
        communities,
        discussions,
        notifications,
        stories,
        tracking,
    )

    return [
        accounts.seed_accounts,
        communities.seed_communities,
        discussions.seed_discussions,
        notifications.seed_notifications,
        stories.seed_stories,
        tracking.seed_tracking,
        circles.seed_circles,
    ]


def seed(
    scale_name: str, *, seed: int = 0, report: Callable[[str], None] = print
) -> Context:
    """Fills an empty database with the synthetic data of `scale_name`."""
    if scale_name not in SCALES:
        raise SeedError(
            f"Unknown scale {scale_name!r}: use one of {', '.join(SCALES)}."
        )
    _require_empty()
    context = Context(
        scale=SCALES[scale_name], seed=seed, rng=random.Random(seed), report=report
    )
    _cache_for_loading()
    for seeder in _seeders():
        started = time.monotonic()
        context.rng = random.Random(f"{seed}/{seeder.__name__}")
        seeder(context)
        report(f"{seeder.__name__}: {time.monotonic() - started:.1f} s")
    _analyse()
    return context


def _cache_for_loading() -> None:
    """SQLite's page cache is 2 MB by default; a load that inserts into a
    dozen indexes and the search index at once rereads and rewrites the same
    pages over and over through it."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def _analyse() -> None:
    """Fresh statistics, as after restoring a dump: without them the query
    planner guesses, and a benchmark measures the guess."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _require_empty() -> None:
    if (
        Community.objects.exists()
        or User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").exists()
    ):
        raise SeedError(
            "This database already has communities or seeded accounts. "
            "Seed into a new, migrated database (for SQLite, point "
            "KINWELL_DATA_DIR at an empty directory)."
        )
