"""The public pages of care stories: the directory of organisations, an
organisation's and a service's pages, statistics, the list of stories, the
Atom feeds and the moderation transparency page. Anyone may read them; only
published stories appear, and never a criticality."""

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import resolve, reverse

from kinwell.accounts.models import User
from kinwell.stories.models import (
    Organisation,
    Reason,
    Service,
    StaffReply,
    Story,
    StoryDecision,
)
from tests.helpers import assert_bounded_queries, count_queries
from tests.test_story_stats import (
    NOW,
    make_organisation,
    make_reply,
    make_service,
    make_story,
)

ATOM = "{http://www.w3.org/2005/Atom}"
Status = Story.Status
_titles = itertools.count(1)


@pytest.fixture
def north(db: None) -> Organisation:
    return make_organisation(
        "North Trust",
        location="Leeds",
        code="RR8",
        description="Hospitals and clinics in the north.",
    )


@pytest.fixture
def services(north: Organisation) -> dict[str, Service]:
    site = make_service(north, "General Hospital", kind=Service.Kind.SITE)
    maternity = make_service(north, "Maternity", site, Service.Kind.DEPARTMENT)
    return {
        "site": site,
        "maternity": maternity,
        "ward": make_service(north, "Labour ward", maternity),
        "clinic": make_service(north, "Walk-in clinic", kind=Service.Kind.SITE),
    }


@pytest.fixture
def south(db: None) -> Organisation:
    return make_organisation("South Hospice", location="Brighton")


HIDDEN_STATUSES = [Status.SUBMITTED, Status.RETURNED, Status.REJECTED, Status.WITHDRAWN]


@pytest.fixture
def hidden(member: User, services: dict[str, Service]) -> list[Story]:
    """Stories no public page may show, each with a criticality."""
    ward = [services["ward"]]
    return [
        make_story(member, ward, status=status, title=f"Hidden {status}", criticality=5)
        for status in HIDDEN_STATUSES
    ]


def _published(member: User, services: list[Service], **fields: object) -> Story:
    title = fields.pop("title", f"Story number {next(_titles)}")
    return make_story(member, services, title=str(title), **fields)  # type: ignore[arg-type]


