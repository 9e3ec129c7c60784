"""Moderating care stories: the queue, publishing with a criticality,
returning with a note, not publishing, proposed changes the author accepts
or declines, what the author is told, and who may do any of it."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from kinwell.accounts.models import AuditEvent, User
from kinwell.stories import services
from kinwell.stories.forms.stories import PATH_SEPARATOR as PATH
from kinwell.stories.models import (
    AlertDelivery,
    Organisation,
    Reason,
    Redaction,
    Service,
    StaffAlert,
    StaffMembership,
    Story,
    StoryDecision,
)
from tests import factories
from tests.helpers import assert_bounded_queries
from tests.test_stories import (
    TEXT,
    TITLE,
    make_moderator,
    make_organisation,
    make_service,
    tell,
)

Clients = Callable[[User], Client]


def moderate_url(story: Story) -> str:
    return reverse("stories:moderate", args=[story.pk])


@pytest.fixture
def north(db: None) -> Organisation:
    return make_organisation("North Trust")


@pytest.fixture
def ward(north: Organisation) -> Service:
    return make_service(north, "Ward 7", make_service(north, "General Hospital"))


@pytest.fixture
def story_moderator(db: None) -> User:
    return make_moderator()


@pytest.fixture
def story(member: User, ward: Service) -> Story:
    return tell(member, [ward], what_happened="Dr Canary was rude at 3am.")


def assert_told_without_the_story(story: Story, words: str) -> None:
    """One email to the author, with the story's id and link, saying
    `words`, and neither its title nor its text."""
    (sent,) = mail.outbox
    assert sent.to == [story.author.email]
    assert f"Your story #{story.pk} {words}" in sent.subject
    assert f"/stories/{story.pk}/" in sent.body
    for secret in (TITLE, "Dr Canary", "rude", story.moderator_note or TITLE):
        assert secret not in f"{sent.subject}\n{sent.body}"


# Who may moderate ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "outsider", "moderator", "service_staff"])
def test_only_story_moderators_see_the_queue_and_the_story_tools(
    who: str, story: Story, client_for: Clients, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("stories:moderation")).status_code == 404
    assert client.get(moderate_url(story)).status_code == 404
    posted = client.post(moderate_url(story), {"action": "publish", "criticality": 1})
    assert posted.status_code == 404
    story.refresh_from_db()
    assert story.status == Story.Status.SUBMITTED


def test_story_moderators_need_two_factor_authentication(
    story: Story, client_for: Clients
) -> None:
    without = factories.make_user("Moderator without 2FA", is_story_moderator=True)
    response = client_for(without).get(reverse("stories:moderation"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_a_moderator_does_not_moderate_their_own_story(
    story_moderator: User, ward: Service, client_for: Clients
) -> None:
    own = tell(story_moderator, [ward])
    with pytest.raises(PermissionDenied):
        services.publish_story(story_moderator, story=own, criticality=0)
    response = client_for(story_moderator).post(
        moderate_url(own), {"action": "publish", "criticality": "0"}
    )
    assert response.status_code == 200
    assert "Another moderator" in response.content.decode()
    own.refresh_from_db()
    assert own.status == Story.Status.SUBMITTED


# The queue ----------------------------------------------------------------------------


def test_the_queue_lists_waiting_stories_oldest_first_without_account_names(
    member: User,
    carer: User,
    ward: Service,
    story_moderator: User,
    client_for: Clients,
) -> None:
    first = tell(member, [ward], title="First told")
    second = tell(carer, [ward], title="Second told", author_role="carer")
    named = tell(carer, [ward], title="Named one", show_name=True)
    services.reject_story(story_moderator, story=named, reason=Reason.DUPLICATE)
    html = (
        client_for(story_moderator).get(reverse("stories:moderation")).content.decode()
    )
    assert html.index("First told") < html.index("Second told")
    assert "Named one" not in html
    assert f"North Trust {PATH} General Hospital {PATH} Ward 7" in html
    assert f"{first.pseudonym}, patient" in html
    assert f"{second.pseudonym}, carer" in html
    assert member.display_name not in html
    assert carer.display_name not in html
    assert first.pseudonym in html
    assert second.pseudonym in html
    assert "Staff replies waiting" in html  # the reply queue is on the page


def test_the_queue_takes_a_bounded_number_of_queries(
    member: User, ward: Service, story_moderator: User, client_for: Clients
) -> None:
    client = client_for(story_moderator)
    authors = [factories.make_user(f"Author {n}") for n in range(4)]

    def add(count: int) -> None:
        for n in range(count):
            tell(authors[n % 4], [ward])

    assert_bounded_queries(
        lambda: client.get(reverse("stories:moderation")), add, max_queries=20, rows=4
    )


# Publishing ---------------------------------------------------------------------------


def test_publishing_needs_a_criticality_and_tells_the_author_and_staff(
    story: Story,
    north: Organisation,
    story_moderator: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    staff = factories.make_user("Ward manager")
    membership = StaffMembership.objects.create(
        organisation=north, user=staff, role="reader", job_title="Ward manager"
    )
    StaffAlert.objects.create(staff=membership, min_criticality=2)
    client = client_for(story_moderator)
    page = client.get(moderate_url(story)).content.decode()
    assert "5: lasting harm" in page
    refused = client.post(moderate_url(story), {"action": "publish"})
    assert refused.status_code == 200
    assert "criticality" in refused.context["forms"]["publish"].errors
    with pytest.raises(ValidationError):
        services.publish_story(story_moderator, story=story)
    story.refresh_from_db()
    assert story.status == Story.Status.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            moderate_url(story), {"action": "publish", "criticality": "3"}
        )
    assert done.status_code == 302
    assert done["Location"] == story.get_absolute_url()
    story.refresh_from_db()
    assert (story.status, story.criticality) == (Story.Status.PUBLISHED, 3)
    assert story.published_at is not None
    decision = story.decisions.get(action=StoryDecision.Action.PUBLISHED)
    assert decision.actor == story_moderator
    assert AuditEvent.objects.filter(action="story.publish", object_id=str(story.pk))
    assert AlertDelivery.objects.filter(story=story, staff=membership).exists()
    to_author = [m for m in mail.outbox if m.to == [story.author.email]]
    mail.outbox[:] = to_author
    assert_told_without_the_story(story, "is published")


def test_a_criticality_set_before_is_enough_to_publish(
    story: Story, story_moderator: User
) -> None:
    services.set_criticality(story_moderator, story=story, criticality=0)
    published = services.publish_story(story_moderator, story=story)
    assert published.criticality == 0
    for wrong in (-1, 6, True):
        with pytest.raises(ValidationError):
            services.set_criticality(story_moderator, story=story, criticality=wrong)


def test_a_story_with_a_change_waiting_for_its_author_is_not_published(
    story: Story, story_moderator: User, client_for: Clients
) -> None:
    services.propose_redaction(
        story_moderator,
        story=story,
        field="what_happened",
        original="Dr Canary",
        replacement="A doctor",
    )
    response = client_for(story_moderator).post(
        moderate_url(story), {"action": "publish", "criticality": "2"}
    )
    assert response.status_code == 200
    assert "waiting for the author" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Story.Status.SUBMITTED
    assert not story.decisions.filter(action=StoryDecision.Action.PUBLISHED).exists()


def test_only_a_waiting_story_is_published(story: Story, story_moderator: User) -> None:
    services.return_story(
        story_moderator, story=story, reason=Reason.UNCLEAR, note="Which ward?"
    )
    with pytest.raises(ValidationError):
        services.publish_story(story_moderator, story=story, criticality=1)


# Returning and not publishing ---------------------------------------------------------


def test_returning_a_story_needs_a_reason_and_a_note(
    story: Story,
    story_moderator: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(story_moderator)
    refused = client.post(
        moderate_url(story), {"action": "return", "reason": "unclear"}
    )
    assert "note" in refused.context["forms"]["return"].errors
    story.refresh_from_db()
    assert story.status == Story.Status.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            moderate_url(story),
            {
                "action": "return",
                "reason": "names-staff",
                "note": "Canary note: no names",
            },
        )
    story.refresh_from_db()
    assert story.status == Story.Status.RETURNED
    assert story.moderator_note == "Canary note: no names"
    decision = story.decisions.get(action=StoryDecision.Action.RETURNED)
    assert decision.reason == Reason.NAMES_STAFF
    assert_told_without_the_story(story, "was returned")
    author = client_for(story.author)
    assert (
        "Canary note: no names" in author.get(story.get_absolute_url()).content.decode()
    )


def test_not_publishing_a_story_keeps_it_off_the_site(
    story: Story,
    story_moderator: User,
    client_for: Clients,
    visitor_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(story_moderator).post(
            moderate_url(story),
            {"action": "reject", "reason": "not-care", "note": "Not about care."},
        )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Story.Status.REJECTED
    assert story.decisions.get(action="rejected").reason == Reason.NOT_CARE
    assert visitor_client.get(story.get_absolute_url()).status_code == 404
    assert_told_without_the_story(story, "was not published")
    with pytest.raises(ValidationError):
        services.reject_story(story_moderator, story=story, reason=Reason.OTHER)


def test_the_authors_own_reason_is_not_a_moderators(
    story: Story, story_moderator: User
) -> None:
    with pytest.raises(ValidationError):
        services.reject_story(story_moderator, story=story, reason=Reason.AUTHOR_CHOICE)
    with pytest.raises(ValidationError):
        services.reject_story(story_moderator, story=story, reason="because")


def test_every_step_is_a_decision_for_the_transparency_page(
    member: User, ward: Service, story_moderator: User
) -> None:
    story = tell(member, [ward])
    services.return_story(story_moderator, story=story, reason=Reason.UNCLEAR, note="?")
    services.edit_story(
        member,
        story=story,
        services=[ward],
        title="Clearer",
        what_happened="Clearer now.",
        author_role="patient",
    )
    services.publish_story(story_moderator, story=story, criticality=1)
    services.withdraw_story(member, story=story)
    rows = list(story.decisions.order_by("pk").values_list("action", "reason"))
    assert rows == [
        ("submitted", ""),
        ("returned", "unclear"),
        ("submitted", ""),
        ("published", ""),
        ("withdrawn", "author-choice"),
    ]


# Proposed changes ---------------------------------------------------------------------


def test_a_change_is_proposed_and_the_author_accepts_it(
    story: Story,
    story_moderator: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(story_moderator)
    missing = client.post(
        moderate_url(story),
        {
            "action": "redact",
            "field": "what_happened",
            "original": "Dr Nobody",
            "replacement": "a doctor",
        },
    )
    assert "original" in missing.context["forms"]["redact"].errors
    assert not Redaction.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            moderate_url(story),
            {
                "action": "redact",
                "field": "what_happened",
                "original": "Dr Canary",
                "replacement": "A doctor",
                "note": "Staff are named only in positive stories.",
            },
        )
    redaction = Redaction.objects.get()
    assert_told_without_the_story(story, "has a change proposed")
    author = client_for(story.author)
    url = reverse("stories:redaction", args=[story.pk, redaction.pk])
    assert url in author.get(story.get_absolute_url()).content.decode()
    response = author.post(url, {"answer": "accept", "next": story.get_absolute_url()})
    assert response["Location"] == story.get_absolute_url()
    story.refresh_from_db()
    redaction.refresh_from_db()
    assert redaction.status == Redaction.Status.ACCEPTED
    assert story.what_happened == "A doctor was rude at 3am."
    assert "Dr Canary" not in story.body_html
    assert "A doctor was rude" in story.body_html
    with pytest.raises(ValidationError):
        services.decline_redaction(story.author, redaction=redaction)
    published = services.publish_story(story_moderator, story=story, criticality=2)
    assert published.is_public


def test_the_author_declines_a_change_and_the_words_stay(
    story: Story, story_moderator: User, client_for: Clients
) -> None:
    redaction = services.propose_redaction(
        story_moderator,
        story=story,
        field="what_happened",
        original="at 3am",
        replacement="at night",
    )
    url = reverse("stories:redaction", args=[story.pk, redaction.pk])
    client_for(story.author).post(url, {"answer": "decline"})
    redaction.refresh_from_db()
    story.refresh_from_db()
    assert redaction.status == Redaction.Status.DECLINED
    assert "at 3am" in story.what_happened


def test_only_the_author_answers_a_proposed_change(
    story: Story, story_moderator: User, outsider: User, client_for: Clients
) -> None:
    redaction = services.propose_redaction(
        story_moderator,
        story=story,
        field="title",
        original="Canary",
        replacement="A",
    )
    url = reverse("stories:redaction", args=[story.pk, redaction.pk])
    for other in (outsider, story_moderator):
        assert client_for(other).post(url, {"answer": "accept"}).status_code == 404
        with pytest.raises(PermissionDenied):
            services.accept_redaction(other, redaction=redaction)
    redaction.refresh_from_db()
    assert redaction.status == Redaction.Status.PROPOSED


def test_editing_away_the_words_of_a_change_lets_the_story_be_published(
    story: Story, story_moderator: User, ward: Service
) -> None:
    services.propose_redaction(
        story_moderator,
        story=story,
        field="what_happened",
        original="Dr Canary",
        replacement="A doctor",
    )
    services.edit_story(
        story.author,
        story=story,
        services=[ward],
        title=TITLE,
        what_happened="Someone was rude.",
        author_role="patient",
    )
    assert Redaction.objects.get().status == Redaction.Status.DECLINED
    assert services.publish_story(story_moderator, story=story, criticality=2).is_public


def test_the_moderate_page_shows_the_story_and_changes_nothing_on_get(
    story: Story, story_moderator: User, client_for: Clients
) -> None:
    response = client_for(story_moderator).get(moderate_url(story))
    html = response.content.decode()
    assert response.status_code == 200
    assert TITLE in html
    assert "Dr Canary" in html
    assert story.author.display_name not in html
    story.refresh_from_db()
    assert story.status == Story.Status.SUBMITTED
    assert list(story.decisions.values_list("action", flat=True)) == ["submitted"]


def test_story_text_never_reaches_the_audit_records(
    story: Story, story_moderator: User
) -> None:
    services.return_story(
        story_moderator, story=story, reason=Reason.NAMES_STAFF, note="Dr Canary again"
    )
    for event in AuditEvent.objects.filter(object_type="stories.story"):
        assert "Canary" not in event.reason
        assert TEXT not in event.reason
