"""The staff loop on a story: reads, replies and their moderation, changes
planned and made, "helpful" and "I've experienced this too"."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.lib.ratelimit import RateLimited
from kinwell.stories import replies
from kinwell.stories.models import (
    Echo,
    HelpfulRating,
    Organisation,
    Service,
    StaffMembership,
    StaffReply,
    Story,
    StoryRead,
    StoryService,
)
from tests import factories
from tests.helpers import count_queries

Clients = Callable[[User], Client]
TITLE = "Canary title of the story"
TEXT = "Canary text of what happened on the ward"


# Data -------------------------------------------------------------------------------


def make_organisation(name: str) -> Organisation:
    return Organisation.objects.create(name=name, slug=name.lower().replace(" ", "-"))


def make_service(
    organisation: Organisation, name: str, parent: Service | None = None
) -> Service:
    kind = Service.Kind.SITE if parent is None else Service.Kind.SERVICE
    service = Service.objects.create(
        organisation=organisation, parent=parent, name=name, kind=kind, path="/"
    )
    service.path = f"{parent.path if parent else '/'}{service.pk}/"
    service.save(update_fields=["path"])
    return service


def make_staff(
    organisation: Organisation,
    role: str = StaffMembership.Role.RESPONDER,
    job_title: str = "Ward manager",
    *,
    user: User | None = None,
) -> User:
    user = user or factories.make_user(f"{job_title} person")
    factories.give_totp(user)
    StaffMembership.objects.create(
        organisation=organisation, user=user, role=role, job_title=job_title
    )
    return user


def make_story(
    author: User,
    services: list[Service],
    *,
    status: str = Story.Status.PUBLISHED,
    criticality: int | None = 3,
    **fields: Any,
) -> Story:
    published = status == Story.Status.PUBLISHED
    story = Story.objects.create(
        author=author,
        author_role=Story.AuthorRole.PATIENT,
        pseudonym="Quiet Heron",
        title=fields.pop("title", TITLE),
        what_happened=TEXT,
        body_html=f"<p>{TEXT}</p>",
        status=status,
        criticality=criticality,
        published_at=timezone.now() if published else None,
        **fields,
    )
    for service in services:
        StoryService.objects.create(story=story, service=service)
    return story


def make_moderator() -> User:
    user = factories.make_user("Stella Story-Moderator", is_story_moderator=True)
    factories.give_totp(user)
    return user


def fresh(user: User) -> User:
    """The user as a new request sees them (no cached staff roles)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def north(db: None) -> Organisation:
    return make_organisation("North Trust")


@pytest.fixture
def ward(north: Organisation) -> Service:
    site = make_service(north, "General Hospital")
    return make_service(north, "Ward 7", site)


@pytest.fixture
def responder(north: Organisation) -> User:
    return make_staff(north, job_title="Ward manager")


@pytest.fixture
def story(member: User, ward: Service) -> Story:
    return make_story(member, [ward])


def story_url(story: Story, tail: str = "") -> str:
    return f"/stories/{story.pk}/{tail}"


def write_reply(actor: User, story: Story, **fields: Any) -> StaffReply:
    return replies.reply_to_story(
        fresh(actor), story=story, body=fields.pop("body", "Thank you."), **fields
    )


# Reads ------------------------------------------------------------------------------


def test_staff_read_is_counted_once(story: Story, responder: User) -> None:
    replies.record_read(fresh(responder), story)
    replies.record_read(fresh(responder), story)
    read = StoryRead.objects.get(story=story)
    assert read.user == responder
    assert read.job_title == "Ward manager"


def test_staff_read_through_the_story_page(
    story: Story, responder: User, client_for: Clients
) -> None:
    client = client_for(responder)
    assert client.get(story_url(story)).status_code == 200
    assert client.get(story_url(story)).status_code == 200
    assert StoryRead.objects.filter(story=story).count() == 1


