"""Care stories in the browser, each person in their own browser: a member
tells a story about a service found through the search, a story moderator
publishes it, the staff member whose alert follows the service hears of it
by email, opens it (and is counted as a reader), and replies marking a
change made; the moderator confirms the change and the storyteller hears of
it and sees it on the story. Telling a story works without JavaScript, and
"I've experienced this too" works without a page load."""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from playwright.sync_api import Page, expect

from kinwell.accounts.models import User
from kinwell.stories import alerts, directory, services
from kinwell.stories.models import (
    Echo,
    Organisation,
    Service,
    StaffAlert,
    StaffMembership,
    StaffReply,
    Story,
    StoryRead,
)
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ContextFactory, LogIn, LogInByCookie

pytestmark = pytest.mark.browser

STORY_LINK = re.compile(r"https?://[^/\s]+(/stories/\d+/)")
WARD_PATH = "North Trust \u203a General Hospital \u203a Ward 7 (respiratory)"
TITLE = "Nobody told us about the night-time visiting rule"
CHANGE = "Visiting times are now on a sign at the ward entrance."


@dataclass
class Trust:
    """An organisation with a hospital and a ward, and a responder on its
    staff whose at-once alert follows the ward."""

    organisation: Organisation
    ward: Service
    responder: User


@pytest.fixture
def trust(db: None) -> Trust:
    admin = factories.make_user("Ines Installer", is_staff=True)
    factories.give_totp(admin)
    organisation = directory.create_organisation(
        admin, name="North Trust", location="Northtown"
    )
    site = directory.add_service(
        admin,
        organisation=organisation,
        parent=None,
        name="General Hospital",
        kind=Service.Kind.SITE,
    )
    ward = directory.add_service(
        admin,
        organisation=organisation,
        parent=site,
        name="Ward 7 (respiratory)",
        kind=Service.Kind.SERVICE,
    )
    responder = factories.make_user("Rory Responder")
    factories.give_totp(responder)
    staff = directory.add_staff(
        admin,
        organisation=organisation,
        email=responder.email,
        role=StaffMembership.Role.RESPONDER,
        job_title="Ward manager",
    )
    alerts.add_alert(
        responder,
        staff=staff,
        service=ward,
        min_criticality=0,
        delivery=StaffAlert.Delivery.AT_ONCE,
    )
    return Trust(organisation, ward, User.objects.get(pk=responder.pk))


@pytest.fixture
def story_moderator(db: None) -> tuple[User, str]:
    user = factories.make_user("Stella Storymoderator", is_story_moderator=True)
    return user, factories.give_totp(user)


def submit(page: Page, button: str | re.Pattern[str]) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def emails_to(address: str) -> list[EmailMessage]:
    # The live server runs in this process, and the test settings run tasks
    # at once, so the locmem outbox sees the mail the pages send.
    return [message for message in mail.outbox if address in message.to]


def story_path(message: EmailMessage) -> str:
    match = STORY_LINK.search(str(message.body))
    assert match, f"no story link in:\n{message.body}"
    return match.group(1)


def fill_in_story(page: Page) -> None:
    page.get_by_label("Patient", exact=True).check()
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("What happened").fill(
        "We came at eight and were sent away; *nobody* had said."
    )
    page.get_by_label("What could be better").fill("Tell visitors the times.")


def tell_story(page: Page) -> Story:
    page.goto("/stories/new/")
    page.get_by_label("Find a service").fill("ward 7")
    page.get_by_role("button", name="Find services").click()  # htmx: no page load
    page.get_by_label(WARD_PATH).check()
    fill_in_story(page)
    assert_accessible(page)
    submit(page, "Send the story to the moderators")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("Status: Waiting for a moderator")).to_be_visible()
    return Story.objects.get(title=TITLE)


def publish(page: Page, story: Story) -> None:
    page.goto("/stories/moderation/")
    page.get_by_role("link", name=re.compile(f"Story #{story.pk}:")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Moderate story #{story.pk}"
    )
    assert_accessible(page)
    publishing = page.locator("section", has=page.locator("#publish-heading"))
    publishing.get_by_role("radio", name=re.compile(r"^3: ")).check()
    submit(page, "Publish the story")
    expect(page.get_by_text("The story is published.")).to_be_visible()


def reply_with_change_made(page: Page) -> StaffReply:
    reply_form = page.locator("#reply")
    reply_form.get_by_label("Your reply").fill(
        "Thank you for telling us. We are sorry you were turned away."
    )
    reply_form.get_by_label("Change made").check()
    reply_form.get_by_label("What the change is").fill(CHANGE)
    submit(page, "Send your reply")
    return StaffReply.objects.get()


def confirm_change(page: Page, reply: StaffReply) -> None:
    """The moderator, on the moderation page: publishes the reply with its
    change confirmed when it waits, or confirms the change of a reply
    published at once."""
    page.goto("/stories/moderation/")
    assert_accessible(page)
    if reply.status == StaffReply.Status.PENDING:
        expect(page.get_by_label("Confirm the change made too")).to_be_checked()
        submit(page, f"Publish reply {reply.pk}")
    else:
        submit(page, f"Confirm the change made of reply {reply.pk}")
    expect(page.get_by_text(f"Reply {reply.pk}: done.")).to_be_visible()