def _page(client: Client, name: str, *args: object, **query: str) -> str:
    response = client.get(reverse(f"stories:{name}", args=args), query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# The directory -----------------------------------------------------------------------


def test_directory_lists_organisations_with_their_counts(
    client: Client,
    services: dict[str, Service],
    south: Organisation,
    member: User,
    hidden: list[Story],
) -> None:
    _published(member, [services["ward"], services["maternity"]])
    _published(member, [services["clinic"]])

    page = _page(client, "organisations")

    assert "North Trust" in page
    assert "South Hospice" in page
    assert "4 services · 2 published stories" in page
    assert "0 services · 0 published stories" in page


@pytest.mark.parametrize("query", ["north", "LEEDS", "rr8"])
def test_directory_searches_name_place_and_code(
    client: Client, north: Organisation, south: Organisation, query: str
) -> None:
    page = _page(client, "organisations", q=query)

    assert "North Trust" in page
    assert "South Hospice" not in page


def test_directory_search_keeps_the_query_across_pages(
    client: Client, db: None
) -> None:
    for number in range(25):
        make_organisation(f"Riverside {number:02}")

    page = _page(client, "organisations", q="riverside")

    assert "Page 1 of 2." in page
    assert "?q=riverside&amp;page=2" in page


def test_directory_runs_a_bounded_number_of_queries(
    client: Client, member: User
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            organisation = make_organisation(f"Trust {next(_titles)}")
            service = make_service(organisation, "Clinic")
            _published(member, [service])

    assert_bounded_queries(
        lambda: client.get(reverse("stories:organisations")), add, max_queries=4
    )


# An organisation --------------------------------------------------------------------


def test_organisation_page_shows_its_tree_figures_and_latest_stories(
    client: Client,
    services: dict[str, Service],
    member: User,
    service_staff: User,
    hidden: list[Story],
) -> None:
    north = services["ward"].organisation
    story = _published(member, [services["ward"]], title="Kind midwives")
    make_reply(
        story, north, service_staff, change=StaffReply.Change.MADE, confirmed=True
    )

    page = _page(client, "organisation", north.slug)

    assert "<h1>North Trust</h1>" in page
    assert "National code RR8" in page
    assert "Hospitals and clinics in the north." in page
    for service in services.values():
        assert f'href="{service.get_absolute_url()}"' in page
    assert page.index("General Hospital") < page.index("Maternity")
    assert page.index("Maternity") < page.index("Labour ward")
    assert "Kind midwives" in page
    assert "Change made" in page
    assert "1 reply" in page
    assert f'href="{reverse("stories:tell")}"' in page
    feed = reverse("stories:organisation_feed", args=[north.slug])
    head = page.split("</head>")[0]
    assert '<link rel="alternate" type="application/atom+xml"' in head
    assert f'href="{feed}"' in head


def test_unknown_organisation_is_404(client: Client, db: None) -> None:
    assert client.get("/services/nowhere/").status_code == 404
    assert client.get("/services/nowhere/statistics/").status_code == 404
    assert client.get("/services/nowhere/feed/").status_code == 404


def test_the_new_organisation_form_is_not_taken_for_an_organisation() -> None:
    assert resolve("/services/new/").url_name == "new_organisation"
    assert resolve("/services/newcastle/").url_name == "organisation"


def test_organisation_page_runs_a_bounded_number_of_queries(
    client: Client,
    services: dict[str, Service],
    member: User,
    service_staff: User,
) -> None:
    north = services["ward"].organisation

    def add(count: int) -> None:
        for _ in range(count):
            service = make_service(north, f"Clinic {next(_titles)}", services["site"])
            story = _published(member, [service, services["clinic"]])
            make_reply(story, north, service_staff)

    url = reverse("stories:organisation", args=[north.slug])
    assert_bounded_queries(lambda: client.get(url), add, max_queries=5)


# A service ----------------------------------------------------------------------------


def test_service_page_shows_breadcrumb_children_and_stories_below(
    client: Client,
    services: dict[str, Service],
    member: User,
    hidden: list[Story],
) -> None:
    north = services["ward"].organisation
    _published(member, [services["ward"]], title="About the ward")
    _published(member, [services["clinic"]], title="About the clinic")

    page = _page(client, "service", north.slug, services["maternity"].pk)

    assert "<h1>Maternity</h1>" in page
    crumbs = page.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert "North Trust" in crumbs
    assert "General Hospital" in crumbs
    assert f'href="{services["ward"].get_absolute_url()}"' in page  # a child
    assert "About the ward" in page
    assert "About the clinic" not in page
    assert f"{reverse('stories:tell')}?service={services['maternity'].pk}" in page


def test_a_service_of_another_organisation_is_404(
    client: Client, services: dict[str, Service], south: Organisation
) -> None:
    ward = services["ward"].pk
    for name in ("service", "service_statistics", "service_feed"):
        assert (
            client.get(reverse(f"stories:{name}", args=[south.slug, ward])).status_code
            == 404
        )
        assert (
            client.get(
                reverse(f"stories:{name}", args=["north-trust", 99999])
            ).status_code
            == 404
        )


def test_service_page_runs_a_bounded_number_of_queries(
    client: Client, services: dict[str, Service], member: User
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            _published(member, [services["ward"], services["clinic"]])

    url = services["maternity"].get_absolute_url()
    assert_bounded_queries(lambda: client.get(url), add, max_queries=8)


# Statistics -------------------------------------------------------------------------


def test_statistics_draw_charts_followed_by_tables_of_the_same_numbers(
    client: Client,
    services: dict[str, Service],
    member: User,
    service_staff: User,
) -> None:
    north = services["ward"].organisation
    answered = _published(member, [services["ward"]], published_at=NOW)
    make_reply(answered, north, service_staff, after=timedelta(hours=5))
    _published(member, [services["ward"]], published_at=NOW)

    for page in (
        _page(client, "organisation_statistics", north.slug),
        _page(client, "service_statistics", north.slug, services["maternity"].pk),
    ):
        assert page.count('role="img"') == 2
        # Each picture is followed at once by the table of its numbers.
        assert len(re.findall(r"</svg>\s*</figure>\s*<table>\s*<caption>", page)) == 2
        months_table = page.split("Stories published each month, the last 12")[1]
        assert f'<th scope="row">{NOW:%b %Y}</th><td>2</td>' in months_table
        assert '<th scope="row">Responded to</th><td>50%</td><td>1 of 2</td>' in page
        assert "Responded to: 50% (1 of 2)" in page  # the chart says the same
        assert "5 hours" in page
        assert "fewer than 10 stories published four weeks ago" in page


def test_critical_share_appears_from_ten_settled_critical_stories(
    client: Client, services: dict[str, Service], member: User, service_staff: User
) -> None:
    north = services["ward"].organisation
    settled = NOW - timedelta(days=40)
    for number in range(10):
        story = _published(
            member, [services["ward"]], criticality=4, published_at=settled
        )
        if number < 3:
            make_reply(
                story,
                north,
                service_staff,
                change=StaffReply.Change.MADE,
                confirmed=True,
            )

    page = _page(client, "organisation_statistics", north.slug)

    assert (
        '<th scope="row">Critical stories that led to a change</th><td>30%</td>' in page
    )
    assert "rated critical. Ratings" not in page


# The list of stories ------------------------------------------------------------------


def test_list_shows_published_stories_newest_first_with_markers(
    client: Client,
    services: dict[str, Service],
    member: User,
    service_staff: User,
    hidden: list[Story],
) -> None:
    north = services["ward"].organisation
    old = _published(
        member,
        [services["ward"]],
        title="Older story",
        published_at=NOW - timedelta(days=9),
    )
    new = _published(
        member,
        [services["clinic"]],
        title="Newer story",
        published_at=NOW - timedelta(days=1),
    )
    make_reply(old, north, service_staff, change=StaffReply.Change.MADE, confirmed=True)
    make_reply(old, north, service_staff)
    make_reply(new, north, service_staff, change=StaffReply.Change.MADE)
    make_reply(new, north, service_staff, status=StaffReply.Status.PENDING)

    page = _page(client, "list")

    assert page.index("Newer story") < page.index("Older story")
    assert "Quiet Heron, patient" in page
    assert "2 replies" in page
    assert "1 reply" in page
    assert page.count("Change made</span>") == 1  # only the confirmed one
    assert f'href="{reverse("stories:story", args=[new.pk])}"' in page
    assert f'href="{services["clinic"].get_absolute_url()}"' in page


def test_list_runs_a_bounded_number_of_queries(
    client: Client, services: dict[str, Service], member: User, service_staff: User
) -> None:
    north = services["ward"].organisation

    def add(count: int) -> None:
        for _ in range(count):
            story = _published(member, [services["ward"], services["clinic"]])
            make_reply(story, north, service_staff)

    url = reverse("stories:list")
    assert_bounded_queries(lambda: client.get(url), add, max_queries=3)


# Feeds --------------------------------------------------------------------------------


def _entries(client: Client, url: str) -> tuple[ET.Element, list[ET.Element]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own answer
    assert root.tag == f"{ATOM}feed"
    return root, root.findall(f"{ATOM}entry")


def test_feeds_are_atom_with_the_latest_published_stories(
    client: Client,
    services: dict[str, Service],
    member: User,
    hidden: list[Story],
) -> None:
    north = services["ward"].organisation
    for days in range(32):
        _published(member, [services["ward"]], published_at=NOW - timedelta(days=days))
    _published(member, [services["clinic"]], title="Clinic story", published_at=NOW)

    root, entries = _entries(
        client, reverse("stories:organisation_feed", args=[north.slug])
    )
    assert root.findtext(f"{ATOM}title") == "Care stories about North Trust"
    assert len(entries) == 30
    first = entries[0]
    assert first.findtext(f"{ATOM}title") == "Clinic story"
    assert first.findtext(f"{ATOM}author/{ATOM}name") == "Quiet Heron, patient"
    assert first.findtext(f"{ATOM}published")
    assert "<p>What happened in Clinic story.</p>" in (
        first.findtext(f"{ATOM}summary") or ""
    )
    link = first.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href", "").endswith(
        reverse("stories:story", args=[Story.objects.get(title="Clinic story").pk])
    )

    _, ward = _entries(
        client,
        reverse("stories:service_feed", args=[north.slug, services["maternity"].pk]),
    )
    titles = [entry.findtext(f"{ATOM}title") for entry in ward]
    assert len(titles) == 30
    assert "Clinic story" not in titles


# Transparency -------------------------------------------------------------------


def test_transparency_page_counts_decisions_and_reasons(
    client: Client, services: dict[str, Service], member: User
) -> None:
    story = _published(member, [services["ward"]])
    Action = StoryDecision.Action
    for action, reason in [
        (Action.PUBLISHED, ""),
        (Action.PUBLISHED, ""),
        (Action.RETURNED, Reason.NAMES_STAFF),
        (Action.REJECTED, Reason.NOT_CARE),
        (Action.WITHDRAWN, Reason.AUTHOR_CHOICE),
    ]:
        StoryDecision.objects.create(story=story, action=action, reason=reason)

    page = _page(client, "transparency")

    assert '<th scope="row">Published</th><td>2</td><td>2</td>' in page
    assert '<th scope="row">It names staff in a critical story</th><td>1</td>' in page
    assert '<th scope="row">It is not about an experience of care</th>' in page
    assert '<th scope="row">The author chose to</th>' in page
    assert f'href="{reverse("stories:principles")}"' in page


# For everyone, and never what is private ----------------------------------------


def test_nothing_unpublished_and_no_criticality_on_any_public_page(
    client: Client,
    services: dict[str, Service],
    member: User,
    hidden: list[Story],
) -> None:
    north = services["ward"].organisation
    _published(member, [services["ward"]], criticality=5, title="Shown story")
    ward = services["ward"].pk
    urls = [
        reverse("stories:organisations"),
        reverse("stories:organisation", args=[north.slug]),
        reverse("stories:organisation_statistics", args=[north.slug]),
        reverse("stories:organisation_feed", args=[north.slug]),
        reverse("stories:service", args=[north.slug, ward]),
        reverse("stories:service_statistics", args=[north.slug, ward]),
        reverse("stories:service_feed", args=[north.slug, ward]),
        reverse("stories:list"),
        reverse("stories:transparency"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert "Hidden" not in content, url
        assert "criticality" not in content.lower(), url
    assert "Shown story" in client.get(reverse("stories:list")).content.decode()


def test_public_pages_are_shared_among_visitors(db: None) -> None:
    paths = [
        "/services/",
        "/services/x/",
        "/services/x/1/",
        "/services/x/statistics/",
        "/services/x/1/statistics/",
        "/services/x/feed/",
        "/services/x/1/feed/",
        "/stories/",
        "/stories/transparency/",
    ]
    for path in paths:
        assert getattr(resolve(path).func, "same_for_every_visitor", False), path


@pytest.fixture
def sharing(settings: Any) -> Iterator[None]:
    settings.KINWELL_VISITOR_PAGE_SECONDS = 60
    caches["pages"].clear()
    yield
    caches["pages"].clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sharing")
def test_visitors_share_a_page_until_a_story_is_published(
    services: dict[str, Service], member: User
) -> None:
    north = services["ward"].organisation
    _published(member, [services["ward"]], title="First story")
    urls = [
        reverse("stories:list"),
        reverse("stories:organisation", args=[north.slug]),
        reverse("stories:organisation_statistics", args=[north.slug]),
        reverse("stories:service_feed", args=[north.slug, services["ward"].pk]),
    ]
    for url in urls:
        assert Client().get(url).status_code == 200
        assert count_queries(partial(Client().get, url)) == 0, url

    _published(member, [services["ward"]], title="Second story")

    for url in urls[:2] + urls[3:]:
        assert b"Second story" in Client().get(url).content, url


def test_signed_in_members_see_the_same_public_pages(
    client: Client, services: dict[str, Service], member: User
) -> None:
    _published(member, [services["ward"]], title="Shown story")
    client.force_login(member)

    assert "Shown story" in _page(client, "list")
    assert "North Trust" in _page(client, "organisations")


def test_site_navigation_links_to_stories_and_services(
    client: Client, db: None
) -> None:
    page = _page(client, "transparency")
    nav = page.split('aria-label="Main"')[1].split("</nav>")[0]

    assert f'href="{reverse("stories:list")}">Care stories' in nav
    assert f'href="{reverse("stories:organisations")}">Services' in nav
