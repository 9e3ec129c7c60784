"""Pages shared among visitors (kinwell.lib.visitor_pages), and the
generation of changes that keys them (kinwell.lib.changes)."""

import itertools
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import caches
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import ResolverMatch

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.discussions import services
from kinwell.discussions.models import Post, ReadState, Thread
from kinwell.lib import changes
from kinwell.lib.changes import (
    PRIVATE_TABLES,
    CacheGeneration,
    FileGeneration,
    generation,
    may_change_what_visitors_see,
)
from kinwell.lib.visitor_pages import (
    LARGEST_SHARED_PAGE,
    _shareable,
    same_for_every_visitor,
)
from tests import factories

NONCE = re.compile(rb'nonce="([^"]+)"')


@pytest.fixture
def sharing(settings: Any) -> Iterator[None]:
    settings.KINWELL_VISITOR_PAGE_SECONDS = 60
    caches["pages"].clear()
    yield
    caches["pages"].clear()


def _thread(community: Community, author: User) -> Thread:
    return factories.make_thread(author, community, body="Canary-one words")


def _queries(
    client: Client, url: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(queries), response.content


# What counts as a change ------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "counts"),
    [
        ('SELECT "discussions_post"."id" FROM "discussions_post"', False),
        ("  select 1", False),
        ('SAVEPOINT "s1_x1"', False),
        ('RELEASE SAVEPOINT "s1_x1"', False),
        ("PRAGMA foreign_keys=ON", False),
        ('UPDATE "discussions_post" SET "body" = %s', True),
        ("update discussions_thread set title = %s", True),
        ('INSERT INTO "discussions_reaction" ("post_id") VALUES (%s)', True),
        ('INSERT OR IGNORE INTO "discussions_tag" ("name") VALUES (%s)', True),
        ('DELETE FROM "discussions_post" WHERE "id" = %s', True),
        ('INSERT INTO "discussions_readstate" ("user_id") VALUES (%s)', False),
        ('UPDATE "django_session" SET "session_data" = %s', False),
        ('DELETE FROM "usersessions_usersession" WHERE 1', False),
        ('CREATE TABLE "x" ("id" integer)', True),
        ("WITH moved AS (SELECT 1) UPDATE discussions_post SET number = 1", True),
    ],
)
def test_which_statements_count_as_a_change(sql: str, counts: bool) -> None:
    assert may_change_what_visitors_see(sql) is counts


@pytest.mark.django_db
def test_the_private_tables_are_real_tables() -> None:
    """A misspelt name would make writes to the real table count, which is
    safe but wasteful; a table renamed away would be missed the same way."""
    assert set(connection.introspection.table_names()) >= PRIVATE_TABLES


def test_a_file_generation_grows_and_a_new_file_starts_afresh(tmp_path: Path) -> None:
    found = FileGeneration(tmp_path / "changes")
    seen = [found.current()]
    found.advance()
    seen.append(found.current())
    found.advance()
    seen.append(found.current())
    (tmp_path / "changes").unlink()
    found.advance()
    seen.append(found.current())
    assert len(set(seen)) == 4


def test_a_full_file_starts_again_without_repeating(tmp_path: Path) -> None:
    found = FileGeneration(tmp_path / "changes")
    found.LARGEST = 3
    seen = []
    for _ in range(7):
        found.advance()
        seen.append(found.current())
        assert (tmp_path / "changes").stat().st_size <= 3
    assert all(before != after for before, after in itertools.pairwise(seen))