@pytest.mark.parametrize("trust_after", [3, 0], ids=["moderated-reply", "trusted"])
def test_a_story_from_telling_to_a_change_made(
    trust_after: int,
    trust: Trust,
    member: User,
    story_moderator: tuple[User, str],
    new_context: ContextFactory,
    log_in: LogIn,
    log_in_by_cookie: LogInByCookie,
    settings: Any,
) -> None:
    # With 3, the responder's first reply waits for a moderator; with 0 it
    # is published at once and only its change waits.
    settings.KINWELL_STORY_REPLY_TRUST = trust_after
    moderator, moderator_secret = story_moderator

    teller = new_context().new_page()
    log_in_by_cookie(teller.context, member)
    story = tell_story(teller)
    assert story.status == Story.Status.SUBMITTED
    assert list(story.services.all()) == [trust.ward]

    moderating = new_context().new_page()
    log_in(moderating, moderator.email, totp_secret=moderator_secret)
    publish(moderating, story)
    story.refresh_from_db()
    assert (story.status, story.criticality) == (Story.Status.PUBLISHED, 3)

    (alert,) = emails_to(trust.responder.email)
    assert f"#{story.pk}" in alert.subject
    assert "Criticality: 3" in str(alert.body)
    staff = new_context().new_page()
    log_in_by_cookie(staff.context, trust.responder)
    staff.goto(story_path(alert))
    expect(staff.get_by_text("Read by 1 staff at 1 organisation")).to_be_visible()
    expect(staff.get_by_text("Criticality: 3 of 5")).to_be_visible()
    assert_accessible(staff)
    assert StoryRead.objects.filter(story=story, user=trust.responder).exists()

    reply = reply_with_change_made(staff)
    expected = StaffReply.Status.PENDING if trust_after else StaffReply.Status.PUBLISHED
    assert reply.status == expected
    assert reply.change == StaffReply.Change.MADE
    assert reply.change_confirmed_at is None
    expect(staff.locator(f"#reply-{reply.pk}")).to_contain_text(
        "Change made, waiting for a moderator to confirm"
    )
    told_before = len(emails_to(member.email))

    confirm_change(moderating, reply)
    reply.refresh_from_db()
    assert reply.status == StaffReply.Status.PUBLISHED
    assert reply.change_confirmed_at is not None

    news = emails_to(member.email)[told_before:]
    assert news, "the storyteller was not told of the change"
    assert "confirmed a change made" in str(news[-1].body)
    assert TITLE not in str(news[-1].body)
    assert CHANGE not in str(news[-1].body)
    teller.goto(story_path(news[-1]))
    answer = teller.locator(f"#reply-{reply.pk}")
    expect(answer.locator(".badge")).to_have_text("Change made")
    expect(answer).to_contain_text(CHANGE)
    expect(teller.get_by_text("Read by 1 staff at 1 organisation")).to_be_visible()
    expect(teller.get_by_text("Criticality")).to_have_count(0)
    assert_accessible(teller)


def test_telling_a_story_through_the_search_without_javascript(
    trust: Trust,
    member: User,
    new_context: ContextFactory,
    log_in_by_cookie: LogInByCookie,
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    log_in_by_cookie(page.context, member)
    page.goto("/stories/new/")
    page.get_by_label("Title", exact=True).fill(TITLE)  # kept through the search

    page.get_by_label("Find a service").fill("nothing like it")
    submit(page, "Find services")
    expect(page.get_by_text("No services match")).to_be_visible()
    page.get_by_label("Find a service").fill("Northtown")
    submit(page, "Find services")
    expect(page.get_by_label("Title", exact=True)).to_have_value(TITLE)
    page.get_by_label(WARD_PATH).check()
    page.get_by_label("Find a service").fill("hospital")
    submit(page, "Find services")
    expect(page.get_by_label(WARD_PATH)).to_be_checked()  # ticked stays ticked
    fill_in_story(page)
    submit(page, "Send the story to the moderators")

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    story = Story.objects.get()
    assert story.author == member
    assert list(story.services.all()) == [trust.ward]
    assert story.status == Story.Status.SUBMITTED


def test_ive_experienced_this_too_without_a_page_load(
    trust: Trust,
    member: User,
    outsider: User,
    story_moderator: tuple[User, str],
    page: Page,
    log_in_by_cookie: LogInByCookie,
) -> None:
    moderator, _ = story_moderator
    story = services.tell_story(
        member,
        services=[trust.ward],
        title=TITLE,
        what_happened="We were sent away at eight.",
        author_role=Story.AuthorRole.PATIENT,
    )
    services.publish_story(moderator, story=story, criticality=1)
    log_in_by_cookie(page.context, outsider)
    page.goto(story.get_absolute_url())
    page.evaluate("window.notReloaded = true")

    page.get_by_role("button", name="I've experienced this too 0").click()
    pressed = page.get_by_role("button", name="I've experienced this too 1")
    expect(pressed).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text("You said you have experienced this too.")).to_be_attached()
    assert page.evaluate("window.notReloaded") is True
    assert Echo.objects.filter(story=story, user=outsider).exists()
    assert_accessible(page)

    pressed.click()  # and taken back
    expect(
        page.get_by_role("button", name="I've experienced this too 0")
    ).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.notReloaded") is True
    assert not Echo.objects.filter(story=story).exists()
