"""Discussions in the portable archive: what travels and who is named, the
round trip, and everything an import refuses or cleans."""

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from kinwell.accounts.models import User
from kinwell.communities import services as community_services
from kinwell.communities.archive import schema
from kinwell.communities.archive.reader import ArchiveError
from kinwell.communities.models import Community
from kinwell.discussions import services
from kinwell.discussions.archive import NOT_CARRIED, PLACEHOLDER_TITLE
from kinwell.discussions.models import (
    ModerationAction,
    Post,
    Reaction,
    Tag,
    Thread,
)
from kinwell.lib.markdown import render_markdown
from tests import factories
from tests.test_archive import (
    build,
    consent,
    entries,
    export_bytes,
    import_bytes,
    records,
)

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "docs" / "archive-schema"
KINDS = ("tags", "threads", "posts", "reactions", "moderation_log")


@pytest.fixture
def talk(
    community: Community, organiser: User, moderator: User, member: User, carer: User
) -> dict[str, Any]:
    """A conversation in `community`: the member and the moderator consented
    to portability, the carer and the organiser did not; a member who left
    took their posts with them."""
    consent(member)
    consent(moderator)
    fatigue = services.create_tag(organiser, community=community, name="Fatigue")
    first = factories.make_thread(
        member,
        community,
        title="Resting without guilt",
        body="I rest **a lot** now.",
        tags=[fatigue],
    )
    opening = first.posts.get(number=1)
    by_carer = services.reply(carer, thread=first, body="Carer's private worry")
    services.reply(moderator, thread=first, body="Welcome!", in_reply_to=opening)
    answer = services.reply(member, thread=first, body="Thanks", in_reply_to=by_carer)
    hidden = services.reply(member, thread=first, body="Too much detail")
    Post.objects.filter(pk=hidden.pk).update(status=Post.Status.HIDDEN)
    gone = services.reply(member, thread=first, body="Never mind")
    services.delete_post(member, post=gone)
    held = services.reply(member, thread=first, body="Waiting for approval")
    Post.objects.filter(pk=held.pk).update(status=Post.Status.HELD)
    leaver = factories.make_user("Lee Leaver")
    community_services.join_community(leaver, community=community)
    took = services.reply(leaver, thread=first, body="Leaver's words")
    services.toggle_reaction(carer, post=opening, kind="thank_you")
    services.toggle_reaction(moderator, post=opening, kind="thank_you")
    services.toggle_reaction(leaver, post=opening, kind="me_too")
    services.toggle_reaction(moderator, post=answer, kind="helpful")
    community_services.leave_community(leaver, community=community, keep_posts=False)
    second = factories.make_thread(carer, community, title="My private diagnosis")
    ModerationAction.objects.create(
        community=community,
        action=ModerationAction.Action.HIDE,
        reason="Personal details",
        moderator=moderator,
        signed=True,
        thread=first,
        post=hidden,
        subject=member,
    )
    ModerationAction.objects.create(
        community=community,
        action=ModerationAction.Action.WARN,
        reason="Be kind",
        moderator=organiser,
        signed=True,
        subject=carer,
    )
    return {"first": first, "second": second, "took": took}


def _by_number(data: bytes) -> dict[tuple[int, int], dict[str, Any]]:
    return {(p["thread"], p["number"]): p for p in records(data, "posts")}


# What travels ----------------------------------------------------------------


def test_threads_and_tags_travel_with_titles_only_by_consent(
    community: Community, talk: dict[str, Any]
) -> None:
    data = export_bytes(community)
    assert [t["slug"] for t in records(data, "tags")] == ["fatigue"]
    first, second = records(data, "threads")
    assert (first["id"], first["title"], first["tags"]) == (
        1,
        "Resting without guilt",
        ["fatigue"],
    )
    talk["first"].refresh_from_db()
    assert first["post_count"] == talk["first"].post_count == 8
    # The carer did not consent: their thread keeps its place, not their words.
    assert (second["id"], second["title"]) == (2, PLACEHOLDER_TITLE)
    assert b"My private diagnosis" not in b"".join(entries(data).values())


