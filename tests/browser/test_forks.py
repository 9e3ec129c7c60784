"""Forks in the browser: a member proposes a fork, another member chooses to
join and bring their posts, the proposer confirms after the notice period,
and the two communities link to each other. Every page passes axe."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kinwell.accounts.models import User
from kinwell.communities.models import Community, ForkChoice, ForkProposal
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ContextFactory, LogInByCookie

pytestmark = pytest.mark.browser


def end_notice_period() -> None:
    # The notice period is days long; the test moves its end instead of waiting.
    ForkProposal.objects.update(confirmable_at=timezone.now() - timedelta(minutes=1))


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_a_fork_from_proposal_to_confirmation(
    community: Community,
    member: User,
    carer: User,
    page: Page,
    new_context: ContextFactory,
    log_in_by_cookie: LogInByCookie,
) -> None:
    log_in_by_cookie(page.context, member)
    page.goto(f"/c/{community.slug}/forks/")
    assert_accessible(page)
    page.get_by_role("link", name="Propose a fork").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Propose a fork")
    expect(page.get_by_label("Proposed charter")).to_have_value(community.charter)
    assert_accessible(page)
    page.get_by_label("Name of the new community").fill("Evening group")
    page.get_by_label("Web address").fill("evening-group")
    page.get_by_label("Why you propose it").fill("Some of us can only talk at night.")
    submit(page, "Send the proposal to every member")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Fork proposal: Evening group"
    )
    assert_accessible(page)
    proposal_path = re.sub(r"^https?://[^/]+", "", page.url)

    other = new_context().new_page()
    log_in_by_cookie(other.context, carer)
    other.goto(proposal_path)
    other.get_by_role(
        "group", name="Do you want to join the new community?"
    ).get_by_label("Yes").check()
    other.get_by_role(
        "group", name="May copies of your past posts go to the new community?"
    ).get_by_label("Yes").check()
    submit(other, "Save my choice")
    expect(other.get_by_role("status")).to_contain_text("Your choice is saved")
    assert_accessible(other)
    choice = ForkChoice.objects.get(user=carer)
    assert (choice.joins, choice.bring_posts) == (True, True)

    end_notice_period()
    page.goto(proposal_path)
    submit(page, "Confirm the fork")
    expect(page.get_by_role("status")).to_contain_text("The fork is confirmed")
    assert_accessible(page)
    fork = Community.objects.get(slug="evening-group")
    assert fork.forked_from == community

    page.goto(f"/c/{fork.slug}/forks/")
    expect(page.get_by_text("Forked from")).to_contain_text(community.name)
    assert_accessible(page)
    other.goto(f"/c/{community.slug}/forks/")
    expect(other.get_by_role("link", name="Evening group").first).to_be_visible()
    assert_accessible(other)
