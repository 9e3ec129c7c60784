"""Discussions in the browser: a member starts a thread with a content
warning and a preview, another member opens the warning, reacts without a
page load and replies with a quote; without JavaScript everything still
works. Every page passes axe."""

import re

import pytest
from playwright.sync_api import Page, expect

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.discussions.models import Post, Reaction, Thread
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ContextFactory, LogInByCookie

pytestmark = pytest.mark.browser


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_a_conversation_from_first_post_to_reply(
    community: Community,
    member: User,
    moderator: User,
    page: Page,
    new_context: ContextFactory,
    log_in_by_cookie: LogInByCookie,
) -> None:
    log_in_by_cookie(page.context, member)
    page.goto(f"/c/{community.slug}/threads/")
    assert_accessible(page)
    page.get_by_role("link", name="Start a thread").click()
    page.get_by_label("Title").fill("Losing a friend to it")
    page.get_by_label("Your message").fill("It was *sudden*. How do you cope?")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-thread em")).to_have_text("sudden")
    page.get_by_label("Content warning").fill("bereavement")
    assert_accessible(page)
    submit(page, "Start the thread")
    expect(page.get_by_role("heading", level=1)).to_have_text("Losing a friend to it")
    thread = Thread.objects.get()
    assert thread.content_warning == "bereavement"

    other = new_context().new_page()
    log_in_by_cookie(other.context, moderator)
    other.goto(thread.get_absolute_url())
    body = other.locator(".post-body").first
    expect(body).to_be_hidden()
    other.get_by_text("Content warning: bereavement").click()
    expect(body).to_be_visible()
    assert_accessible(other)

    url_before = other.url
    other.get_by_role("button", name="Sending strength").click()
    expect(other.get_by_role("button", name="Sending strength 1")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert other.url == url_before
    assert Reaction.objects.get().kind == "strength"

    other.get_by_role("link", name=re.compile("Quote and reply")).first.click()
    reply_box = other.locator("#reply").get_by_label("Your message")
    expect(reply_box).to_have_value(re.compile(r"^> It was \*sudden\*"))
    reply_box.press("End")
    reply_box.type("\nI'm so sorry. Small steps, one day at a time.")
    submit(other, "Post your reply")
    expect(other.locator("#post-2")).to_contain_text("In reply to #1")
    assert_accessible(other)
    assert Post.objects.get(number=2).in_reply_to == thread.posts.get(number=1)


def test_reacting_and_replying_without_javascript(
    community: Community,
    member: User,
    moderator: User,
    new_context: ContextFactory,
    log_in_by_cookie: LogInByCookie,
) -> None:
    from tests import factories

    thread = factories.make_thread(moderator, community, title="No script here")
    page = new_context(java_script_enabled=False).new_page()
    log_in_by_cookie(page.context, member)
    page.goto(thread.get_absolute_url())
    submit(page, "Helpful 0")
    expect(page.get_by_role("button", name="Helpful 1")).to_be_visible()
    page.locator("#reply").get_by_label("Your message").fill("Works without scripts.")
    submit(page, "Preview")
    expect(page.locator("#preview-reply")).to_contain_text("Works without scripts.")
    submit(page, "Post your reply")
    expect(page.locator("#post-2")).to_contain_text("Works without scripts.")