def test_members_reads_are_never_recorded(
    story: Story,
    member: User,
    outsider: User,
    client_for: Clients,
    visitor_client: Client,
) -> None:
    other = make_staff(make_organisation("Elsewhere Practice"))
    for person in (member, outsider, make_moderator(), other):
        replies.record_read(fresh(person), story)
        client_for(person).get(story_url(story))
    visitor_client.get(story_url(story))
    assert not StoryRead.objects.exists()


def test_reads_of_unpublished_stories_are_not_recorded(
    member: User, ward: Service, responder: User
) -> None:
    waiting = make_story(member, [ward], status=Story.Status.SUBMITTED)
    replies.record_read(fresh(responder), waiting)
    assert not StoryRead.objects.exists()


def test_an_earlier_read_costs_one_query_and_a_member_none(
    story: Story, responder: User, member: User
) -> None:
    staff = fresh(responder)
    replies.record_read(staff, story)
    assert count_queries(lambda: replies.record_read(staff, story)) == 1
    reader = fresh(member)
    replies.record_read(reader, story)
    assert count_queries(lambda: replies.record_read(reader, story)) == 0


def test_read_summary_counts_staff_and_organisations(
    member: User, north: Organisation, ward: Service, responder: User
) -> None:
    south = make_organisation("South Practice")
    surgery = make_service(south, "Surgery")
    story = make_story(member, [ward, surgery])
    nurse = make_staff(north, StaffMembership.Role.READER, "Staff nurse")
    gp = make_staff(south, StaffMembership.Role.READER, "GP partner")
    for person in (responder, nurse, gp, nurse):
        replies.record_read(fresh(person), story)
    summary = replies.read_summary(story)
    assert (summary.staff, summary.organisations, summary.job_titles) == (3, 2, [])
    story.show_reader_titles = True
    story.save(update_fields=["show_reader_titles"])
    summary = replies.read_summary(story)
    assert summary.job_titles == ["GP partner", "Staff nurse", "Ward manager"]


def test_the_story_page_says_who_read_it(
    member: User, ward: Service, responder: User, visitor_client: Client
) -> None:
    story = make_story(member, [ward], show_reader_titles=True)
    replies.record_read(fresh(responder), story)
    page = visitor_client.get(story_url(story)).content.decode()
    assert "Read by 1 staff at 1 organisation: Ward manager" in page


def test_criticality_shows_to_staff_and_moderators_only(
    story: Story, responder: User, member: User, client_for: Clients
) -> None:
    meaning = "moderately critical"
    assert meaning in client_for(responder).get(story_url(story)).content.decode()
    assert (
        meaning in client_for(make_moderator()).get(story_url(story)).content.decode()
    )
    assert meaning not in client_for(member).get(story_url(story)).content.decode()


def test_without_two_factor_neither_staff_nor_moderators_see_criticality_or_drafts(
    north: Organisation, ward: Service, member: User, client_for: Clients
) -> None:
    # A password alone must not open what their powers protect.
    staff = factories.make_user("Una Unsecured")
    StaffMembership.objects.create(
        organisation=north,
        user=staff,
        role=StaffMembership.Role.READER,
        job_title="Matron",
    )
    moderator = factories.make_user("Mo Unsecured", is_story_moderator=True)
    published = make_story(member, [ward])
    draft = make_story(member, [ward], status=Story.Status.SUBMITTED)

    for person in (staff, moderator):
        page = client_for(person).get(story_url(published)).content.decode()
        assert "moderately critical" not in page
        assert client_for(person).get(story_url(draft)).status_code == 404


# Replies ---------------------------------------------------------------------------


def test_replies_wait_until_the_responder_is_trusted(
    story: Story, responder: User, settings: Any
) -> None:
    settings.KINWELL_STORY_REPLY_TRUST = 2
    moderator = make_moderator()
    for _ in range(2):
        waiting = write_reply(responder, story)
        assert waiting.status == StaffReply.Status.PENDING
        replies.publish_reply(moderator, reply=waiting)
    trusted = write_reply(responder, story)
    assert trusted.status == StaffReply.Status.PUBLISHED
    assert trusted.published_at is not None