def test_posts_keep_numbers_and_replies_with_text_only_by_consent(
    community: Community, member: User, talk: dict[str, Any]
) -> None:
    data = export_bytes(community)
    posts = _by_number(data)
    (member_ref,) = {
        posts[(1, 1)]["author"]["member"],
        posts[(1, 4)]["author"]["member"],
    }
    assert posts[(1, 1)]["body"] == "I rest **a lot** now."
    assert posts[(1, 2)]["author"] == {"placeholder": "a former member"}
    assert posts[(1, 2)]["body"] is None
    assert posts[(1, 3)]["in_reply_to"] == 1
    assert posts[(1, 3)]["body"] == "Welcome!"
    assert (posts[(1, 4)]["body"], posts[(1, 4)]["in_reply_to"]) == ("Thanks", 2)
    assert (posts[(1, 5)]["status"], posts[(1, 5)]["body"]) == ("hidden", None)
    assert (posts[(1, 6)]["status"], posts[(1, 6)]["body"]) == ("deleted", None)
    # Held (never published) and taken away (by their author's choice): absent.
    assert set(posts) == {(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (2, 1)}
    everything = b"".join(entries(data).values())
    for words in (b"Carer's private worry", b"Too much detail", b"Waiting for", b"Lee"):
        assert words not in everything
    refs = {record["ref"] for record in records(data, "members")}
    assert member_ref in refs


def test_reactions_are_anonymous_counts_without_those_who_took_their_posts(
    community: Community, talk: dict[str, Any]
) -> None:
    data = export_bytes(community)
    assert records(data, "reactions") == [
        {"thread": 1, "number": 1, "kind": "thank_you", "count": 2},
        {"thread": 1, "number": 4, "kind": "helpful", "count": 1},
    ]


def test_moderation_log_names_no_subject_and_only_signed_portable_moderators(
    community: Community, moderator: User, talk: dict[str, Any]
) -> None:
    data = export_bytes(community)
    hide, warn = records(data, "moderation_log")
    refs = {r["ref"] for r in records(data, "members") if r["portable"]}
    assert hide["moderator"]["member"] in refs
    assert (hide["action"], hide["thread"], hide["post"]) == ("hide", 1, 5)
    # The organiser signed, but did not consent to portability.
    assert (warn["action"], warn["moderator"], warn["thread"]) == ("warn", None, None)
    for entry in (hide, warn):
        assert set(entry) == {
            "action", "reason", "moderator", "thread", "post", "created_at",
        }  # fmt: skip


def test_every_discussion_record_validates_against_its_json_schema(
    community: Community, talk: dict[str, Any]
) -> None:
    files = entries(export_bytes(community))
    for kind in KINDS:
        validator = jsonschema_rs.validator_for(_schema_file(kind))
        lines = files[f"records/{kind}.jsonl"].splitlines()
        assert lines, kind
        for line in lines:
            validator.validate(json.loads(line))


def test_schema_enums_follow_the_models() -> None:
    posts = _schema_file("posts")["properties"]
    assert set(posts["status"]["enum"]) == set(Post.Status.values) - {"held"}
    kinds = _schema_file("reactions")["properties"]["kind"]["enum"]
    assert set(kinds) == set(Reaction.Kind.values)
    actions = _schema_file("moderation_log")["properties"]["action"]["enum"]
    assert set(actions) == set(ModerationAction.Action.values)
    audiences = _schema_file("threads")["properties"]["audience"]["enum"]
    assert set(audiences) == set(Thread.Audience.values)


def _schema_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (SCHEMA_DIR / f"{name}.schema.json").read_text()
    )
    return loaded


GOOD_POST = {
    "thread": 1,
    "number": 1,
    "author": {"placeholder": "a former member"},
    "status": "published",
    "body": "Hello",
    "in_reply_to": None,
    "created_at": "2026-11-21T06:31:08+00:00",
    "edited_at": None,
}


