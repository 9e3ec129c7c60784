"""The scenarios, in the order they run, and the budgets of issue 5 (set for
the medium scale, 8 connections, SQLite)."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from kinwell.bench import targets
from kinwell.bench.lua import Request
from kinwell.bench.targets import Member

# A read scenario's p99 may be at most this many times its p50.
TAIL_LIMIT = 4
PROCESS_MEMORY_LIMIT_MB = 250
ARCHIVE_SECONDS_LIMIT = 60
ARCHIVE_MEMORY_LIMIT_MB = 300
SEARCH_P50_LIMIT_MS = 50
SEARCH_P99_LIMIT_MS = 200


@dataclass(frozen=True)
class Cast:
    """Who makes the requests: signed-in readers, and two separate groups
    of writers, so replies and reactions do not share rate limits."""

    readers: list[Member]
    repliers: list[Member]
    reactors: list[Member]
    rng: random.Random = field(default_factory=lambda: random.Random(5))


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    build: Callable[[Cast], list[Request]]
    expected: int = 200
    # Text in a response body that means the server refused the action.
    marker: str | None = None
    writes: bool = False
    floor_share: float | None = None


SCENARIOS = [
    Scenario("floor", "Floor (one query, 20 rows)", lambda c: targets.floor(c.rng)),
    Scenario("home", "Home", lambda c: targets.home()),
    Scenario(
        "directory",
        "Community directory",
        lambda c: targets.directory(),
        floor_share=0.60,
    ),
    Scenario(
        "thread_list",
        "Thread list",
        lambda c: targets.thread_lists(),
        floor_share=0.60,
    ),
    Scenario(
        "thread_visitor",
        "Thread page, visitor",
        lambda c: targets.visitor_thread_pages(c.rng),
        floor_share=0.50,
    ),
    Scenario(
        "thread_member",
        "Thread page, signed in",
        lambda c: targets.member_thread_pages(c.rng, c.readers),
        floor_share=0.35,
    ),
    Scenario("search", "Search", lambda c: targets.searches(c.rng, c.readers)),
    Scenario(
        "notifications",
        "Notifications",
        lambda c: targets.notifications(c.readers),
    ),
    # Their own Random: the draws of the scenarios after them stay the same.
    Scenario(
        "story",
        "Story page",
        lambda c: targets.story_pages(random.Random("story")),
    ),
    Scenario(
        "service_statistics",
        "Service statistics",
        lambda c: targets.service_statistics(random.Random("service_statistics")),
    ),
    Scenario(
        "reply",
        "Reply",
        lambda c: targets.replies(c.rng, c.repliers),
        # A reply redirects to the new post; the form again (200) means refused.
        expected=302,
        writes=True,
        floor_share=0.45,
    ),
    Scenario(
        "reaction",
        "Reaction (toggle)",
        lambda c: targets.reactions(c.rng, c.reactors),
        # The htmx partial says why in an alert when it refuses.
        marker='role="alert"',
        writes=True,
    ),
]
ARCHIVE = "archive"
NAMES = [scenario.name for scenario in SCENARIOS] + [ARCHIVE]
