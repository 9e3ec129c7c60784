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
    """Who makes the requests: signed-in readers, two separate groups of
    writers, so replies and reactions do not share rate limits, and members
    who track their symptoms (those of the biggest tracking community
    first)."""

    readers: list[Member]
    repliers: list[Member]
    reactors: list[Member]
    trackers: list[Member] = field(default_factory=list)
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
    # For "no lost write": the rows a successful request adds, counted.
    rows: Callable[[], int] | None = None


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
    # "As fast as a discussion page" (the issue): the signed-in thread
    # page's share; visitors and members both ask.
    Scenario(
        "insights",
        "Community insights",
        lambda c: targets.insight_pages(c.trackers),
        floor_share=0.35,
    ),
    Scenario(
        "personal_chart",
        "Personal chart",
        lambda c: targets.personal_charts(c.trackers[: targets.READERS]),
    ),
    Scenario(
        "reply",
        "Reply",
        lambda c: targets.replies(c.rng, c.repliers),
        # A reply redirects to the new post; the form again (200) means refused.
        expected=302,
        writes=True,
        floor_share=0.45,
        rows=targets.count_posts,
    ),
    Scenario(
        "reaction",
        "Reaction (toggle)",
        lambda c: targets.reactions(c.rng, c.reactors),
        # The htmx partial says why in an alert when it refuses.
        marker='role="alert"',
        writes=True,
    ),
    Scenario(
        "check_in",
        "Check-in",
        lambda c: targets.check_ins(random.Random("check_in"), c.trackers),
        # A check-in redirects to the tracking home; the form again means refused.
        expected=302,
        writes=True,
        rows=targets.count_check_ins,
    ),
]
ARCHIVE = "archive"
NAMES = [scenario.name for scenario in SCENARIOS] + [ARCHIVE]
