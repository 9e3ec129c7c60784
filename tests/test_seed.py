"""`kinwell seed`: exact counts, the same data for the same seed, long-tailed
threads numbered without gaps, search over seeded text, and a seeded site
that renders for visitors and for signed-in members."""

import hashlib
import statistics
from collections.abc import Iterable
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from kinwell.accounts.models import Persona, User
from kinwell.cli import main
from kinwell.communities.models import Community, Membership
from kinwell.discussions.models import Post, Reaction, Thread, ThreadSubscription
from kinwell.notifications.models import Notification
from kinwell.seeding.registry import EMAIL_DOMAIN, SEED_PASSWORD, SeedError, seed
from kinwell.seeding.scales import SCALES
from kinwell.stories.models import (
    HelpfulRating,
    Organisation,
    Service,
    StaffMembership,
    StaffReply,
    Story,
    StoryDecision,
    StoryRead,
    StoryService,
)

SMALL = SCALES["small"]


@pytest.fixture
def seeded(db: None) -> None:
    seed("small", seed=1, report=lambda line: None)


def _digest(rows: Iterable[Iterable[Any]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _content_digest() -> str:
    """A digest of the seeded content by natural keys, so database ids (which
    a sequence hands out) do not count."""
    return _digest(
        [
            *User.objects.order_by("email").values_list(
                "email", "display_name", "date_joined", "personas__public_id"
            ),
            *Community.objects.order_by("slug").values_list(
                "slug", "name", "visibility", "join_policy", "cluster__slug"
            ),
            *Membership.objects.order_by("community__slug", "user__email").values_list(
                "community__slug", "user__email", "role", "joined_at"
            ),
            *Thread.objects.order_by("community__slug", "created_at").values_list(
                "community__slug",
                "title",
                "author__email",
                "post_count",
                "created_at",
                "last_posted_at",
                "first_reply_at",
            ),
            *Post.objects.order_by("thread__created_at", "number").values_list(
                "thread__title",
                "number",
                "author__email",
                "status",
                "body",
                "created_at",
                "in_reply_to__number",
            ),
            *Reaction.objects.order_by(
                "post__thread__created_at", "post__number", "user__email", "kind"
            ).values_list("post__number", "user__email", "kind"),
            *Service.objects.order_by("organisation__slug", "path").values_list(
                "organisation__slug", "name", "kind", "parent__name"
            ),
            *Story.objects.order_by("created_at", "title").values_list(
                "author__email",
                "title",
                "status",
                "criticality",
                "what_happened",
                "created_at",
                "published_at",
            ),
            *StaffReply.objects.order_by("created_at", "body").values_list(
                "author__email", "status", "change", "created_at"
            ),
        ]
    )


def _seeded_digest(number: int) -> str:
    """Seeds into the empty database, takes the digest, and rolls back."""
    with transaction.atomic():
        seed("small", seed=number, report=lambda line: None)
        digest = _content_digest()
        transaction.set_rollback(True)
    return digest


@pytest.mark.usefixtures("seeded")
def test_small_scale_makes_the_exact_counts() -> None:
    assert Community.objects.count() == SMALL.communities
    assert User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count() == (
        SMALL.members
    )
    assert Post.objects.count() == SMALL.posts
    assert Persona.objects.filter(kind=Persona.Kind.PERSONAL).count() == SMALL.members
    assert Reaction.objects.count() > SMALL.posts
    assert Notification.objects.exists()
    assert Organisation.objects.count() == SMALL.organisations
    assert Story.objects.count() == SMALL.stories
    assert StaffReply.objects.exists()


@pytest.mark.usefixtures("seeded")
def test_every_community_has_an_organiser_and_moderators() -> None:
    for community in Community.objects.all():
        roles = list(community.memberships.values_list("role", flat=True))
        assert roles.count(Membership.Role.ORGANISER) == 1
        assert roles.count(Membership.Role.MODERATOR) == 2


def test_the_same_seed_makes_the_same_data_and_another_seed_other_data(
    db: None,
) -> None:
    first = _seeded_digest(1)
    assert _seeded_digest(1) == first
    assert _seeded_digest(2) != first


@pytest.mark.usefixtures("seeded")
def test_seeding_twice_is_refused() -> None:
    with pytest.raises(SeedError, match="already has communities"):
        seed("small", seed=1, report=lambda line: None)


def test_the_command_seeds_and_says_how_to_sign_in(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed", "--scale", "small", "--seed", "7"]) == 0
    output = capsys.readouterr().out
    assert f"{SMALL.posts:,}" in output
    assert SEED_PASSWORD in output
    assert Post.objects.count() == SMALL.posts


def test_the_command_refuses_a_database_with_communities(
    community: Community, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed", "--scale", "small"]) == 1
    assert "already has communities" in capsys.readouterr().err
    assert not User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").exists()


@pytest.mark.usefixtures("seeded")
def test_thread_lengths_are_long_tailed() -> None:
    lengths = sorted(Thread.objects.values_list("post_count", flat=True))
    assert statistics.median(lengths) <= 5
    assert sum(length <= 10 for length in lengths) >= 0.8 * len(lengths)
    assert lengths[-1] >= 100


@pytest.mark.usefixtures("seeded")
def test_posts_are_numbered_one_to_post_count_without_gaps() -> None:
    threads = Thread.objects.annotate(
        posts_made=Count("posts"),
        lowest=Min("posts__number"),
        highest=Max("posts__number"),
    )
    for thread in threads:
        assert (thread.lowest, thread.highest, thread.posts_made) == (
            1,
            thread.post_count,
            thread.post_count,
        )


@pytest.mark.usefixtures("seeded")
def test_threads_know_their_last_post_and_first_reply() -> None:
    published = Q(posts__status=Post.Status.PUBLISHED)
    threads = Thread.objects.annotate(
        last=Max("posts__created_at", filter=published),
        first_other=Min(
            "posts__created_at", filter=published & ~Q(posts__author=F("author"))
        ),
    )
    for thread in threads:
        assert thread.last_posted_at == thread.last
        assert thread.first_reply_at == thread.first_other


@pytest.mark.usefixtures("seeded")
def test_authors_watch_their_threads() -> None:
    watched = set(
        ThreadSubscription.objects.filter(
            level=ThreadSubscription.Level.WATCHING
        ).values_list("user_id", "thread_id")
    )
    authored = set(Post.objects.values_list("author_id", "thread_id"))
    assert authored == watched


@pytest.mark.usefixtures("seeded")
def test_search_finds_seeded_words() -> None:
    response = Client().get(reverse("search:search"), {"q": "pacing"})
    assert response.status_code == 200
    assert b"<mark>" in response.content


def _longest_public_thread() -> Thread:
    return (
        Thread.objects.filter(
            community__visibility=Community.Visibility.PUBLIC,
            audience=Thread.Audience.EVERYONE,
        )
        .select_related("community")
        .order_by("-post_count")[0]
    )


def _pages(client: Client, thread: Thread) -> list[Any]:
    slug = thread.community.slug
    return [
        client.get(reverse("discussions:threads", args=[slug])),
        client.get(reverse("discussions:thread", args=[slug, thread.pk])),
        client.get(reverse("discussions:thread", args=[slug, thread.pk]), {"page": 3}),
    ]


@pytest.mark.usefixtures("seeded")
def test_a_visitor_reads_the_seeded_site() -> None:
    thread = _longest_public_thread()
    thread_list, first_page, third_page = _pages(Client(), thread)
    assert [r.status_code for r in (thread_list, first_page, third_page)] == [200] * 3
    assert escape(thread.title) in first_page.content.decode()


@pytest.mark.usefixtures("seeded")
def test_a_seeded_member_signs_in_with_the_seed_password_and_reads() -> None:
    thread = _longest_public_thread()
    membership = Membership.objects.filter(
        community=thread.community, role=Membership.Role.MEMBER
    ).select_related("user")[0]
    client = Client()
    response = client.post(
        reverse("account_login"),
        {"login": membership.user.email, "password": SEED_PASSWORD},
    )
    assert response.status_code == 302
    for response in _pages(client, thread):
        assert response.status_code == 200
        assert response.context["user"] == membership.user


# Care stories -------------------------------------------------------------------


@pytest.mark.usefixtures("seeded")
def test_service_paths_follow_the_tree() -> None:
    services = Service.objects.select_related("parent")
    assert services.count() >= SMALL.organisations * SMALL.services
    for service in services:
        parent = service.parent.path if service.parent else "/"
        assert service.path == f"{parent}{service.pk}/"
        if service.parent:
            assert service.parent.organisation_id == service.organisation_id


@pytest.mark.usefixtures("seeded")
def test_most_stories_are_published_with_a_criticality_and_cooked_text() -> None:
    published = Story.objects.published()
    assert 0.75 <= published.count() / SMALL.stories <= 0.95
    assert set(Story.objects.values_list("status", flat=True)) == set(
        Story.Status.values
    )
    assert not published.filter(criticality=None).exists()
    assert not published.filter(published_at=None).exists()
    assert not Story.objects.filter(body_html="").exists()
    assert not Story.objects.filter(storyservice__isnull=True).exists()
    replied = published.filter(replies__isnull=False).distinct().count()
    assert 0.45 <= replied / published.count() <= 0.75


def _actions(story_id: int) -> list[str]:
    return list(
        StoryDecision.objects.filter(story_id=story_id)
        .order_by("created_at", "pk")
        .values_list("action", flat=True)
    )


@pytest.mark.usefixtures("seeded")
def test_decisions_follow_each_story() -> None:
    ending: dict[str, str] = {
        Story.Status.PUBLISHED: StoryDecision.Action.PUBLISHED,
        Story.Status.RETURNED: StoryDecision.Action.RETURNED,
        Story.Status.REJECTED: StoryDecision.Action.REJECTED,
        Story.Status.WITHDRAWN: StoryDecision.Action.WITHDRAWN,
        Story.Status.SUBMITTED: StoryDecision.Action.SUBMITTED,
    }
    for story in Story.objects.all():
        actions = _actions(story.pk)
        assert actions[0] == StoryDecision.Action.SUBMITTED
        assert actions[-1] == ending[story.status]
        published = StoryDecision.Action.PUBLISHED in actions
        assert published == (story.published_at is not None)
    assert (
        StoryDecision.objects.exclude(reason="")
        .exclude(action=StoryDecision.Action.SUBMITTED)
        .exists()
    )


@pytest.mark.usefixtures("seeded")
def test_replies_and_reads_come_from_the_staff_of_the_story_services() -> None:
    staff = {
        (m.organisation_id, m.user_id): m.role for m in StaffMembership.objects.all()
    }
    about = {
        (link.story_id, link.service.organisation_id)
        for link in StoryService.objects.select_related("service")
    }
    read = set(StoryRead.objects.values_list("story_id", "user_id"))
    for reply in StaffReply.objects.select_related("story"):
        assert reply.story.status == Story.Status.PUBLISHED
        assert (reply.story_id, reply.organisation_id) in about
        role = staff[(reply.organisation_id, reply.author_id)]
        assert role != StaffMembership.Role.READER
        assert (reply.story_id, reply.author_id) in read
        assert reply.change_confirmed_at is None or (reply.is_public and reply.change)
    for story_id, organisation_id, user_id in StoryRead.objects.values_list(
        "story_id", "organisation_id", "user_id"
    ):
        assert (story_id, organisation_id) in about
        assert (organisation_id, user_id) in staff
    rated = HelpfulRating.objects.values_list("reply__status", flat=True)
    assert set(rated) == {StaffReply.Status.PUBLISHED}


@pytest.mark.usefixtures("seeded")
def test_a_visitor_reads_a_seeded_story_and_service_statistics() -> None:
    story = Story.objects.published().order_by("pk")[0]
    service = Service.objects.select_related("organisation").order_by("pk")[0]
    client = Client()
    assert client.get(reverse("stories:story", args=[story.pk])).status_code == 200
    statistics = reverse(
        "stories:service_statistics", args=[service.organisation.slug, service.pk]
    )
    assert client.get(statistics).status_code == 200
