"""How much each scale makes. Later features add their own numbers here."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    communities: int
    members: int
    posts: int
    # The longest thread, made on purpose so every scale has one page deep
    # in a very long thread; the others follow a long-tailed draw.
    longest_thread: int
    # The cap of that draw, so one unlucky draw cannot swallow the budget.
    thread_cap: int
    # Distinct post bodies, each cooked once and reused.
    bodies: int
    flags: int
    notifications: int
    # Care stories: organisations, the nodes of each one's service tree
    # (about), stories, and the distinct story texts cooked once and reused.
    organisations: int
    services: int
    stories: int
    story_bodies: int
    # Tracking: the share of community members who track, and how many days
    # back the cohort's check-ins reach (see seeding/tracking.py).
    tracking_share: float
    cohort_days: int
    # Circles (each in a community drawn at random, so some have several)
    # and the range of each one's number of messages.
    circles: int
    circle_messages: tuple[int, int]
    batch: int = 2000


SCALES = {
    scale.name: scale
    for scale in (
        Scale(
            name="small",
            communities=3,
            members=200,
            posts=2_000,
            longest_thread=150,
            thread_cap=120,
            bodies=400,
            flags=6,
            notifications=300,
            organisations=5,
            services=20,
            stories=200,
            story_bodies=100,
            tracking_share=0.35,
            cohort_days=60,
            circles=3,
            circle_messages=(20, 60),
        ),
        Scale(
            name="medium",
            communities=100,
            members=10_000,
            posts=200_000,
            longest_thread=2_500,
            thread_cap=1_000,
            bodies=3_000,
            flags=200,
            notifications=20_000,
            organisations=40,
            services=30,
            stories=5_000,
            story_bodies=1_000,
            tracking_share=0.3,
            cohort_days=1_100,
            circles=12,
            circle_messages=(20, 200),
        ),
        Scale(
            name="large",
            communities=500,
            members=50_000,
            posts=1_000_000,
            longest_thread=5_000,
            thread_cap=1_000,
            bodies=4_000,
            flags=1_000,
            notifications=100_000,
            organisations=200,
            services=30,
            stories=25_000,
            story_bodies=2_500,
            tracking_share=0.25,
            cohort_days=3_300,
            circles=50,
            circle_messages=(20, 200),
        ),
    )
}
