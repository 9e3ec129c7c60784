"""The public figures of services and organisations, the transparency counts,
and the charts drawn from them. The rows are made directly: the figures
read the tables, whatever service wrote them."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.text import slugify

from kinwell.accounts.models import User
from kinwell.stories import charts, stats
from kinwell.stories.models import (
    Organisation,
    Reason,
    Service,
    StaffReply,
    Story,
    StoryDecision,
    StoryService,
)
from tests.helpers import count_queries

NOW = timezone.now()
Status = Story.Status
Change = StaffReply.Change


def make_organisation(name: str, **fields: str) -> Organisation:
    return Organisation.objects.create(name=name, slug=slugify(name), **fields)


def make_service(
    organisation: Organisation,
    name: str,
    parent: Service | None = None,
    kind: str = Service.Kind.SERVICE,
) -> Service:
    service = Service.objects.create(
        organisation=organisation, parent=parent, name=name, kind=kind, path=""
    )
    service.path = f"{parent.path if parent else '/'}{service.pk}/"
    service.save(update_fields=["path"])
    return service


def make_story(
    author: User,
    services: list[Service],
    *,
    status: str = Status.PUBLISHED,
    published_at: datetime | None = None,
    criticality: int | None = None,
    title: str = "The night shift listened",
) -> Story:
    published = status == Status.PUBLISHED
    story = Story.objects.create(
        author=author,
        author_role=Story.AuthorRole.PATIENT,
        pseudonym="Quiet Heron",
        title=title,
        what_happened=f"What happened in {title}.",
        body_html=f"<p>What happened in {title}.</p>",
        status=status,
        criticality=criticality,
        published_at=(published_at or NOW - timedelta(days=3)) if published else None,
    )
    StoryService.objects.bulk_create(
        StoryService(story=story, service=service) for service in services
    )
    return story


def make_reply(
    story: Story,
    organisation: Organisation,
    author: User,
    *,
    after: timedelta = timedelta(hours=1),
    status: str = StaffReply.Status.PUBLISHED,
    change: str = Change.NONE,
    confirmed: bool = False,
) -> StaffReply:
    assert story.published_at is not None
    published = status == StaffReply.Status.PUBLISHED
    return StaffReply.objects.create(
        story=story,
        organisation=organisation,
        author=author,
        job_title="Ward manager",
        body="Thank you for telling us.",
        body_html="<p>Thank you for telling us.</p>",
        status=status,
        change=change,
        change_description="New handover notes." if change else "",
        change_confirmed_at=story.published_at + after if confirmed else None,
        published_at=story.published_at + after if published else None,
    )


@pytest.fixture
def tree(db: None) -> dict[str, Service]:
    """North Trust: a hospital site, its maternity department and the
    labour ward within it; and a clinic beside the hospital."""
    north = make_organisation("North Trust", location="Leeds", code="RR8")
    site = make_service(north, "General Hospital", kind=Service.Kind.SITE)
    maternity = make_service(north, "Maternity", site, Service.Kind.DEPARTMENT)
    ward = make_service(north, "Labour ward", maternity)
    clinic = make_service(north, "Walk-in clinic", kind=Service.Kind.SITE)
    return {"site": site, "maternity": maternity, "ward": ward, "clinic": clinic}


@pytest.fixture
def south(db: None) -> Organisation:
    return make_organisation("South Hospice")


def test_figures_count_responses_median_and_only_confirmed_changes(
    tree: dict[str, Service], south: Organisation, member: User, service_staff: User
) -> None:
    north = tree["ward"].organisation
    made = make_story(member, [tree["ward"]])
    make_reply(made, north, service_staff, after=timedelta(hours=2))
    make_reply(
        made,
        north,
        service_staff,
        after=timedelta(hours=9),
        change=Change.MADE,
        confirmed=True,
    )
    planned = make_story(member, [tree["maternity"]])
    make_reply(planned, north, service_staff, status=StaffReply.Status.PENDING)
    make_reply(
        planned,
        north,
        service_staff,
        after=timedelta(hours=6),
        change=Change.PLANNED,
        confirmed=True,
    )
    unconfirmed = make_story(member, [tree["ward"]])
    make_reply(
        unconfirmed,
        north,
        service_staff,
        after=timedelta(hours=4),
        change=Change.MADE,
    )
    elsewhere = make_story(member, [tree["ward"]])
    make_reply(elsewhere, south, service_staff, after=timedelta(minutes=5))
    draft = make_story(member, [tree["ward"]], status=Status.SUBMITTED)
    draft.published_at = NOW
    draft.save(update_fields=["published_at"])

    figures = stats.organisation_figures(north, now=NOW)

    assert figures.stories == 4
    assert figures.responded == 3  # the reply from South counts for nobody here
    assert figures.responded_share == 0.75
    assert figures.median_first_response == timedelta(hours=4)  # of 2h, 6h, 4h
    assert (figures.changes_planned, figures.changes_made) == (1, 1)

    ward = stats.service_figures(tree["ward"], now=NOW)
    assert (ward.stories, ward.responded) == (3, 2)
    assert ward.median_first_response == timedelta(hours=3)  # of 2h and 4h
    assert (ward.changes_planned, ward.changes_made) == (0, 1)


def test_a_change_made_counts_once_as_made(
    tree: dict[str, Service], member: User, service_staff: User
) -> None:
    north = tree["ward"].organisation
    story = make_story(member, [tree["ward"]])
    for change in (Change.PLANNED, Change.MADE):
        make_reply(story, north, service_staff, change=change, confirmed=True)

    figures = stats.service_figures(tree["ward"], now=NOW)

    assert (figures.changes_planned, figures.changes_made) == (0, 1)


def test_a_service_counts_the_stories_below_it_once_each(
    tree: dict[str, Service], member: User
) -> None:
    make_story(member, [tree["ward"]])
    make_story(member, [tree["ward"], tree["maternity"]])
    make_story(member, [tree["clinic"]])

    assert stats.service_figures(tree["ward"], now=NOW).stories == 2
    assert stats.service_figures(tree["maternity"], now=NOW).stories == 2
    assert stats.service_figures(tree["site"], now=NOW).stories == 2
    assert stats.service_figures(tree["clinic"], now=NOW).stories == 1
    assert stats.organisation_figures(tree["site"].organisation).stories == 3


def test_a_service_without_stories_has_no_shares(tree: dict[str, Service]) -> None:
    figures = stats.service_figures(tree["clinic"], now=NOW)

    assert figures.stories == 0
    assert figures.responded_share is None
    assert figures.median_first_response is None
    assert figures.median_wait_words == "No replies yet"
    assert [count for _, count in figures.per_month] == [0] * 12


def test_critical_share_is_withheld_under_ten_settled_critical_stories(
    tree: dict[str, Service], member: User, service_staff: User
) -> None:
    north = tree["ward"].organisation
    settled = NOW - timedelta(days=40)

    def critical(**fields: Any) -> Story:
        return make_story(member, [tree["ward"]], published_at=settled, **fields)

    changed = [critical(criticality=5) for _ in range(3)]
    for story in changed:
        make_reply(story, north, service_staff, change=Change.PLANNED, confirmed=True)
    for _ in range(6):
        critical(criticality=3)
    critical(criticality=2)  # not critical
    critical(criticality=4, status=Status.SUBMITTED)  # not published
    # Just published: it waits four weeks before it counts.
    make_story(member, [tree["ward"]], criticality=4, published_at=NOW)

    nine = stats.service_figures(tree["ward"], now=NOW)
    assert nine.critical_changed_share is None
    assert "fewer than 10" in nine.critical_note

    unconfirmed = critical(criticality=3)
    make_reply(unconfirmed, north, service_staff, change=Change.MADE)
    ten = stats.service_figures(tree["ward"], now=NOW)
    assert ten.critical_changed_share == pytest.approx(0.3)
    assert ten.critical_note == ""


def test_critical_share_is_rounded_to_a_tenth(
    tree: dict[str, Service], member: User, service_staff: User
) -> None:
    north = tree["ward"].organisation
    settled = NOW - timedelta(days=40)
    stories = [
        make_story(member, [tree["ward"]], published_at=settled, criticality=4)
        for _ in range(11)
    ]
    for story in stories[:4]:
        make_reply(story, north, service_staff, change=Change.MADE, confirmed=True)

    figures = stats.service_figures(tree["ward"], now=NOW)

    # 4 of 11 is 36%: shown as 40%, which 4 of 10 or 5 of 12 would also give.
    assert figures.critical_changed_share == pytest.approx(0.4)


def test_stories_per_month_cover_the_last_twelve_months(
    tree: dict[str, Service], member: User
) -> None:
    now = timezone.make_aware(datetime(2026, 3, 15, 12))
    for when in (
        datetime(2026, 3, 2),
        datetime(2026, 3, 14),
        datetime(2026, 1, 31),
        datetime(2025, 4, 1, 1),
        datetime(2025, 3, 31),  # thirteen months back: out
    ):
        make_story(member, [tree["ward"]], published_at=timezone.make_aware(when))

    months = stats.service_figures(tree["ward"], now=now).per_month

    assert len(months) == 12
    assert months[0] == (datetime(2025, 4, 1).date(), 1)
    assert months[-1] == (datetime(2026, 3, 1).date(), 2)
    assert dict(months)[datetime(2026, 1, 1).date()] == 1
    assert sum(count for _, count in months) == 4


def test_figures_take_one_query_however_many_stories(
    tree: dict[str, Service], member: User, service_staff: User
) -> None:
    north = tree["ward"].organisation

    def add(count: int) -> None:
        for _ in range(count):
            story = make_story(member, [tree["ward"], tree["clinic"]], criticality=4)
            make_reply(story, north, service_staff, change=Change.MADE, confirmed=True)

    add(3)
    assert count_queries(lambda: stats.organisation_figures(north)) == 1
    add(12)
    assert count_queries(lambda: stats.organisation_figures(north)) == 1
    assert count_queries(lambda: stats.service_figures(tree["site"])) == 1


@pytest.mark.parametrize(
    ("hours", "words"),
    [(0.5, "30 minutes"), (1, "1 hour"), (47, "47 hours"), (50, "2 days")],
)
def test_waits_read_as_people_say_them(hours: float, words: str) -> None:
    assert stats.wait_in_words(timedelta(hours=hours)) == words


# Transparency ------------------------------------------------------------------


def _decide(story: Story, action: str, reason: str = "", days_ago: int = 1) -> None:
    StoryDecision.objects.create(
        story=story,
        action=action,
        reason=reason,
        created_at=NOW - timedelta(days=days_ago),
    )


def test_transparency_counts_decisions_by_action_and_reason(
    tree: dict[str, Service], member: User
) -> None:
    story = make_story(member, [tree["ward"]])
    Action = StoryDecision.Action
    for _ in range(3):
        _decide(story, Action.SUBMITTED)
        _decide(story, Action.PUBLISHED)
    _decide(story, Action.RETURNED, Reason.NAMES_PATIENT)
    _decide(story, Action.RETURNED, Reason.NAMES_PATIENT, days_ago=400)
    _decide(story, Action.RETURNED, Reason.IDENTIFYING)
    _decide(story, Action.REJECTED, Reason.ABUSIVE)
    _decide(story, Action.WITHDRAWN, Reason.AUTHOR_CHOICE, days_ago=500)

    found = stats.transparency(now=NOW)

    by_action = {tally.key: tally for tally in found.actions}
    assert list(by_action) == ["published", "returned", "rejected", "withdrawn"]
    assert (by_action["published"].recent, by_action["published"].all_time) == (3, 3)
    assert by_action["published"].reasons == []
    returned = by_action["returned"]
    assert (returned.recent, returned.all_time) == (2, 3)
    assert [(r.label, r.recent, r.all_time) for r in returned.reasons] == [
        ("It names a patient", 1, 2),
        ("It has identifying dates or details", 1, 1),
    ]
    assert [r.label for r in by_action["rejected"].reasons] == [
        "It is abusive or defamatory"
    ]
    withdrawn = by_action["withdrawn"]
    assert (withdrawn.recent, withdrawn.all_time) == (0, 1)
    assert count_queries(stats.transparency) == 1


# Charts ------------------------------------------------------------------------------


def test_the_month_chart_is_a_described_image_with_every_count(
    tree: dict[str, Service], member: User
) -> None:
    make_story(member, [tree["ward"]], published_at=NOW)
    figures = stats.service_figures(tree["ward"], now=NOW)

    svg = charts.months_chart(figures.per_month, chart_id="m", subject="<Ward & co>")

    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert 'aria-labelledby="m-title m-desc"' in svg
    assert '<title id="m-title">' in svg
    assert "&lt;Ward &amp; co&gt;" in svg
    assert "<Ward" not in svg
    assert "1 story in all" in svg
    assert svg.count("<rect") == 13  # the ground and a bar a month


def test_share_rows_say_what_the_chart_draws(
    tree: dict[str, Service], member: User, service_staff: User
) -> None:
    north = tree["ward"].organisation
    answered = make_story(member, [tree["ward"]])
    make_reply(answered, north, service_staff, change=Change.MADE, confirmed=True)
    make_story(member, [tree["ward"]])
    rows = charts.share_rows(stats.service_figures(tree["ward"], now=NOW))

    assert [(row.label, row.in_words) for row in rows] == [
        ("Responded to", "50% (1 of 2)"),
        ("Change planned, not yet made", "0% (0 of 2)"),
        ("Change made", "50% (1 of 2)"),
        (
            "Critical stories that led to a change",
            "Not shown (fewer than 10 critical stories)",
        ),
    ]
    svg = charts.shares_chart(rows, chart_id="s", subject="Labour ward")
    assert 'role="img"' in svg
    assert "Responded to: 50% (1 of 2)" in svg  # in its description
    assert svg.count("50% (1 of 2)") == 4  # and beside two bars
