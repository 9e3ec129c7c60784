"""Communities in the browser: starting one, asking to join and being let in
by a moderator, joining with an invitation link, and every page of the
communities core passing axe."""

import re

import pytest
from playwright.sync_api import Page, expect

from kinwell.accounts.models import User
from kinwell.communities import services
from kinwell.communities.models import Community, JoinRequest, Membership
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ContextFactory, LogInByCookie

pytestmark = pytest.mark.browser


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_starting_a_community(
    outsider: User, page: Page, log_in_by_cookie: LogInByCookie
) -> None:
    log_in_by_cookie(page.context, outsider)
    page.goto("/communities/")
    assert_accessible(page)
    page.get_by_role("link", name="Start a community").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a community")
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Tinnitus Talk")
    page.get_by_label("Condition or service").fill("Tinnitus")
    page.get_by_label("Charter").fill("## Purpose\n\nQuiet company.")
    page.get_by_role("group", name="How people join").get_by_label("By request").check()
    submit(page, "Start the community")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tinnitus Talk")
    expect(page.get_by_role("status")).to_contain_text("first organiser")
    assert_accessible(page)
    community = Community.objects.get(name="Tinnitus Talk")
    assert community.join_policy == "request"
    assert Membership.objects.get(community=community).user == outsider


def test_asking_to_join_and_a_moderator_approving(
    organiser: User,
    moderator: User,
    outsider: User,
    page: Page,
    new_context: ContextFactory,
    log_in_by_cookie: LogInByCookie,
) -> None:
    community = factories.make_community(
        organiser, name="Gentle Steps", join_policy="request", moderators=(moderator,)
    )
    services.update_community(
        organiser, community=community, join_question="What brings you here?"
    )
    log_in_by_cookie(page.context, outsider)
    page.goto(f"/c/{community.slug}/")
    assert_accessible(page)
    page.get_by_role("link", name="Ask to join Gentle Steps").click()
    assert_accessible(page)
    page.get_by_label("Your answer").fill("I am newly diagnosed.")
    submit(page, "Send my request")
    expect(page.get_by_role("status")).to_contain_text("will look at your request")
    page.goto("/communities/mine/")
    expect(page.get_by_text("Waiting for a decision", exact=False)).to_be_visible()
    assert_accessible(page)

    mod = new_context().new_page()
    log_in_by_cookie(mod.context, moderator)
    mod.goto(f"/c/{community.slug}/requests/")
    expect(mod.get_by_text("I am newly diagnosed.")).to_be_visible()
    assert_accessible(mod)
    submit(mod, f"Approve {outsider.public_name}")
    expect(mod.get_by_role("status")).to_contain_text("is now a member")
    assert_accessible(mod)
    assert JoinRequest.objects.get(user=outsider).status == "approved"
    assert Membership.objects.filter(community=community, user=outsider).exists()


def test_joining_with_an_invitation_link(
    organiser: User,
    member: User,
    outsider: User,
    hidden_community: Community,
    page: Page,
    new_context: ContextFactory,
    log_in_by_cookie: LogInByCookie,
) -> None:
    log_in_by_cookie(page.context, organiser)
    page.goto(f"/c/{hidden_community.slug}/invites/")
    assert_accessible(page)
    page.get_by_label("Days the link works").fill("7")
    page.get_by_label("How many people may use it").fill("3")
    submit(page, "Make the link")
    expect(page.get_by_role("status")).to_contain_text("ready to share")
    assert_accessible(page)
    address = page.locator("code").first.inner_text()
    path = re.sub(r"^https?://[^/]+", "", address)

    guest = new_context().new_page()
    log_in_by_cookie(guest.context, outsider)
    guest.goto(path)
    expect(guest.get_by_role("heading", level=1)).to_contain_text(hidden_community.name)
    assert_accessible(guest)
    submit(guest, f"Join {hidden_community.name}")
    expect(guest.get_by_role("status")).to_contain_text("You are now a member")
    assert Membership.objects.filter(community=hidden_community, user=outsider).exists()


def test_every_organiser_and_member_page_is_accessible(
    organiser: User,
    member: User,
    community: Community,
    page: Page,
    log_in_by_cookie: LogInByCookie,
) -> None:
    services.create_cluster(organiser, community=community, name="Long COVID UK")
    sibling = factories.make_community(organiser, name="Long COVID South")
    services.move_to_cluster(
        organiser,
        community=sibling,
        cluster=Community.objects.get(pk=community.pk).cluster,
    )
    log_in_by_cookie(page.context, organiser)
    slug = community.slug
    for path in (
        f"/c/{slug}/",
        f"/c/{slug}/members/",
        f"/c/{slug}/settings/",
        f"/c/{slug}/settings/cluster",
        f"/c/{slug}/health/",
        f"/c/{slug}/requests/",
        f"/c/{slug}/leave",
        "/clusters/long-covid-uk/",
        "/communities/mine/",
    ):
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        assert_accessible(page)
    member_page = page.context.new_page()
    page.context.clear_cookies()
    log_in_by_cookie(page.context, member)
    member_page.goto(f"/c/{slug}/leave")
    member_page.get_by_label("Remove them").check()
    submit(member_page, f"Leave {community.name}")
    expect(member_page.get_by_role("status")).to_contain_text("You have left")
    assert_accessible(member_page)