@pytest.mark.parametrize(
    ("kind", "record"),
    [
        ("posts", {**GOOD_POST, "body_html": "<p>Hello</p>"}),
        ("posts", {**GOOD_POST, "status": "held"}),
        ("posts", {**GOOD_POST, "number": 0}),
        ("posts", {**GOOD_POST, "author": {"member": "Mo Member"}}),
        ("posts", {**GOOD_POST, "author": {"email": "mo@example.org"}}),
        ("posts", {**GOOD_POST, "created_at": None}),
        ("reactions", {"thread": 1, "number": 1, "kind": "me_too", "user": "m-1"}),
        ("reactions", {"thread": 1, "number": 1, "kind": "angry", "count": 1}),
        (
            "moderation_log",
            {
                "action": "ban",
                "reason": "",
                "moderator": None,
                "thread": None,
                "post": None,
                "created_at": "2026-11-21T06:31:08+00:00",
                "subject": "m-" + "a" * 24,
            },
        ),
        ("tags", {"name": "Fatigue", "slug": "../x", "created_at": "2026-11-21"}),
    ],
)
def test_the_import_checker_refuses_what_the_schema_refuses(
    kind: str, record: dict[str, Any]
) -> None:
    assert jsonschema_rs.validator_for(_schema_file("posts")).is_valid(GOOD_POST)
    assert not jsonschema_rs.validator_for(_schema_file(kind)).is_valid(record)
    assert schema.problems(record, schema.load_schema(kind))


# Import and the round trip ---------------------------------------------------


def test_import_writes_threads_and_posts_with_placeholder_authors(
    community: Community, administrator: User, member: User, talk: dict[str, Any]
) -> None:
    data = export_bytes(community)
    member_ref = _by_number(data)[(1, 1)]["author"]["member"]
    imported = import_bytes(data, administrator, slug="second-home")
    first, second = Thread.objects.filter(community=imported).order_by("pk")
    assert (first.title, second.title) == ("Resting without guilt", PLACEHOLDER_TITLE)
    assert [tag.slug for tag in first.tags.all()] == ["fatigue"]
    posts = {post.number: post for post in first.posts.all()}
    assert sorted(posts) == [1, 2, 3, 4, 5, 6]
    assert not any(post.author_id for post in Post.objects.filter(community=imported))
    assert posts[1].placeholder_author == f"a member ({member_ref[:8]})"
    assert posts[1].body_html == str(render_markdown("I rest **a lot** now."))
    assert posts[2].placeholder_author == "a former member"
    assert posts[2].body == ""
    assert posts[2].body_html == str(render_markdown(NOT_CARRIED))
    assert posts[4].in_reply_to == posts[2]
    assert posts[3].in_reply_to == posts[1]
    assert (posts[5].status, posts[5].body) == ("hidden", "")
    hide, warn = ModerationAction.objects.filter(community=imported).order_by("pk")
    assert (hide.thread, hide.post, hide.moderator, hide.signed) == (
        first,
        posts[5],
        None,
        False,
    )
    assert (warn.subject, warn.reason) == (None, "Be kind")
    # Reactions are anonymous counts: they come back as reactions by nobody
    # here, as many of each kind as the archive says.
    imported_reactions = Reaction.objects.filter(community=imported)
    assert not imported_reactions.filter(user__isnull=False).exists()
    assert sorted(imported_reactions.values_list("post__number", "kind")) == sorted(
        Reaction.objects.filter(community=community)
        .exclude(user__departures__community=community)
        .values_list("post__number", "kind")
    )


def test_export_import_export_keeps_the_discussions(
    community: Community, administrator: User, talk: dict[str, Any]
) -> None:
    first = export_bytes(community)
    second = export_bytes(import_bytes(first, administrator, slug="second-home"))
    third = export_bytes(import_bytes(second, administrator, slug="third-home"))
    for kind in ("tags", "threads"):
        assert records(second, kind) == records(first, kind)
    # Pseudonyms are not accounts: after an import, a member's posts carry the
    # label made from their pseudonym, and stay as they are from then on.
    assert records(second, "posts") == [
        _as_imported(p) for p in records(first, "posts")
    ]
    for kind in ("tags", "threads", "posts"):
        assert records(third, kind) == records(second, kind)
    # Imported moderation entries are unsigned; reaction counts stay whole.
    unsigned = [{**e, "moderator": None} for e in records(first, "moderation_log")]
    assert records(second, "moderation_log") == unsigned
    assert records(third, "moderation_log") == unsigned
    assert records(first, "reactions")
    assert records(second, "reactions") == records(first, "reactions")
    assert records(third, "reactions") == records(first, "reactions")


def _as_imported(post: dict[str, Any]) -> dict[str, Any]:
    author = post["author"]
    if "member" in author:
        author = {"placeholder": f"a member ({author['member'][:8]})"}
    return {**post, "author": author}


