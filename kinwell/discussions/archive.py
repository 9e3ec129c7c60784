"""Discussions in the community archive: tags, threads, posts, reaction counts
and the moderation log (docs/archive-format.md describes the records).

What travels is what the community's members can read, and only the words
of people who agreed to it:

- threads that are published (held, hidden and deleted ones stay behind);
- posts keep their number, and replies point at a number in their thread,
  so the conversation keeps its shape. The text travels only for published
  posts whose author consented to portability (or that came in by an
  earlier import, with that consent). Anyone else's post is a placeholder
  without text; a hidden or deleted post is a placeholder saying so; a post
  whose author left and took their posts is left out entirely, as is a held
  post (it was never published);
- reactions as anonymous counts per post and kind, never who reacted;
- the moderation log without its subjects, and with a moderator only when
  they signed the entry and consented to portability.

On import nobody is an account yet (members are invited, not enrolled), so
every post is written with no author and a `placeholder_author` label: the
label the archive gives, or "a member (m-…)" with the start of the member's
pseudonym, so that a reader can still tell who answered whom. Every body is
cooked again by the Markdown pipeline: no HTML is taken from an archive."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery

from kinwell.communities.archive.kinds import (
    CHUNK_SIZE,
    PLACEHOLDER,
    AuthorRef,
    ExportContext,
    ImportContext,
    RecordKind,
    author_ref,
    register,
)
from kinwell.communities.archive.reader import ArchiveError
from kinwell.discussions.models import ModerationAction, Post, Reaction, Tag, Thread
from kinwell.lib.markdown import render_markdown

# The title of a thread whose opening words did not travel.
PLACEHOLDER_TITLE = "A conversation started by a former member"
# Shown in place of a post whose words did not travel.
NOT_CARRIED = "*This post was not carried over: its author did not agree to it.*"
MEMBER_LABEL = "a member ({ref})"
PSEUDONYM_SHOWN = 8


def _memo[T](
    context: ExportContext | ImportContext, key: str, make: Callable[[], T]
) -> T:
    """State for one export or import, kept on its context so that it lives
    exactly as long as the run (the contexts belong to communities.archive)."""
    store = vars(context)
    if key not in store:
        store[key] = make()
    found: T = store[key]
    return found


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


# Export: who may be read ------------------------------------------------------


def _took_their_posts(context: ExportContext) -> frozenset[int]:
    return _memo(
        context,
        "discussions_took",
        lambda: frozenset(u for u, keep in context.departed.items() if not keep),
    )


def _text_travels(context: ExportContext, author_id: int | None, label: str) -> bool:
    """Words travel with their author's consent: portability here, or, for a
    post without an account behind it, the consent it was imported with."""
    if author_id is None:
        return bool(label)
    return author_id in context.portable_ids


def _author(context: ExportContext, author_id: int | None, label: str) -> AuthorRef:
    if author_id is None and label:
        return {"placeholder": label}
    return author_ref(context, author_id) or dict(PLACEHOLDER)


def _threads(context: ExportContext) -> "QuerySet[Thread]":
    return Thread.objects.filter(
        community=context.community, status=Thread.Status.PUBLISHED
    ).order_by("pk")


def _thread_ids(context: ExportContext) -> dict[int, int]:
    """Archive ids of the exported threads: 1, 2, 3... in the order written."""

    def number() -> dict[int, int]:
        pks = _threads(context).values_list("pk", flat=True)
        return {pk: n for n, pk in enumerate(pks.iterator(CHUNK_SIZE), start=1)}

    return _memo(context, "discussions_thread_ids", number)


def _exported_posts(context: ExportContext) -> "QuerySet[Post]":
    return (
        Post.objects.filter(
            community=context.community, thread__status=Thread.Status.PUBLISHED
        )
        .exclude(status=Post.Status.HELD)
        .exclude(author_id__in=_took_their_posts(context))
    )


# Export: the records ----------------------------------------------------------


def _tags(context: ExportContext) -> Iterator[Tag]:
    rows = Tag.objects.filter(community=context.community).order_by("slug")
    return rows.iterator(chunk_size=CHUNK_SIZE)


def _serialise_tag(context: ExportContext, row: Tag) -> dict[str, Any]:
    return {"name": row.name, "slug": row.slug, "created_at": _stamp(row.created_at)}


def _thread_rows(context: ExportContext) -> Iterator[Thread]:
    opening = Post.objects.filter(thread=OuterRef("pk"), number=1)
    rows = _threads(context).annotate(
        opening_author=Subquery(opening.values("author_id")[:1]),
        opening_label=Subquery(opening.values("placeholder_author")[:1]),
    )
    tags = Prefetch("tags", queryset=Tag.objects.order_by("slug").only("slug"))
    return rows.prefetch_related(tags).iterator(chunk_size=CHUNK_SIZE)


def _serialise_thread(context: ExportContext, row: Any) -> dict[str, Any]:
    titled = _text_travels(context, row.opening_author, row.opening_label or "")
    return {
        "id": _thread_ids(context)[row.pk],
        "title": row.title if titled else PLACEHOLDER_TITLE,
        "tags": [tag.slug for tag in row.tags.all()],
        "audience": row.audience,
        "content_warning": row.content_warning,
        "is_pinned": row.is_pinned,
        "is_locked": row.is_locked,
        "is_closed": row.is_closed,
        "post_count": row.post_count,
        "created_at": _stamp(row.created_at),
        "last_posted_at": _stamp(row.last_posted_at),
        "first_reply_at": _stamp(row.first_reply_at),
    }


POST_FIELDS = (
    "thread_id", "number", "author_id", "placeholder_author", "status", "body",
    "created_at", "edited_at", "in_reply_to__thread_id", "in_reply_to__number",
    "in_reply_to__status", "in_reply_to__author_id",
)  # fmt: skip


def _post_rows(context: ExportContext) -> Iterator[dict[str, Any]]:
    rows = _exported_posts(context).order_by("thread_id", "number")
    yield from rows.values(*POST_FIELDS).iterator(chunk_size=CHUNK_SIZE)


def _serialise_post(context: ExportContext, row: dict[str, Any]) -> dict[str, Any]:
    author, label = row["author_id"], row["placeholder_author"]
    readable = row["status"] == Post.Status.PUBLISHED and row["body"]
    text = row["body"] if readable and _text_travels(context, author, label) else None
    return {
        "thread": _thread_ids(context)[row["thread_id"]],
        "number": row["number"],
        "author": _author(context, author, label),
        "status": row["status"],
        "body": text,
        "in_reply_to": _reply_number(context, row),
        "created_at": _stamp(row["created_at"]),
        "edited_at": _stamp(row["edited_at"]),
    }


def _reply_number(context: ExportContext, row: dict[str, Any]) -> int | None:
    """The number the post answers, if that post is in the archive too."""
    if row["in_reply_to__thread_id"] != row["thread_id"]:
        return None
    if row["in_reply_to__status"] == Post.Status.HELD:
        return None
    if row["in_reply_to__author_id"] in _took_their_posts(context):
        return None
    number: int = row["in_reply_to__number"]
    return number


def _reaction_counts(context: ExportContext) -> "QuerySet[Any, Any]":
    return (
        Reaction.objects.filter(post__in=_exported_posts(context).values("pk"))
        .exclude(user_id__in=_took_their_posts(context))
        .values("post__thread_id", "post__number", "kind")
        .annotate(count=Count("pk"))
        .order_by("post__thread_id", "post__number", "kind")
    )


def _reaction_rows(context: ExportContext) -> Iterator[dict[str, Any]]:
    return _reaction_counts(context).iterator(chunk_size=CHUNK_SIZE)


def _serialise_reaction(context: ExportContext, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "thread": _thread_ids(context)[row["post__thread_id"]],
        "number": row["post__number"],
        "kind": row["kind"],
        "count": row["count"],
    }


LOG_FIELDS = (
    "action", "reason", "moderator_id", "signed", "thread_id", "post__thread_id",
    "post__number", "post__status", "post__author_id", "created_at",
)  # fmt: skip


def _log_rows(context: ExportContext) -> Iterator[dict[str, Any]]:
    rows = ModerationAction.objects.filter(community=context.community)
    rows = rows.order_by("created_at", "pk")
    yield from rows.values(*LOG_FIELDS).iterator(chunk_size=CHUNK_SIZE)


def _serialise_log(context: ExportContext, row: dict[str, Any]) -> dict[str, Any]:
    """Never the member a sanction concerned; the moderator only if they
    signed and consented to portability."""
    moderator = row["moderator_id"]
    signed = row["signed"] and moderator in context.portable_ids
    thread_pk = row["thread_id"] or row["post__thread_id"]
    thread = _thread_ids(context).get(thread_pk) if thread_pk else None
    return {
        "action": row["action"],
        "reason": row["reason"],
        "moderator": {"member": context.ref(moderator)} if signed else None,
        "thread": thread,
        "post": _logged_post(context, row, thread_pk) if thread else None,
        "created_at": _stamp(row["created_at"]),
    }


def _logged_post(
    context: ExportContext, row: dict[str, Any], thread_pk: int
) -> int | None:
    if row["post__thread_id"] != thread_pk or row["post__status"] == Post.Status.HELD:
        return None
    if row["post__author_id"] in _took_their_posts(context):
        return None
    number: int = row["post__number"]
    return number


# Import -----------------------------------------------------------------------


@dataclass
class _Importing:
    """What an import of discussions remembers between records: small maps
    of numbers, never rows (a row is held only until its batch is written)."""

    tag_slugs: set[str] = field(default_factory=set)
    tag_pks: dict[str, int] | None = None
    # Archive thread id -> (its position in the archive, its post_count).
    threads: dict[int, tuple[int, int]] = field(default_factory=dict)
    thread_pks: list[int] | None = None
    last_post: tuple[int, int] = (0, 0)
    # This thread's posts so far, by number: the pk once written.
    numbers: dict[int, Post | int] = field(default_factory=dict)


def _importing(context: ImportContext) -> _Importing:
    return _memo(context, "discussions_import", _Importing)


def _import_tag(context: ImportContext, record: dict[str, Any]) -> None:
    seen = _importing(context).tag_slugs
    if record["slug"] in seen:
        raise ArchiveError(f"records/tags.jsonl: the tag {record['slug']!r} twice.")
    seen.add(record["slug"])
    context.save_later(
        Tag(
            community=context.new_community,
            name=record["name"],
            slug=record["slug"],
            created_at=datetime.fromisoformat(record["created_at"]),
        )
    )


def _tag_pks(context: ImportContext, state: _Importing) -> dict[str, int]:
    if state.tag_pks is None:
        rows = Tag.objects.filter(community=context.new_community)
        state.tag_pks = dict(rows.values_list("slug", "pk"))
    return state.tag_pks


def _import_thread(context: ImportContext, record: dict[str, Any]) -> None:
    state = _importing(context)
    if record["id"] in state.threads:
        raise ArchiveError(f"records/threads.jsonl: thread {record['id']} twice.")
    tag_pks = [_tag_pk(context, state, slug) for slug in dict.fromkeys(record["tags"])]
    thread = Thread(
        community=context.new_community,
        title=record["title"],
        audience=record["audience"],
        content_warning=record["content_warning"],
        is_pinned=record["is_pinned"],
        is_locked=record["is_locked"],
        is_closed=record["is_closed"],
        post_count=record["post_count"],
        created_at=datetime.fromisoformat(record["created_at"]),
        last_posted_at=datetime.fromisoformat(record["last_posted_at"]),
        first_reply_at=_parse(record["first_reply_at"]),
    )
    state.threads[record["id"]] = (len(state.threads) + 1, record["post_count"])
    context.save_later(thread)
    if tag_pks:
        context.flush()  # the tag links need the thread's pk
        for tag_pk in tag_pks:
            context.save_later(Thread.tags.through(thread_id=thread.pk, tag_id=tag_pk))


def _tag_pk(context: ImportContext, state: _Importing, slug: str) -> int:
    try:
        return _tag_pks(context, state)[slug]
    except KeyError:
        raise ArchiveError(
            f"records/threads.jsonl: the tag {slug[:40]!r} is not in "
            "records/tags.jsonl."
        ) from None


def _thread_pk(context: ImportContext, state: _Importing, position: int) -> int:
    if state.thread_pks is None:
        # Threads were written in archive order, so their pks are in it too.
        rows = Thread.objects.filter(community=context.new_community).order_by("pk")
        state.thread_pks = list(rows.values_list("pk", flat=True))
    return state.thread_pks[position - 1]


def _thread_of(state: _Importing, thread_id: int, entry: str) -> tuple[int, int]:
    try:
        return state.threads[thread_id]
    except KeyError:
        raise ArchiveError(
            f"{entry}: thread {thread_id} is not in records/threads.jsonl."
        ) from None


def _import_post(context: ImportContext, record: dict[str, Any]) -> None:
    state = _importing(context)
    position, post_count = _thread_of(state, record["thread"], "records/posts.jsonl")
    number = record["number"]
    _check_order(state, position, number, post_count)
    reply_to = _reply_target(context, state, record["in_reply_to"], number)
    post = Post(
        community=context.new_community,
        thread_id=_thread_pk(context, state, position),
        number=number,
        placeholder_author=_label(record["author"]),
        status=record["status"],
        in_reply_to_id=reply_to,
        created_at=datetime.fromisoformat(record["created_at"]),
        edited_at=_parse(record["edited_at"]),
        **_text(record),
    )
    context.save_later(post)
    state.numbers[number] = post
    if not context.pending:
        _keep_pks(state)


def _check_order(state: _Importing, position: int, number: int, count: int) -> None:
    if (position, number) <= state.last_post:
        raise ArchiveError(
            "records/posts.jsonl: posts must be in order of thread, then number, "
            f"each once (post {number} of thread {position} is out of order)."
        )
    if number > count:
        raise ArchiveError(
            f"records/posts.jsonl: post {number} is past its thread's post_count."
        )
    if position != state.last_post[0]:
        state.numbers = {}
    state.last_post = (position, number)


def _reply_target(
    context: ImportContext, state: _Importing, target: int | None, number: int
) -> int | None:
    """The pk of the post answered: an earlier post of the same thread."""
    found = state.numbers.get(target) if target and target < number else None
    if not isinstance(found, Post):
        return found
    if found.pk is None:  # still waiting in the batch: write the batch now
        context.flush()
        _keep_pks(state)
    pk: int = found.pk
    return pk


def _keep_pks(state: _Importing) -> None:
    # Once a batch is written, remember its posts by pk and let the rows go.
    state.numbers = {
        number: post.pk if isinstance(post, Post) and post.pk else post
        for number, post in state.numbers.items()
    }


def _label(author: dict[str, str]) -> str:
    if "member" in author:
        return MEMBER_LABEL.format(ref=author["member"][:PSEUDONYM_SHOWN])
    return author.get("placeholder") or PLACEHOLDER["placeholder"]


def _text(record: dict[str, Any]) -> dict[str, str]:
    """The post's words, cooked here: the archive's HTML is never trusted."""
    if record["status"] != Post.Status.PUBLISHED:
        return {"body": "", "body_html": ""}
    if record["body"] is None:
        return {"body": "", "body_html": str(render_markdown(NOT_CARRIED))}
    return {"body": record["body"], "body_html": str(render_markdown(record["body"]))}


def _import_reaction(context: ImportContext, record: dict[str, Any]) -> None:
    """The archive's reactions are anonymous counts: they come back as that
    many reactions by nobody here (`user` empty), so the post shows the same
    counts and "who reacted" says they came with the archive."""
    state = _importing(context)
    entry = "records/reactions.jsonl"
    position, _ = _thread_of(state, record["thread"], entry)
    thread_pk = _thread_pk(context, state, position)
    post_pk = (
        Post.objects.filter(thread_id=thread_pk, number=record["number"])
        .values_list("pk", flat=True)
        .first()
    )
    if post_pk is None:
        raise ArchiveError(
            f"{entry}: post {record['number']} of thread {record['thread']} "
            "is not in records/posts.jsonl."
        )
    for _ in range(record["count"]):
        context.save_later(
            Reaction(
                post_id=post_pk,
                community=context.new_community,
                user=None,
                kind=record["kind"],
            )
        )


def _import_log(context: ImportContext, record: dict[str, Any]) -> None:
    """An entry of the moderation log. Its moderator is not an account here,
    so it is written unsigned ("A moderator")."""
    state = _importing(context)
    thread_pk = post_pk = None
    if record["thread"] is not None:
        entry = "records/moderation_log.jsonl"
        position, _ = _thread_of(state, record["thread"], entry)
        thread_pk = _thread_pk(context, state, position)
    if thread_pk is not None and record["post"] is not None:
        posts = Post.objects.filter(thread_id=thread_pk, number=record["post"])
        post_pk = posts.values_list("pk", flat=True).first()
    context.save_later(
        ModerationAction(
            community=context.new_community,
            action=record["action"],
            reason=record["reason"],
            thread_id=thread_pk,
            post_id=post_pk,
            created_at=datetime.fromisoformat(record["created_at"]),
        )
    )


# Registration -----------------------------------------------------------------


def _count(
    rows: Callable[[ExportContext], "QuerySet[Any, Any]"],
) -> Callable[[ExportContext], int]:
    return lambda context: rows(context).count()


register(
    RecordKind(
        name="tags",
        rows=_tags,
        count=lambda context: Tag.objects.filter(community=context.community).count(),
        serialise=_serialise_tag,
        import_row=_import_tag,
    )
)
register(
    RecordKind(
        name="threads",
        rows=_thread_rows,
        count=_count(_threads),
        serialise=_serialise_thread,
        import_row=_import_thread,
    )
)
register(
    RecordKind(
        name="posts",
        rows=_post_rows,
        count=_count(_exported_posts),
        serialise=_serialise_post,
        import_row=_import_post,
    )
)
register(
    RecordKind(
        name="reactions",
        rows=_reaction_rows,
        count=_count(_reaction_counts),
        serialise=_serialise_reaction,
        import_row=_import_reaction,
    )
)
register(
    RecordKind(
        name="moderation_log",
        rows=_log_rows,
        count=lambda context: ModerationAction.objects.filter(
            community=context.community
        ).count(),
        serialise=_serialise_log,
        import_row=_import_log,
    )
)
