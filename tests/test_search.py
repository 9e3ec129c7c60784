"""Search: what it finds, how it shows it, and, above all, that it never
finds, counts or hints at what the searcher may not read."""

import copy
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test import Client
from django.utils import timezone

from kinwell.accounts.models import Persona, User
from kinwell.communities.models import Cluster, Community, Membership
from kinwell.discussions import services
from kinwell.discussions.models import DiscussionSettings, Post, Tag, Thread
from kinwell.discussions.moderation import services as moderation
from kinwell.lib import ratelimit
from kinwell.search import results
from kinwell.search.backends import CLOSE, OPEN, Window, marked, parse
from tests import factories
from tests.helpers import assert_bounded_queries

Clients = Callable[[User], Client]
SEARCH = "/search/"
# A word that is nowhere, to compare a search for a hidden word with.
NOWHERE = "zzyzxnowhere"


def search(client: Client, q: str, **filters: str) -> str:
    page = client.get(SEARCH, {"q": q, **filters})
    assert page.status_code == 200
    return page.content.decode()


def normalised(html: str, word: str) -> str:
    """The page without what differs between any two requests (CSRF token,
    CSP nonce) and without the word searched for."""
    html = html.replace(word, "WORD")
    html = re.sub(r'("X-CSRFToken": ")[^"]*', r"\1", html)
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*', r"\1", html)
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


def assert_finds_nothing(client: Client, word: str) -> None:
    """Searching `word` gives the very page a search for a word that exists
    nowhere gives: no result, no count, no snippet, no hint."""
    found, nowhere = search(client, word), search(client, NOWHERE)
    assert "No results for" in found
    assert found.count(word) == nowhere.count(NOWHERE)
    assert normalised(found, word) == normalised(nowhere, NOWHERE)


def hit_count(html: str) -> int:
    return html.count("<article ")


# Finding and showing ----------------------------------------------------------


def test_finds_threads_by_title_and_posts_by_body(
    community: Community, member: User, organiser: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(
        member, community, title="Pacing and energy envelopes", body="Rest first."
    )
    services.reply(organiser, thread=thread, body="The envelope idea helped me.")
    by_title = search(visitor_client, "pacing")
    assert hit_count(by_title) == 1
    assert "<mark>Pacing</mark> and energy envelopes" in by_title
    assert f'href="/c/{community.slug}/t/{thread.pk}/"' in by_title
    by_body = search(visitor_client, "helped")
    assert hit_count(by_body) == 1
    assert "Reply #2 in “Pacing and energy envelopes”" in by_body
    # (PostgreSQL's snippets may leave out punctuation at their ends.)
    assert "The envelope idea <mark>helped</mark> me" in by_body
    assert "1 result for “helped”" in by_body


def test_every_word_must_appear_and_quotes_make_a_phrase(
    community: Community, member: User, visitor_client: Client
) -> None:
    factories.make_thread(member, community, title="Fog", body="brain fog at noon")
    factories.make_thread(member, community, title="Other", body="fog in the brain")
    assert hit_count(search(visitor_client, "brain fog")) == 2
    assert hit_count(search(visitor_client, "brain noon")) == 1
    assert hit_count(search(visitor_client, '"brain fog"')) == 1
    assert hit_count(search(visitor_client, "brain missingword")) == 0


def test_snippets_escape_what_the_writer_typed(
    community: Community, member: User, visitor_client: Client
) -> None:
    body = f'<script>alert(1)</script> <b onclick="x()">bold</b> rash {OPEN}fake{CLOSE}'
    factories.make_thread(member, community, title="<i>Rash</i> & itch", body=body)
    html = search(visitor_client, "rash")
    assert "<script>alert" not in html
    assert "<b onclick" not in html
    assert "&lt;i&gt;<mark>Rash</mark>&lt;/i&gt; &amp; itch" in html
    assert "<mark>rash</mark>" in html
    # Marker characters typed by the writer can at most mark their own
    # words: the marks stay paired and nothing else becomes markup.
    assert html.count("<mark>") == html.count("</mark>")


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"brain fog',
        "brain)",
        "(brain",
        "NEAR(brain fog)",
        "brain NEAR fog",
        "*",
        "bra*",
        "-brain",
        "brain OR",
        "AND",
        "title:brain",
        "^brain",
        "{brain}",
        "brain'",
        "%",
        "_",
        "\\",
        "brain; DROP TABLE discussions_post",
        "🙂 ünïcödé",
    ],
)
def test_search_syntax_never_breaks_the_page(
    query: str, community: Community, member: User, visitor_client: Client
) -> None:
    factories.make_thread(member, community, title="Brain fog", body="NEAR and far")
    response = visitor_client.get(SEARCH, {"q": query})
    assert response.status_code == 200


