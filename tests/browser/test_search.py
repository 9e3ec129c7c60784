"""The search page in Chromium: no serious axe-core finding, with results,
filters and errors on it, and it works with JavaScript off."""

from typing import Any

import pytest
from playwright.sync_api import Page

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.discussions import services
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ContextFactory

pytestmark = pytest.mark.browser


def test_the_search_page_is_accessible(
    page: Page,
    live_server: Any,
    community: Community,
    member: User,
    organiser: User,
) -> None:
    tag = services.create_tag(organiser, community=community, name="Sleep")
    thread = factories.make_thread(
        member, community, title="Sleep and fatigue", body="Sleep helps.", tags=[tag]
    )
    services.reply(organiser, thread=thread, body="Fatigue is worse without sleep.")
    factories.make_thread(
        member, community, title="Hard days", body="sleep", content_warning="grief"
    )
    page.goto(f"{live_server.url}/search/?q=sleep&community={community.slug}")
    assert page.locator("article").count() == 3
    assert_accessible(page)
    page.goto(f"{live_server.url}/search/?q=nothing&since=2026-02-02&until=2026-01-01")
    assert page.get_by_text("Choose a date on or after").is_visible()
    assert_accessible(page)


def test_searching_without_javascript(
    new_context: ContextFactory,
    community: Community,
    member: User,
) -> None:
    factories.make_thread(member, community, title="Brain fog", body="It lifts.")
    tab = new_context(java_script_enabled=False).new_page()
    tab.goto("/search/")
    tab.get_by_label("Search for").fill('"brain fog"')
    tab.get_by_role("button", name="Search").click()
    assert tab.get_by_role("heading", name='1 result for “"brain fog"”').is_visible()
    assert tab.locator("mark").first.inner_text() in ("Brain fog", "Brain")
