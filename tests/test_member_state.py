"""What a member's every page asks again, remembered until anything changes
(kinwell.lib.changes.remembered_until_changed), and the reader's state in a
thread (kinwell.discussions.pages.reader_state, services.mark_read)."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kinwell.accounts.models import Persona, User
from kinwell.communities.models import Community, Membership
from kinwell.discussions import pages, services
from kinwell.discussions.models import ReadState, Thread
from kinwell.discussions.moderation import sanctions
from kinwell.lib import changes
from kinwell.lib.changes import FileGeneration, remembered_until_changed
from tests import factories

Clients = Callable[[User], Client]


@pytest.fixture
def remembering(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FileGeneration]:
    """Remembering on, with a generation of this test's own: test processes
    running beside it share the data directory, and their writes would
    advance its file."""
    settings.KINWELL_MEMBER_STATE_SECONDS = 60
    own = FileGeneration(tmp_path / "changes")
    monkeypatch.setattr(changes, "generation", own)
    caches["default"].clear()
    yield own
    caches["default"].clear()


def _counting(value: object) -> tuple[Callable[[], object], list[int]]:
    calls: list[int] = []

    def make() -> object:
        calls.append(1)
        return value

    return make, calls


def _thread_url(thread: Thread, query: str = "") -> str:
    return f"/c/{thread.community.slug}/t/{thread.pk}/{query}"


# Remembered until changed ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_value_is_made_again_after_a_committed_change(
    remembering: FileGeneration, community: Community, member: User
) -> None:
    make, calls = _counting(None)  # None is remembered too: "not a member"
    assert remembered_until_changed("k", make) is None
    assert remembered_until_changed("k", make) is None
    assert len(calls) == 1
    Community.objects.filter(pk=community.pk).update(topic="Something else")
    remembered_until_changed("k", make)
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_private_bookkeeping_keeps_what_is_remembered(
    remembering: FileGeneration, community: Community, member: User
) -> None:
    thread = factories.make_thread(member, community)
    make, calls = _counting("kept")
    remembered_until_changed("k", make)
    services.mark_read(member, thread=thread, up_to=1)
    assert remembered_until_changed("k", make) == "kept"
    assert len(calls) == 1


def test_turned_off_it_asks_every_time(settings: Any) -> None:
    settings.KINWELL_MEMBER_STATE_SECONDS = 0
    make, calls = _counting("fresh")
    remembered_until_changed("k", make)
    remembered_until_changed("k", make)
    assert len(calls) == 2


def test_a_cache_that_fails_still_answers(
    remembering: FileGeneration, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(caches["default"], "get", broken)
    make, calls = _counting("from the database")
    assert remembered_until_changed("k", make) == "from the database"
    assert remembered_until_changed("k", make) == "from the database"
    assert len(calls) == 2


# A member's standing and personas --------------------------------------------------


def _membership_queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(
            ('SELECT "communities_membership"', 'SELECT "accounts_persona"')
        )
    ]


@pytest.mark.django_db(transaction=True)
def test_a_thread_page_asks_for_membership_and_personas_once_until_a_change(
    remembering: FileGeneration,
    community: Community,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    thread = factories.make_thread(moderator, community)
    reader = client_for(member)
    assert len(_membership_queries(reader, _thread_url(thread))) == 2
    assert _membership_queries(reader, _thread_url(thread, "?page=1")) == []
    services.reply(moderator, thread=thread, body="Something new")
    assert len(_membership_queries(reader, _thread_url(thread))) == 2


@pytest.mark.django_db(transaction=True)
def test_a_ban_counts_on_the_next_page(
    remembering: FileGeneration,
    community: Community,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    thread = factories.make_thread(moderator, community)
    reader = client_for(member)
    assert b'id="reply"' in reader.get(_thread_url(thread)).content
    sanctions.ban_member(moderator, community=community, member=member, reason="Spam")
    page = reader.get(_thread_url(thread))
    assert b'id="reply"' not in page.content
    answer = reader.post(f"/c/{community.slug}/t/{thread.pk}/reply", {"body": "Hi"})
    assert b"You have been banned from posting in this community." in answer.content
    with pytest.raises(PermissionDenied, match="banned"):
        services.reply(member, thread=thread, body="Let me explain")
    assert thread.posts.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_member_who_leaves_no_longer_reads_members_only_threads(
    remembering: FileGeneration,
    community: Community,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    thread = factories.make_thread(moderator, community)
    Thread.objects.filter(pk=thread.pk).update(audience=Thread.Audience.MEMBERS)
    reader = client_for(member)
    assert reader.get(_thread_url(thread)).status_code == 200
    community.memberships.filter(user=member).delete()
    assert reader.get(_thread_url(thread)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_reply_form_shows_a_new_name_at_once_and_posts_as_the_persona_chosen(
    remembering: FileGeneration,
    community: Community,
    clinician: User,
    moderator: User,
    client_for: Clients,
) -> None:
    Membership.objects.create(community=community, user=clinician)
    thread = factories.make_thread(moderator, community)
    reader = client_for(clinician)
    first = reader.get(_thread_url(thread)).content.decode()
    assert "Dr Canary Realname (you)" in first
    User.objects.filter(pk=clinician.pk).update(display_name="Canary Newname")
    page = reader.get(_thread_url(thread)).content.decode()
    assert "Canary Newname (you)" in page
    professional = clinician.personas.exclude(kind=Persona.Kind.PERSONAL).first()
    assert professional is not None
    answer = reader.post(
        f"/c/{community.slug}/t/{thread.pk}/reply",
        {"body": "As a nurse", "persona": professional.public_id},
    )
    assert answer.status_code == 302
    assert thread.posts.get(number=2).persona == professional


# The reader's state in a thread ----------------------------------------------------


def test_the_reader_state_comes_in_one_query(
    community: Community, member: User, moderator: User
) -> None:
    thread = factories.make_thread(moderator, community)
    factories.make_replies(moderator, thread, 3)
    thread.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        before = pages.reader_state(member, thread)
    assert len(queries) == 1
    assert before == pages.ReaderState(last_read=None, subscription="")
    services.mark_read(member, thread=thread, up_to=3, first_reading=True)
    services.set_subscription(member, thread=thread, level="muted")
    assert pages.reader_state(member, thread) == pages.ReaderState(3, "muted")


def test_a_first_reading_makes_the_row_in_two_queries(
    community: Community, member: User, moderator: User
) -> None:
    thread = factories.make_thread(moderator, community)
    factories.make_replies(moderator, thread, 3)
    thread.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        services.mark_read(member, thread=thread, up_to=2, first_reading=True)
    assert len(queries) == 2
    assert ReadState.objects.get(user=member, thread=thread).last_read_number == 2


def test_a_first_reading_that_was_not_never_moves_the_marker_back(
    community: Community, member: User, moderator: User
) -> None:
    # Another page of the same reader made the row meanwhile, further on.
    thread = factories.make_thread(moderator, community)
    factories.make_replies(moderator, thread, 5)
    thread.refresh_from_db()
    services.mark_read(member, thread=thread, up_to=5)
    services.mark_read(member, thread=thread, up_to=2, first_reading=True)
    assert ReadState.objects.get(user=member, thread=thread).last_read_number == 5
    services.mark_read(member, thread=thread, up_to=6, first_reading=True)
    assert ReadState.objects.get(user=member, thread=thread).last_read_number == 6
    assert ReadState.objects.filter(user=member, thread=thread).count() == 1


def test_the_api_marks_a_page_read_as_the_website_does(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    thread = factories.make_thread(moderator, community)
    factories.make_replies(moderator, thread, 24)  # 25 posts: two pages
    reader = client_for(member)
    path = f"/api/v1/communities/{community.slug}/threads/{thread.pk}"
    assert reader.get(path, {"page": 2}).status_code == 200
    assert ReadState.objects.get(user=member, thread=thread).last_read_number == 25
    assert reader.get(path, {"page": 1}).status_code == 200
    assert ReadState.objects.get(user=member, thread=thread).last_read_number == 25