def test_a_reply_through_the_page_waits_and_shows_to_its_author(
    story: Story,
    responder: User,
    member: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    moderator = make_moderator()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(responder).post(
            story_url(story, "replies/"), {"body": "We are **sorry**."}
        )
    reply = StaffReply.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#reply-{reply.pk}")
    assert reply.status == StaffReply.Status.PENDING
    assert reply.body_html.strip() == "<p>We are <strong>sorry</strong>.</p>"
    assert (
        "Waiting for a moderator"
        in client_for(responder).get(story_url(story)).content.decode()
    )
    assert "We are" not in client_for(member).get(story_url(story)).content.decode()
    assert mail.outbox[-1].to == [moderator.email]
    assert TITLE not in mail.outbox[-1].body


def test_only_responders_of_the_story_s_organisations_may_reply(
    story: Story,
    north: Organisation,
    member: User,
    outsider: User,
    client_for: Clients,
    visitor_client: Client,
) -> None:
    reader = make_staff(north, StaffMembership.Role.READER, "Receptionist")
    stranger = make_staff(make_organisation("Elsewhere Practice"))
    for person in (reader, stranger, member, outsider, make_moderator()):
        response = client_for(person).post(story_url(story, "replies/"), {"body": "Hi"})
        assert response.status_code == 403
    response = visitor_client.post(story_url(story, "replies/"), {"body": "Hi"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not StaffReply.objects.exists()


def test_a_responder_without_two_factor_is_sent_to_set_it_up(
    story: Story, north: Organisation, client_for: Clients
) -> None:
    user = factories.make_user("No Totp")
    StaffMembership.objects.create(
        organisation=north, user=user, role="responder", job_title="Matron"
    )
    response = client_for(user).post(story_url(story, "replies/"), {"body": "Hi"})
    assert response.status_code == 302
    assert "totp" in response["Location"]
    assert not StaffReply.objects.exists()


def test_no_reply_to_an_unpublished_story(
    member: User, ward: Service, responder: User
) -> None:
    waiting = make_story(member, [ward], status=Story.Status.SUBMITTED)
    with pytest.raises(PermissionDenied):
        write_reply(responder, waiting)


def test_a_change_needs_a_description(
    story: Story, responder: User, client_for: Clients
) -> None:
    with pytest.raises(ValidationError, match="what the change is"):
        write_reply(responder, story, change="planned")
    response = client_for(responder).post(
        story_url(story, "replies/"), {"body": "We will.", "change": "planned"}
    )
    assert response.status_code == 200
    assert "Say what the change is" in response.content.decode()
    assert not StaffReply.objects.exists()


def test_a_moderator_confirms_the_change_and_the_storyteller_hears(
    story: Story,
    responder: User,
    member: User,
    visitor_client: Client,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    moderator = make_moderator()
    planned = write_reply(
        responder, story, change="planned", change_description="New signage"
    )
    page = visitor_client.get(story_url(story)).content.decode()
    assert "New signage" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(moderator).post(
            f"/stories/replies/{planned.pk}/moderate/",
            {"action": "publish", "confirm_change": "on"},
        )
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.is_public
    assert planned.change_confirmed
    page = visitor_client.get(story_url(story)).content.decode()
    assert "Change planned" in page
    assert "New signage" in page
    told = mail.outbox[-1]
    assert told.to == [member.email]
    assert f"#{story.pk}" in f"{told.subject} {told.body}"
    assert "change planned" in told.body
    for secret in (TITLE, TEXT, "New signage", "moderately"):
        assert secret not in f"{told.subject} {told.body}"


def test_change_made_follows_change_planned(
    story: Story, responder: User, settings: Any
) -> None:
    settings.KINWELL_STORY_REPLY_TRUST = 0
    moderator = make_moderator()
    planned = write_reply(responder, story, change="planned", change_description="A")
    made = write_reply(responder, story, change="made", change_description="Done")
    assert planned.is_public
    assert not planned.change_confirmed
    for reply in (planned, made):
        replies.confirm_change(moderator, reply=reply)
    kinds = StaffReply.objects.filter(change_confirmed_at__isnull=False)
    assert sorted(kinds.values_list("change", flat=True)) == ["made", "planned"]


def test_confirming_needs_a_moderator_and_a_change(
    story: Story, responder: User, settings: Any, client_for: Clients
) -> None:
    settings.KINWELL_STORY_REPLY_TRUST = 0
    plain = write_reply(responder, story)
    with pytest.raises(ValidationError, match="no change"):
        replies.confirm_change(make_moderator(), reply=plain)
    with pytest.raises(PermissionDenied):
        replies.confirm_change(fresh(responder), reply=plain)
    response = client_for(responder).post(
        f"/stories/replies/{plain.pk}/moderate/", {"action": "confirm"}
    )
    assert response.status_code == 404


def test_no_moderator_decides_on_their_own_reply_or_a_reply_to_their_story(
    north: Organisation, ward: Service, member: User, settings: Any
) -> None:
    settings.KINWELL_STORY_REPLY_TRUST = 1
    both = make_staff(north, job_title="Head of patient experience")
    both.is_story_moderator = True
    both.save(update_fields=["is_story_moderator"])
    own_reply = write_reply(
        both, make_story(member, [ward]), change="made", change_description="Signs"
    )
    to_own_story = write_reply(make_staff(north), make_story(both, [ward]))

    for reply in (own_reply, to_own_story):
        with pytest.raises(PermissionDenied, match="Another moderator"):
            replies.publish_reply(fresh(both), reply=reply, confirm_change=True)
        with pytest.raises(PermissionDenied, match="Another moderator"):
            replies.reject_reply(fresh(both), reply=reply)
    own_reply.refresh_from_db()
    assert own_reply.status == StaffReply.Status.PENDING
    assert own_reply.change_confirmed_at is None


def test_a_refused_reply_stays_with_its_author(
    story: Story,
    responder: User,
    member: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    waiting = write_reply(responder, story, body="Not good enough")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(make_moderator()).post(
            f"/stories/replies/{waiting.pk}/moderate/",
            {"action": "reject", "note": "Please answer the storyteller"},
        )
    waiting.refresh_from_db()
    assert waiting.status == StaffReply.Status.REJECTED
    assert mail.outbox[-1].to == [responder.email]
    mine = client_for(responder).get(story_url(story)).content.decode()
    assert "Not published" in mine
    assert "Please answer the storyteller" in mine
    assert (
        "Not good enough"
        not in client_for(member).get(story_url(story)).content.decode()
    )


def test_a_published_reply_tells_the_storyteller_without_the_story(
    story: Story,
    responder: User,
    member: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.KINWELL_STORY_REPLY_TRUST = 0
    with django_capture_on_commit_callbacks(execute=True):
        write_reply(responder, story, body="Canary reply text")
    told = mail.outbox[-1]
    assert told.to == [member.email]
    assert f"/stories/{story.pk}/" in told.body
    for secret in (TITLE, TEXT, "Canary reply text", "criticality"):
        assert secret not in f"{told.subject} {told.body}"


def test_replies_are_rate_limited(
    story: Story, responder: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replies, "REPLIES_PER_TEN_MINUTES", 1)
    write_reply(responder, story)
    with pytest.raises(RateLimited):
        write_reply(responder, story)


def test_the_reply_queue_lists_waiting_replies_and_changes(
    story: Story, responder: User, settings: Any
) -> None:
    waiting = write_reply(responder, story, body="First")
    settings.KINWELL_STORY_REPLY_TRUST = 0
    change = write_reply(responder, story, change="made", change_description="Done")
    queue = replies.reply_queue()
    assert queue["waiting_replies"] == [waiting]
    assert queue["waiting_changes"] == [change]


# Helpful ------------------------------------------------------------------------------


@pytest.fixture
def published_reply(story: Story, responder: User, settings: Any) -> StaffReply:
    settings.KINWELL_STORY_REPLY_TRUST = 0
    return write_reply(responder, story, body="We have changed the rota.")


def test_helpful_toggles(
    published_reply: StaffReply, outsider: User, client_for: Clients
) -> None:
    client = client_for(outsider)
    url = f"/stories/replies/{published_reply.pk}/helpful/"
    assert client.post(url).status_code == 302
    assert HelpfulRating.objects.filter(reply=published_reply).count() == 1
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="helpful-{published_reply.pk}"' in response.content.decode()
    assert not HelpfulRating.objects.exists()


def test_the_storyteller_s_rating_is_shown(
    published_reply: StaffReply, member: User, visitor_client: Client
) -> None:
    assert replies.toggle_helpful(fresh(member), reply=published_reply)
    page = visitor_client.get(story_url(published_reply.story)).content.decode()
    assert "The storyteller found this helpful." in page
    assert "<p>We have changed the rota.</p>" in page


def test_helpful_refusals(
    story: Story,
    published_reply: StaffReply,
    responder: User,
    outsider: User,
    client_for: Clients,
    visitor_client: Client,
) -> None:
    with pytest.raises(ValidationError, match="your own reply"):
        replies.toggle_helpful(fresh(responder), reply=published_reply)
    waiting = StaffReply.objects.create(
        story=story,
        organisation=published_reply.organisation,
        author=responder,
        job_title="Ward manager",
        body="Waiting",
        body_html="<p>Waiting</p>",
    )
    response = client_for(outsider).post(f"/stories/replies/{waiting.pk}/helpful/")
    assert response.status_code == 404
    response = visitor_client.post(f"/stories/replies/{published_reply.pk}/helpful/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert (
        client_for(outsider)
        .get(f"/stories/replies/{published_reply.pk}/helpful/")
        .status_code
        == 405
    )
    assert not HelpfulRating.objects.exists()


# I've experienced this too --------------------------------------------------------


def test_echo_toggles_and_counts(
    story: Story, outsider: User, client_for: Clients, visitor_client: Client
) -> None:
    client = client_for(outsider)
    assert client.post(story_url(story, "echo/")).status_code == 302
    assert Echo.objects.filter(story=story, user=outsider).exists()
    page = visitor_client.get(story_url(story)).content.decode()
    assert "1 person has experienced this too" in page
    response = client.post(story_url(story, "echo/"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'aria-pressed="false"' in response.content.decode()
    assert not Echo.objects.exists()


def test_the_author_cannot_echo_their_own_story(
    story: Story, member: User, client_for: Clients
) -> None:
    with pytest.raises(ValidationError):
        replies.toggle_echo(fresh(member), story=story)
    response = client_for(member).post(story_url(story, "echo/"), follow=True)
    assert "This is your own story." in response.content.decode()
    assert not Echo.objects.exists()


def test_no_echo_of_an_unpublished_story(
    member: User, ward: Service, outsider: User, client_for: Clients
) -> None:
    waiting = make_story(member, [ward], status=Story.Status.SUBMITTED)
    assert client_for(outsider).post(story_url(waiting, "echo/")).status_code == 404
    assert client_for(member).post(story_url(waiting, "echo/")).status_code == 404
    with pytest.raises(PermissionDenied):
        replies.toggle_echo(fresh(outsider), story=waiting)
    assert not Echo.objects.exists()


def test_the_story_page_context_is_bounded(
    story: Story, responder: User, outsider: User, settings: Any
) -> None:
    settings.KINWELL_STORY_REPLY_TRUST = 0

    def add_replies(count: int) -> None:
        for number in range(count):
            reply = write_reply(responder, story, body=f"Reply {number}")
            HelpfulRating.objects.create(reply=reply, user=outsider)

    add_replies(2)
    few = count_queries(lambda: replies.story_context(fresh(outsider), story))
    add_replies(8)
    many = count_queries(lambda: replies.story_context(fresh(outsider), story))
    assert few == many <= 8
