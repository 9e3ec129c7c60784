"""The care stories demo: two organisations with their trees and staff, a
story moderator, and fifteen stories across the lifecycle, made through the
services; loading twice changes nothing."""

from collections import Counter

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from kinwell.accounts.models import User
from kinwell.stories import demo
from kinwell.stories.models import (
    Echo,
    HelpfulRating,
    Organisation,
    Redaction,
    Service,
    StaffMembership,
    StaffReply,
    Story,
    StoryDecision,
    StoryRead,
)
from kinwell.tracking import demo as tracking_demo
from kinwell.web.demo import DEMO_LOGINS

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded() -> None:
    call_command("load_demo")


def _rows() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            User,
            Organisation,
            Service,
            StaffMembership,
            Story,
            StoryDecision,
            StaffReply,
            StoryRead,
            Echo,
            HelpfulRating,
            Redaction,
        )
    )


@pytest.mark.usefixtures("loaded")
def test_fifteen_stories_across_the_lifecycle() -> None:
    states = Counter(Story.objects.values_list("status", flat=True))
    assert states == {
        Story.Status.PUBLISHED: 10,
        Story.Status.SUBMITTED: 2,
        Story.Status.RETURNED: 1,
        Story.Status.REJECTED: 1,
        Story.Status.WITHDRAWN: 1,
    }
    waiting = Redaction.objects.get(status=Redaction.Status.PROPOSED)
    assert waiting.story.status == Story.Status.SUBMITTED
    assert Story.objects.get(status=Story.Status.RETURNED).moderator_note
    assert not Story.objects.published().filter(criticality=None).exists()


@pytest.mark.usefixtures("loaded")
def test_published_stories_have_replies_changes_reads_and_echoes() -> None:
    published = Story.objects.published()
    replied = published.filter(replies__status=StaffReply.Status.PUBLISHED)
    assert replied.distinct().count() == 8
    assert published.exclude(replies__isnull=False).count() == 1
    pending = StaffReply.objects.get(status=StaffReply.Status.PENDING)
    assert pending.story.is_public
    confirmed = StaffReply.objects.exclude(change_confirmed_at=None)
    assert set(confirmed.values_list("change", flat=True)) == {"planned", "made"}
    assert StoryRead.objects.count() >= 20
    assert Echo.objects.count() >= 10
    assert HelpfulRating.objects.count() >= 10
    # Backdated, so the statistics have months and response times to show.
    first = StaffReply.objects.filter(status=StaffReply.Status.PUBLISHED).first()
    assert first is not None
    assert first.published_at is not None
    assert first.story.published_at is not None
    assert first.published_at > first.story.published_at


@pytest.mark.usefixtures("loaded")
def test_each_organisation_has_a_tree_and_staff_of_each_role() -> None:
    for organisation in Organisation.objects.all():
        roles = set(organisation.staff.values_list("role", flat=True))
        assert roles == set(StaffMembership.Role.values)
        kinds = set(organisation.services.values_list("kind", flat=True))
        assert kinds >= {Service.Kind.SITE, Service.Kind.SERVICE}
        for service in organisation.services.select_related("parent"):
            parent = service.parent.path if service.parent else "/"
            assert service.path == f"{parent}{service.pk}/"


@pytest.mark.usefixtures("loaded")
def test_moderators_responders_and_admins_can_sign_in_with_totp() -> None:
    logins = dict(DEMO_LOGINS)
    moderator = User.objects.get(email=demo.MODERATOR)
    assert moderator.is_story_moderator
    for person in demo.STAFF:
        assert person.email in logins
        has_totp = Authenticator.objects.filter(
            user__email=person.email, type="totp"
        ).exists()
        assert has_totp == (person.role != StaffMembership.Role.READER)
        if has_totp:
            assert person.totp_secret in logins[person.email]
    assert Authenticator.objects.filter(user=moderator, type="totp").exists()


@pytest.mark.usefixtures("loaded")
def test_a_visitor_reads_published_stories_only() -> None:
    client = Client()
    for story in Story.objects.all():
        response = client.get(reverse("stories:story", args=[story.pk]))
        assert response.status_code == (200 if story.is_public else 404)


def test_loading_twice_changes_nothing(loaded: None) -> None:
    before = _rows()
    call_command("load_demo")
    assert _rows() == before
    assert before[0] == len(DEMO_LOGINS) + tracking_demo.MEMBERS