def test_many_threads_advance_and_start_again_without_a_fault(tmp_path: Path) -> None:
    found = FileGeneration(tmp_path / "changes")
    found.LARGEST = 50

    def advance_often() -> None:
        for _ in range(200):
            found.advance()

    workers = [threading.Thread(target=advance_often) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # Each writer appends at most once more after the file is full.
    assert (tmp_path / "changes").stat().st_size <= found.LARGEST + len(workers)
    assert not (tmp_path / "changes.new").exists()


def test_a_cache_generation_grows_and_survives_losing_its_counter() -> None:
    found = CacheGeneration()
    caches["default"].delete(CacheGeneration.KEY)
    found.advance()
    first = int(found.current())
    found.advance()
    assert int(found.current()) == first + 1
    caches["default"].delete(CacheGeneration.KEY)
    found.advance()
    assert int(found.current()) >= first  # restarts from the clock, not from 1


def test_a_lost_cache_generation_is_never_a_fixed_number() -> None:
    found = CacheGeneration()
    caches["default"].delete(CacheGeneration.KEY)
    read_first = found.current()  # a reader starts the counter
    assert int(read_first) > 1_000_000_000_000  # milliseconds since 1970
    found.advance()
    assert found.current() != read_first


@pytest.fixture
def own_generation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileGeneration:
    """A generation of this test's own: test processes running beside it
    share the data directory, and their writes would advance its file."""
    own = FileGeneration(tmp_path / "changes")
    monkeypatch.setattr(changes, "generation", own)
    return own


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_advances_the_generation(
    community: Community, member: User, own_generation: FileGeneration
) -> None:
    generation = own_generation
    thread = _thread(community, member)
    before = generation.current()
    with transaction.atomic():
        Thread.objects.filter(pk=thread.pk).update(title="A new title")
        assert generation.current() == before  # not before the commit
    assert generation.current() != before


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_and_private_bookkeeping_do_not(
    community: Community, member: User, own_generation: FileGeneration
) -> None:
    generation = own_generation
    thread = _thread(community, member)
    before = generation.current()
    with pytest.raises(RuntimeError):
        _rename_then_fail(thread)
    thread.refresh_from_db()
    assert thread.title != "Never kept"
    services.mark_read(member, thread=thread, up_to=1)
    assert ReadState.objects.filter(user=member, thread=thread).exists()
    assert generation.current() == before


@transaction.atomic
def _rename_then_fail(thread: Thread) -> None:
    Thread.objects.filter(pk=thread.pk).update(title="Never kept")
    raise RuntimeError


@pytest.mark.django_db
def test_a_write_goes_on_when_the_generation_cannot_advance(
    community: Community,
    member: User,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    thread = _thread(community, member)

    def broken() -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(generation, "advance", broken)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Thread.objects.filter(pk=thread.pk).update(title="Still written")
    assert callbacks  # the advance was attempted, after the commit
    thread.refresh_from_db()
    assert thread.title == "Still written"
    assert "could not advance" in caplog.text


def test_starting_the_server_forgets_shared_pages() -> None:
    from kinwell.lib.visitor_pages import forget_shared_pages

    before = generation.current()
    forget_shared_pages()
    assert generation.current() != before


# Sharing pages ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sharing")
def test_a_visitor_page_is_shared_and_a_change_shows_at_once(
    community: Community, member: User
) -> None:
    thread = _thread(community, member)
    url = thread.get_absolute_url()
    visitor = Client()
    made, first = _queries(visitor, url)
    shared, second = _queries(Client(), url)
    assert made > 0
    assert shared == 0
    assert b"Canary-one words" in first
    assert b"Canary-one words" in second

    opening = Post.objects.get(thread=thread, number=1)
    services.edit_post(member, post=opening, body="Canary-two words")
    _, after_edit = _queries(visitor, url)
    assert b"Canary-two words" in after_edit
    assert b"Canary-one" not in after_edit

    services.delete_post(member, post=opening)
    assert Client().get(url).status_code == 404  # the thread went with its opening


@pytest.mark.django_db
@pytest.mark.usefixtures("sharing")
def test_each_shared_answer_has_its_own_nonce(
    community: Community, member: User
) -> None:
    url = _thread(community, member).get_absolute_url()
    answers = [Client().get(url) for _ in range(3)]
    nonces = [NONCE.search(answer.content) for answer in answers]
    assert all(nonces)
    values = [found.group(1).decode() for found in nonces if found]
    assert len(set(values)) == 3
    for answer, value in zip(answers, values, strict=True):
        assert f"'nonce-{value}'" in answer["Content-Security-Policy"]
        assert b"\x00" not in answer.content
        assert "Cookie" in answer["Vary"]  # no cache on the way may share it further


@pytest.mark.django_db
@pytest.mark.usefixtures("sharing")
def test_members_never_get_a_shared_page(
    community: Community, member: User, client_for: Callable[[User], Client]
) -> None:
    url = _thread(community, member).get_absolute_url()
    Client().get(url)
    queries, page = _queries(client_for(member), url)
    assert queries > 0
    assert b"Log out" in page
    assert b"X-CSRFToken" in page


@pytest.mark.django_db
@pytest.mark.usefixtures("sharing")
@pytest.mark.parametrize(
    "extra",
    [
        {"Cookie": "sessionid=not-a-session"},
        {"HX-Request": "true"},
        {"Authorization": "Bearer some-token"},
    ],
)
def test_requests_that_may_be_someones_own_are_answered_afresh(
    community: Community, member: User, extra: dict[str, str]
) -> None:
    url = _thread(community, member).get_absolute_url()
    Client().get(url)
    queries, _ = _queries(Client(), url, extra)
    assert queries > 0


@pytest.mark.django_db
@pytest.mark.usefixtures("sharing")
def test_only_the_parameters_pages_read_make_a_shared_page(
    community: Community, member: User
) -> None:
    url = f"{community.get_absolute_url()}threads/"
    Client().get(f"{url}?tag=x&page=1")
    same, _ = _queries(Client(), f"{url}?page=1&tag=x")
    assert same == 0  # one page, whatever the order
    for asked in (f"{url}?page=1&junk=1", f"{url}?page=1&page=2"):
        Client().get(asked)
        again, _ = _queries(Client(), asked)
        assert again > 0, asked


@pytest.mark.django_db
@pytest.mark.usefixtures("sharing")
def test_visitors_get_their_page_when_the_cache_is_down(
    community: Community, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _thread(community, member).get_absolute_url()

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["pages"], "get", down)
    response = Client().get(url)
    assert response.status_code == 200
    assert b"Canary-one words" in response.content


@pytest.mark.django_db
@pytest.mark.usefixtures("sharing")
def test_a_visitor_page_carries_no_csrf_token(
    community: Community, member: User
) -> None:
    url = _thread(community, member).get_absolute_url()
    response = Client().get(url)
    assert b"csrfmiddlewaretoken" not in response.content
    assert b"X-CSRFToken" not in response.content
    assert "csrftoken" not in response.cookies


@pytest.mark.django_db
@pytest.mark.usefixtures("sharing")
def test_pages_of_unmarked_views_are_made_afresh() -> None:
    Client().get("/search/?q=pacing")
    queries, _ = _queries(Client(), "/search/?q=pacing")
    assert queries > 0


def _a_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _visitor_request(rf: RequestFactory) -> HttpRequest:
    request = rf.get("/c/somewhere/")
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    MessageMiddleware(lambda r: HttpResponse()).process_request(request)
    request.resolver_match = ResolverMatch(same_for_every_visitor(_a_view), (), {})
    return request


@pytest.mark.parametrize(
    "personal",
    [
        lambda request, response: get_token(request),
        lambda request, response: messages.info(request, "Welcome back"),
        lambda request, response: request.session.__setitem__("seen", 1),
        lambda request, response: response.set_cookie("theme", "dark"),
    ],
    ids=["csrf token", "message", "session", "cookie"],
)
def test_a_page_with_anything_of_one_reader_is_not_kept(
    rf: RequestFactory, personal: Callable[[HttpRequest, HttpResponse], object]
) -> None:
    request, response = _visitor_request(rf), HttpResponse("<p>page</p>")
    assert _shareable(request, response)
    personal(request, response)
    assert not _shareable(request, response)


def test_only_a_plain_200_is_kept(rf: RequestFactory) -> None:
    request = _visitor_request(rf)
    assert not _shareable(request, HttpResponse("moved", status=302))
    assert not _shareable(request, HttpResponse("x" * (LARGEST_SHARED_PAGE + 1)))
    request.resolver_match = ResolverMatch(lambda r: None, (), {})
    assert not _shareable(request, HttpResponse("<p>page</p>"))


@pytest.mark.django_db
@pytest.mark.usefixtures("sharing")
def test_errors_are_not_shared(community: Community) -> None:
    url = f"/c/{community.slug}/t/999999/"
    assert Client().get(url).status_code == 404
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(url).status_code == 404
    assert len(queries) > 0


@pytest.mark.django_db
def test_sharing_is_off_without_a_timeout(
    settings: Any, community: Community, member: User
) -> None:
    settings.KINWELL_VISITOR_PAGE_SECONDS = 0
    url = _thread(community, member).get_absolute_url()
    Client().get(url)
    queries, _ = _queries(Client(), url)
    assert queries > 0