def test_a_script_in_an_archived_post_is_cleaned_on_import(
    community: Community, administrator: User, talk: dict[str, Any]
) -> None:
    data = export_bytes(community)
    posts = records(data, "posts")
    posts[0]["body"] = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    imported = import_bytes(
        build(_with_records(data, "posts", posts)), administrator, slug="elsewhere"
    )
    opening = Post.objects.get(
        community=imported, number=1, thread__title__contains="guilt"
    )
    assert "<script" not in opening.body_html
    assert "<img" not in opening.body_html
    assert "onerror" not in opening.body_html


def _with_records(
    data: bytes, kind: str, rows: list[dict[str, Any]]
) -> dict[str, bytes]:
    files = entries(data)
    files[f"records/{kind}.jsonl"] = b"".join(
        json.dumps(row).encode() + b"\n" for row in rows
    )
    manifest = json.loads(files["manifest.json"])
    manifest["counts"][kind] = len(rows)
    files["manifest.json"] = json.dumps(manifest).encode()
    return files


def _spoiled_posts(posts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {
        "unknown thread": [{**posts[0], "thread": 99}, *posts[1:]],
        "out of order": [posts[1], posts[0], *posts[2:]],
        "twice": [posts[0], *posts],
        "past post_count": [*posts, {**posts[-1], "number": 50}],
        "bad schema": [{**posts[0], "status": "held"}, *posts[1:]],
    }


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("unknown thread", "thread 99 is not in records/threads.jsonl"),
        ("out of order", "posts must be in order of thread, then number"),
        ("twice", "posts must be in order of thread, then number"),
        ("past post_count", "post 50 is past its thread's post_count"),
        ("bad schema", "records/posts.jsonl line 1: status: 'held' is not one of"),
    ],
)
def test_a_bad_post_record_is_refused_and_nothing_is_written(
    problem: str,
    message: str,
    community: Community,
    administrator: User,
    talk: dict[str, Any],
) -> None:
    data = export_bytes(community)
    spoiled = _spoiled_posts(records(data, "posts"))[problem]
    before = (Community.objects.count(), Thread.objects.count(), Tag.objects.count())
    with pytest.raises(ArchiveError, match=message.replace("(", r"\(")):
        import_bytes(
            build(_with_records(data, "posts", spoiled)), administrator, "second-home"
        )
    after = (Community.objects.count(), Thread.objects.count(), Tag.objects.count())
    assert after == before


def test_a_thread_naming_an_unknown_tag_is_refused(
    community: Community, administrator: User, talk: dict[str, Any]
) -> None:
    data = export_bytes(community)
    threads = records(data, "threads")
    threads[0]["tags"] = ["nowhere"]
    with pytest.raises(ArchiveError, match="the tag 'nowhere' is not in"):
        import_bytes(
            build(_with_records(data, "threads", threads)), administrator, "second-home"
        )
    assert not Community.objects.filter(slug="second-home").exists()


def test_a_tag_listed_twice_is_refused(
    community: Community, administrator: User, talk: dict[str, Any]
) -> None:
    data = export_bytes(community)
    tags = records(data, "tags") * 2
    with pytest.raises(ArchiveError, match="the tag 'fatigue' twice"):
        import_bytes(
            build(_with_records(data, "tags", tags)), administrator, "second-home"
        )
    assert not Community.objects.filter(slug="second-home").exists()


def test_long_threads_import_with_replies_across_batches(
    community: Community, administrator: User, member: User
) -> None:
    consent(member)
    thread = factories.make_thread(member, community)
    factories.make_replies(member, thread, 4500)
    opening = thread.posts.get(number=1)
    Post.objects.filter(thread=thread, number__gt=1).update(in_reply_to=opening)
    last = Post.objects.get(thread=thread, number=4501)
    Post.objects.filter(thread=thread, number=4501).update(
        in_reply_to=Post.objects.get(thread=thread, number=4500)
    )
    data = export_bytes(community)
    assert len(records(data, "posts")) == 4501
    imported = import_bytes(data, administrator, slug="long-home")
    copy = Post.objects.get(community=imported, number=4501)
    assert copy.in_reply_to is not None
    assert copy.in_reply_to.number == 4500
    assert copy.body == last.body
    first_reply = Post.objects.get(community=imported, number=2)
    assert first_reply.in_reply_to == Post.objects.get(community=imported, number=1)