def test_near_is_a_word_like_any_other(
    community: Community, member: User, visitor_client: Client
) -> None:
    factories.make_thread(member, community, title="Help", body="I live NEAR Leeds.")
    assert hit_count(search(visitor_client, "near leeds")) == 1


def test_a_query_of_no_words_says_so(visitor_client: Client, db: None) -> None:
    html = search(visitor_client, "*** ((")
    assert "Search for words made of letters or digits." in html
    assert "results-heading" not in html


def test_the_empty_page_shows_the_form_only(visitor_client: Client, db: None) -> None:
    html = search(visitor_client, "")
    assert 'role="search"' in html
    assert "results-heading" not in html


def test_search_is_a_get_form(visitor_client: Client, db: None) -> None:
    assert visitor_client.post(SEARCH, {"q": "x"}).status_code == 405


def test_content_warning_folds_the_snippet_away(
    community: Community, member: User, visitor_client: Client
) -> None:
    factories.make_thread(
        member, community, content_warning="self-harm", body="Dark thoughts today."
    )
    html = search(visitor_client, "thoughts")
    assert "<summary>Content warning: self-harm</summary>" in html


def test_results_are_paged_and_pages_keep_the_search(
    community: Community, member: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(member, community, body="migraine diary")
    factories.make_replies(member, thread, 24)
    Post.objects.filter(thread=thread, number__gt=1).update(body="migraine again")
    html = search(visitor_client, "migraine", community=community.slug)
    assert hit_count(html) == 20
    assert "25 results for “migraine”" in html
    assert f"q=migraine&amp;community={community.slug}&amp;page=2" in html
    second = search(visitor_client, "migraine", community=community.slug, page="2")
    assert hit_count(second) == 5


def test_the_page_runs_a_fixed_number_of_queries(
    community: Community, member: User, carer: User, client_for: Clients
) -> None:
    client = client_for(member)

    def add_rows(count: int) -> None:
        with ratelimit.suspended():
            for number in range(count):
                thread = factories.make_thread(
                    member, community, title=f"Sleep {number}"
                )
                services.reply(carer, thread=thread, body="sleep matters")

    # The search's own five (communities, tags, count, page, snippets),
    # and the signed-in page's session, account and notification bell.
    assert_bounded_queries(
        lambda: client.get(SEARCH, {"q": "sleep", "community": community.slug}),
        add_rows,
        max_queries=14,
    )


# Filters ----------------------------------------------------------------------


def test_community_filter(
    community: Community, organiser: User, member: User, visitor_client: Client
) -> None:
    other = factories.make_community(organiser, members=(member,))
    factories.make_thread(member, community, body="walking")
    factories.make_thread(member, other, body="walking")
    assert hit_count(search(visitor_client, "walking")) == 2
    only = search(visitor_client, "walking", community=other.slug)
    assert hit_count(only) == 1
    assert f'<option value="{other.slug}" selected>{other.name}</option>' in only
    assert f'<option value="{community.slug}">{community.name}</option>' in only


def test_a_community_one_may_not_read_is_an_unknown_community(
    hidden_community: Community,
    community: Community,
    member: User,
    outsider: User,
    client_for: Clients,
) -> None:
    factories.make_thread(member, community, body="walking")
    client = client_for(outsider)
    hidden = search(client, "walking", community=hidden_community.slug)
    unknown = search(client, "walking", community="no-such-community")
    assert hidden_community.name not in hidden
    assert normalised(
        normalised(hidden, hidden_community.slug), "walking"
    ) == normalised(normalised(unknown, "no-such-community"), "walking")
    assert hit_count(hidden) == 0


def test_tag_filter_within_the_community(
    community: Community, organiser: User, member: User, visitor_client: Client
) -> None:
    tag = services.create_tag(organiser, community=community, name="Sleep")
    factories.make_thread(member, community, body="melatonin", tags=[tag])
    factories.make_thread(member, community, body="melatonin")
    html = search(visitor_client, "melatonin", community=community.slug)
    assert f'<option value="{tag.slug}">Sleep</option>' in html
    assert hit_count(html) == 2
    tagged = search(visitor_client, "melatonin", community=community.slug, tag=tag.slug)
    assert hit_count(tagged) == 1


def test_tags_of_a_community_one_may_not_read_are_not_listed(
    hidden_community: Community, organiser: User, outsider: User, client_for: Clients
) -> None:
    services.create_tag(organiser, community=hidden_community, name="Canarytag")
    html = search(client_for(outsider), "x", community=hidden_community.slug)
    assert "Canarytag" not in html


def test_author_filter_finds_one_persona_only(
    community: Community, clinician: User, member: User, visitor_client: Client
) -> None:
    Membership.objects.create(community=community, user=clinician)
    anonymous = Persona.objects.get(
        user=clinician, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL
    )
    personal = Persona.objects.get(user=clinician, kind=Persona.Kind.PERSONAL)
    factories.make_thread(clinician, community, body="dosage advice", persona=anonymous)
    factories.make_thread(clinician, community, body="dosage at home")
    factories.make_thread(member, community, body="dosage question")
    as_nurse = search(visitor_client, "dosage", author=anonymous.public_id)
    assert hit_count(as_nurse) == 1
    assert "dosage advice" in as_nurse.replace("<mark>", "").replace("</mark>", "")
    assert clinician.display_name not in as_nurse
    assert personal.public_id not in as_nurse
    assert hit_count(search(visitor_client, "dosage", author=personal.public_id)) == 1


def test_a_former_members_persona_finds_nothing(
    community: Community, member: User, visitor_client: Client
) -> None:
    factories.make_thread(member, community, body="oxygen levels")
    persona = Persona.objects.get(user=member, kind=Persona.Kind.PERSONAL)
    Membership.objects.filter(community=community, user=member).delete()
    html = search(visitor_client, "oxygen")
    assert hit_count(html) == 1
    assert "a former member" in html
    assert member.display_name not in html
    assert hit_count(search(visitor_client, "oxygen", author=persona.public_id)) == 0


def test_date_filter(
    community: Community, member: User, visitor_client: Client
) -> None:
    old = factories.make_thread(member, community, body="vaccine")
    factories.make_thread(member, community, body="vaccine")
    long_ago = timezone.now() - timedelta(days=30)
    Post.objects.filter(thread=old).update(created_at=long_ago)
    today = timezone.localdate()
    recent = search(visitor_client, "vaccine", since=str(today - timedelta(days=1)))
    assert hit_count(recent) == 1
    until = str(long_ago.date())
    assert hit_count(search(visitor_client, "vaccine", until=until)) == 1
    assert hit_count(search(visitor_client, "vaccine", since=until, until=until)) == 1


def test_dates_out_of_order_are_an_error(visitor_client: Client, db: None) -> None:
    html = search(visitor_client, "x", since="2026-02-02", until="2026-01-01")
    assert "Choose a date on or after the “From” date." in html
    assert "results-heading" not in html


# The canary: nothing anyone may not read is found, counted or hinted at -------

CANARY = "quokkacanary"


@pytest.fixture
def other_member(db: None, organiser: User) -> User:
    """A member of another community (a public one) only."""
    person = factories.make_user("Otis Other")
    factories.make_community(organiser, members=(person,))
    return person


@pytest.fixture
def searchers(
    outsider: User, other_member: User, client_for: Clients
) -> dict[str, Client]:
    return {
        "visitor": Client(),
        "outsider": client_for(outsider),
        "member of another community": client_for(other_member),
    }


def test_canary_in_a_hidden_community(
    hidden_community: Community,
    member: User,
    searchers: dict[str, Client],
    client_for: Clients,
) -> None:
    factories.make_thread(member, hidden_community, title=CANARY, body=CANARY)
    for client in searchers.values():
        assert_finds_nothing(client, CANARY)
    assert hit_count(search(client_for(member), CANARY)) == 1


def test_canary_in_a_members_only_community(
    organiser: User,
    member: User,
    searchers: dict[str, Client],
    client_for: Clients,
) -> None:
    members_only = factories.make_community(
        organiser, visibility="members", join_policy="request", members=(member,)
    )
    factories.make_thread(member, members_only, title=CANARY, body=CANARY)
    for client in searchers.values():
        assert_finds_nothing(client, CANARY)
    assert hit_count(search(client_for(member), CANARY)) == 1


def test_canary_in_a_members_only_thread_of_a_public_community(
    community: Community,
    member: User,
    searchers: dict[str, Client],
    client_for: Clients,
) -> None:
    factories.make_thread(
        member, community, title=CANARY, body=CANARY, audience="members"
    )
    for client in searchers.values():
        assert_finds_nothing(client, CANARY)
    assert hit_count(search(client_for(member), CANARY)) == 1


def test_canary_in_held_hidden_and_deleted_posts(
    community: Community,
    member: User,
    moderator: User,
    organiser: User,
    searchers: dict[str, Client],
    client_for: Clients,
) -> None:
    thread = factories.make_thread(organiser, community, body="An open thread")
    hidden = services.reply(member, thread=thread, body=f"{CANARY} hidden")
    moderation.hide_post(moderator, post=hidden, reason="Off topic")
    deleted = services.reply(member, thread=thread, body=f"{CANARY} deleted")
    services.delete_post(member, post=deleted)
    DiscussionSettings.objects.create(community=community, hold_first_posts=5)
    newcomer = factories.make_user("Nia Newcomer")
    Membership.objects.create(community=community, user=newcomer)
    held = services.reply(newcomer, thread=thread, body=f"{CANARY} held")
    held_thread = factories.make_thread(newcomer, community, title=CANARY, body=CANARY)
    assert held.status == Post.Status.HELD
    assert held_thread.status == Thread.Status.HELD
    everyone = {
        **searchers,
        "the author": client_for(newcomer),
        "a member": client_for(member),
        "a moderator": client_for(moderator),
    }
    for client in everyone.values():
        assert_finds_nothing(client, CANARY)


def test_a_thread_hidden_with_its_opening_post_is_not_found(
    community: Community, member: User, moderator: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(member, community, title=CANARY, body="first")
    services.reply(moderator, thread=thread, body=f"{CANARY} in a reply")
    moderation.hide_post(moderator, post=thread.posts.get(number=1), reason="Spam")
    assert_finds_nothing(visitor_client, CANARY)


# The index follows every change ---------------------------------------------


def test_edits_and_new_titles_are_found_at_once(
    community: Community, member: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(member, community, title="Old title", body="alpha")
    opening = thread.posts.get()
    services.edit_post(member, post=opening, body="beta", title="Fresh heading")
    assert hit_count(search(visitor_client, "alpha")) == 0
    assert hit_count(search(visitor_client, "beta")) == 1
    assert hit_count(search(visitor_client, "old title")) == 0
    assert "<mark>Fresh</mark> heading" in search(visitor_client, "fresh")


def test_approved_and_unhidden_posts_come_back(
    community: Community, member: User, moderator: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(moderator, community, body="start")
    post = services.reply(member, thread=thread, body="gamma ray")
    moderation.hide_post(moderator, post=post, reason="Checking")
    assert hit_count(search(visitor_client, "gamma")) == 0
    moderation.unhide_post(moderator, post=post)
    assert hit_count(search(visitor_client, "gamma")) == 1


def test_a_moved_thread_is_found_only_where_it_now_is(
    community: Community,
    organiser: User,
    moderator: User,
    member: User,
    outsider: User,
    client_for: Clients,
) -> None:
    cluster = Cluster.objects.create(name="Long COVID", slug="long-covid")
    hidden = factories.make_community(
        organiser, visibility="hidden", moderators=(moderator,), members=(member,)
    )
    Community.objects.filter(pk__in=[community.pk, hidden.pk]).update(cluster=cluster)
    community.refresh_from_db()
    hidden.refresh_from_db()
    thread = factories.make_thread(member, community, title=CANARY, body="moving")
    services.reply(moderator, thread=thread, body=f"{CANARY} reply")
    assert hit_count(search(client_for(outsider), CANARY)) == 2
    moderation.move_thread(moderator, thread=thread, to=hidden, reason="Private")
    assert_finds_nothing(client_for(outsider), CANARY)
    assert hit_count(search(client_for(member), CANARY, community=hidden.slug)) == 2


def test_bulk_writes_reach_the_index(
    community: Community, member: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(member, community, body="first")
    factories.make_replies(member, thread, 3)
    Post.objects.filter(thread=thread, number__gt=1).update(body="delta wave")
    assert hit_count(search(visitor_client, "delta")) == 3
    Post.objects.filter(thread=thread, number=2).delete()
    assert hit_count(search(visitor_client, "delta")) == 2
    Thread.objects.filter(pk=thread.pk).update(title="Epsilon")
    assert hit_count(search(visitor_client, "epsilon")) == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")
def test_triggers_lost_in_a_table_rebuild_are_restored(
    community: Community, member: User, visitor_client: Client
) -> None:
    from kinwell.search.backends.sqlite import TRIGGERS, ensure_triggers

    with connection.cursor() as cursor:
        for name in TRIGGERS["search_postindex"]:
            cursor.execute(f"DROP TRIGGER {name}")
    factories.make_thread(member, community, body="written meanwhile")
    assert hit_count(search(visitor_client, "meanwhile")) == 0
    ensure_triggers(connection)
    assert hit_count(search(visitor_client, "meanwhile")) == 1
    factories.make_thread(member, community, body="written afterwards")
    assert hit_count(search(visitor_client, "afterwards")) == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")
@pytest.mark.django_db(transaction=True)
def test_a_migration_rebuilding_the_posts_table_keeps_search_working(
    community: Community, member: User, visitor_client: Client
) -> None:
    """SQLite alters a column by rebuilding the table, which drops its
    triggers; after `migrate` they are back and the index caught up."""
    factories.make_thread(member, community, body="before the rebuild")
    old = Post._meta.get_field("hidden_reason")
    new = copy.copy(old)
    new.max_length = 301
    with connection.schema_editor() as editor:
        editor.alter_field(Post, old, new)
    assert "search_postindex_inserted" not in sqlite_triggers()
    factories.make_thread(member, community, body="during the rebuild")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    try:
        assert hit_count(search(visitor_client, "rebuild")) == 2
        factories.make_thread(member, community, body="after the rebuild")
        assert hit_count(search(visitor_client, "rebuild")) == 3
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Post, new, old)
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


def test_tag_slugs_are_matched_in_sql_not_found_elsewhere(
    community: Community, organiser: User, member: User, visitor_client: Client
) -> None:
    other = factories.make_community(organiser, members=(member,))
    mine = services.create_tag(organiser, community=community, name="Diet")
    theirs = services.create_tag(organiser, community=other, name="Diet")
    assert mine.slug == theirs.slug
    factories.make_thread(member, other, body="fibre", tags=[theirs])
    html = search(visitor_client, "fibre", community=community.slug, tag=mine.slug)
    assert hit_count(html) == 0
    assert Tag.objects.count() == 2


def sqlite_triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


# The adapter's pieces -------------------------------------------------------


def test_parse_keeps_letters_and_digits_only() -> None:
    assert parse('brain "fog at" NEAR(x) * -y').phrases == (
        ("brain",),
        ("fog", "at"),
        ("NEAR",),
        ("x",),
        ("y",),
    )
    assert not parse('"" *** ()')


def test_marked_escapes_everything_but_its_own_marks() -> None:
    assert (
        marked(f"<b>{OPEN}a&b{CLOSE}</b>") == "&lt;b&gt;<mark>a&amp;b</mark>&lt;/b&gt;"
    )
    assert marked(f"{CLOSE}x{OPEN}y") == "x<mark>y</mark>"
    assert marked(f"{OPEN}{OPEN}x{CLOSE}{CLOSE}") == "<mark>x</mark>"
    assert marked(None) == ""


# The window: only the newest matches are ranked -----------------------------


@pytest.fixture
def window_of_five(monkeypatch: pytest.MonkeyPatch) -> int:
    """A window of five matches, so a test need not write a thousand."""
    monkeypatch.setattr(results, "WINDOW", 5)
    return 5


def write_posts(author: User, community: Community, body: str, count: int) -> None:
    thread = factories.make_thread(author, community, title="Notes", body=body)
    factories.make_replies(author, thread, count - 1)
    Post.objects.filter(thread=thread).update(body=body)


def test_beyond_the_window_the_count_says_more_than(
    community: Community, member: User, visitor_client: Client, window_of_five: int
) -> None:
    write_posts(member, community, "oldest walking", 1)
    write_posts(member, community, "walking", 6)
    html = search(visitor_client, "walking")
    assert "More than 5 results for “walking”" in html
    assert hit_count(html) == 5
    # The newest five are the window: the oldest post is not among them.
    assert "oldest" not in html
    assert "Only the newest 5 matches are ranked" not in html  # one page only


def test_below_the_window_the_count_is_exact(
    community: Community, member: User, visitor_client: Client, window_of_five: int
) -> None:
    write_posts(member, community, "walking", 5)
    assert "5 results for “walking”" in search(visitor_client, "walking")
    assert "More than" not in search(visitor_client, "walking")


def test_the_window_ranks_title_matches_first(
    community: Community, member: User, visitor_client: Client
) -> None:
    factories.make_thread(member, community, title="Walking aids", body="Sticks.")
    write_posts(member, community, "walking", 3)
    html = search(visitor_client, "walking")
    assert "4 results for “walking”" in html
    assert html.index("<mark>Walking</mark> aids") < html.index("Reply #2")


@pytest.mark.parametrize("where", ["title", "body"])
def test_hidden_newest_matches_neither_fill_the_window_nor_the_count(
    where: str,
    hidden_community: Community,
    community: Community,
    member: User,
    outsider: User,
    client_for: Clients,
    window_of_five: int,
) -> None:
    """A hidden community whose newest posts all match must not push what a
    searcher may read out of the window, nor change the count: the page is
    the very one it was before they were written."""
    write_posts(member, community, "walking", 3)
    clients = {"visitor": Client(), "outsider": client_for(outsider)}
    before = {name: search(client, "walking") for name, client in clients.items()}
    with ratelimit.suspended():
        for _ in range(2 * window_of_five):
            if where == "title":
                factories.make_thread(
                    member, hidden_community, title=f"Walking {CANARY}", body="x"
                )
            else:
                factories.make_thread(
                    member, hidden_community, body=f"walking {CANARY}"
                )
    for name, client in clients.items():
        after = search(client, "walking")
        assert "3 results for “walking”" in after
        assert CANARY not in after
        assert normalised(after, "walking") == normalised(before[name], "walking")
    assert "More than 5 results" in search(client_for(member), "walking")


def test_paging_stops_at_the_window(
    community: Community, member: User, visitor_client: Client
) -> None:
    write_posts(member, community, "walking", 45)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(results, "WINDOW", 30)
        first = search(visitor_client, "walking")
        last = search(visitor_client, "walking", page="2")
    assert "More than 30 results" in first
    assert "Page 1 of 2." in first
    assert "Only the newest 30 matches are ranked" in first
    assert hit_count(last) == 10
    assert 'rel="next"' not in last


def test_ranked_adds_body_and_title_and_keeps_the_newest() -> None:
    window = Window(
        in_body=[(9, -1.0), (7, -2.0), (4, -1.0)], in_title=[(7, -3.0), (2, -9.0)]
    )
    assert results.ranked(window, 10) == ([2, 7, 9, 4], True)
    assert results.ranked(window, 3) == ([7, 9, 4], False)


def test_scope_tokens_are_not_words(
    community: Community, member: User, visitor_client: Client
) -> None:
    """Each indexed row also carries its community ("c42") and a post its
    persona ("p7") as tokens, to narrow a search by community or author;
    searching for them finds nothing."""
    factories.make_thread(member, community, title="Scope", body="walking")
    persona = Persona.objects.get(user=member, kind=Persona.Kind.PERSONAL)
    for token in (f"c{community.pk}", f"p{persona.pk}"):
        for query in (token, f'"{token.upper()}"', f"walking {token}"):
            assert hit_count(search(visitor_client, query)) == 0
    assert hit_count(search(visitor_client, "walking", community=community.slug)) == 1
    assert hit_count(search(visitor_client, "walking", author=persona.public_id)) == 1


def test_the_author_filter_follows_a_persona_change(
    community: Community, clinician: User, visitor_client: Client
) -> None:
    """The persona token is rewritten with the post."""
    Membership.objects.create(community=community, user=clinician)
    personal = Persona.objects.get(user=clinician, kind=Persona.Kind.PERSONAL)
    anonymous = Persona.objects.get(
        user=clinician, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL
    )
    thread = factories.make_thread(clinician, community, body="statins")
    Post.objects.filter(thread=thread).update(persona=anonymous)
    assert hit_count(search(visitor_client, "statins", author=personal.public_id)) == 0
    assert hit_count(search(visitor_client, "statins", author=anonymous.public_id)) == 1


def test_the_community_filter_narrows_the_window(
    community: Community,
    organiser: User,
    member: User,
    visitor_client: Client,
    window_of_five: int,
) -> None:
    """Newer matches elsewhere do not fill a community's window."""
    other = factories.make_community(organiser, members=(member,))
    write_posts(member, community, "walking", 3)
    write_posts(member, other, "walking", 8)
    html = search(visitor_client, "walking", community=community.slug)
    assert "3 results for “walking”" in html
    assert other.name not in html.split("results-heading")[1]
