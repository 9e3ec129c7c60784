"""Threads and posts, with their tags, reactions, read states, subscriptions,
and the flags and moderation log of a living community.

Thread lengths are long-tailed: a lognormal draw (most threads under ten
posts, a few in the hundreds) plus one very long thread per scale. Posts are
built and inserted a batch at a time with ids assigned here, so a reply can
point at an earlier post and the notifications seeder at a post, without
reading anything back; the sequences are reset afterwards."""

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from itertools import islice

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils.text import slugify

from kinwell.discussions.models import (
    Flag,
    ModerationAction,
    Post,
    Reaction,
    ReadState,
    Sanction,
    Tag,
    TagFollow,
    Thread,
    ThreadSubscription,
)
from kinwell.notifications.models import Notification
from kinwell.seeding import text
from kinwell.seeding.registry import (
    BASE,
    Context,
    NotificationSeed,
    SeededCommunity,
)

# exp(1.1) ≈ 3 posts for the median thread; sigma makes the tail.
LENGTH_MU = 1.1
LENGTH_SIGMA = 1.15
# Members need a month to settle in before the talk starts.
QUIET_START = timedelta(days=30)
REACTION_COUNTS = ([0, 1, 2, 3, 4, 6], [40, 20, 15, 10, 8, 7])
REACTION_KINDS = (
    [kind.value for kind in Reaction.Kind],
    [35, 30, 20, 15],
)
THREADS_PER_TRANSACTION = 10_000
IN_REPLY_TO = 0.2
DELETED = 0.003
PINNED, LOCKED, CLOSED, MEMBERS_ONLY, WARNED = 0.01, 0.003, 0.01, 0.1, 0.2
CONTENT_WARNINGS = ["Talks about a hospital stay", "Mentions self-harm", "Grief"]
HIDE_REASONS = ["Advertising", "Unsafe medical advice", "Personal details of others"]
DISMISS_REASON = "Within the charter"


@dataclass
class Batch:
    """Rows waiting for their bulk insert, in foreign-key order."""

    threads: list[Thread] = field(default_factory=list)
    thread_tags: list[object] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    read_states: list[ReadState] = field(default_factory=list)
    subscriptions: list[ThreadSubscription] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    sanctions: list[Sanction] = field(default_factory=list)
    actions: list[ModerationAction] = field(default_factory=list)

    def insert(self, context: Context) -> None:
        for name, rows in vars(self).items():
            if rows:
                type(rows[0]).objects.bulk_create(rows)  # type: ignore[attr-defined]
                context.count(name, len(rows))
                rows.clear()


@dataclass
class Draft:
    """What is known of the thread being written, post by post."""

    community: SeededCommunity
    id: int
    first_post_id: int
    author_id: int
    length: int
    longest: bool
    authors: list[int] = field(default_factory=list)  # by post number - 1
    # poster -> (their first post's time, their last post's number)
    posters: dict[int, tuple[datetime, int]] = field(default_factory=dict)
    last_posted_at: datetime | None = None
    first_reply_at: datetime | None = None


def seed_discussions(context: Context) -> None:
    rng = context.rng
    bodies = text.bodies(rng, context.scale.bodies)
    pools = (bodies, [pair for pair in bodies if not pair[0].startswith(">")])
    titles = text.titles(rng, max(50, context.scale.bodies // 2))
    _tags(context)
    drafts = _drafts(context)
    batch = Batch()
    with _full_text_indexes_built_after(context):
        # Fewer, larger transactions: SQLite's search index (FTS5) writes a
        # new segment at each commit and merges them later, so small commits
        # cost many times the writing.
        while chunk := list(islice(drafts, THREADS_PER_TRANSACTION)):
            with transaction.atomic():
                for thread in chunk:
                    _write_thread(context, batch, thread, rng.choice(titles))
                    _write_posts(context, batch, thread, pools)
                    if len(batch.posts) >= context.scale.batch:
                        batch.insert(context)
                batch.insert(context)
            context.report(f"  {context.counts['posts']:,} posts")
    _follow_tags(context)
    _reset_sequences()


@contextmanager
def _full_text_indexes_built_after(context: Context) -> Iterator[None]:
    """PostgreSQL keeps its full-text GIN indexes up row by row, which makes
    a bulk load several times slower than building them once at the end, as
    a restore does. The statements are the search migration's own; the
    indexes are rebuilt even if the load fails. (SQLite's FTS5 triggers keep
    up well enough in large transactions.)"""
    if connection.vendor != "postgresql":
        yield
        return
    migration = import_module("kinwell.search.migrations.0001_fulltext_index")
    _execute(migration.POSTGRESQL_DROP)
    try:
        yield
    finally:
        started = time.monotonic()
        # Inside an outer transaction (tests), PostgreSQL will not build an
        # index on a table with deferred foreign-key checks still pending.
        if connection.in_atomic_block:
            connection.check_constraints()
        _execute(migration.POSTGRESQL_CREATE)
        context.report(f"  search indexes built in {time.monotonic() - started:.0f} s")


def _execute(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _drafts(context: Context) -> Iterator[Draft]:
    rng = context.rng
    lengths = _thread_lengths(rng, context)
    homes = _homes(rng, context, len(lengths))
    thread_id, post_id = _next_ids()
    for index, (length, home) in enumerate(zip(lengths, homes, strict=True)):
        community = context.communities[home]
        yield Draft(
            community=community,
            id=thread_id,
            first_post_id=post_id,
            author_id=_active(rng, community.member_ids),
            length=length,
            longest=index == 0,
        )
        thread_id, post_id = thread_id + 1, post_id + length


def _thread_lengths(rng: random.Random, context: Context) -> list[int]:
    scale = context.scale
    lengths = [scale.longest_thread]
    total = scale.longest_thread
    while total < scale.posts:
        drawn = int(rng.lognormvariate(LENGTH_MU, LENGTH_SIGMA))
        length = min(max(1, drawn), scale.thread_cap, scale.posts - total)
        lengths.append(length)
        total += length
    return lengths


def _homes(rng: random.Random, context: Context, count: int) -> list[int]:
    """The community of each thread: some communities are far busier than
    others. The longest thread goes to the first, which is public."""
    weights = [rng.lognormvariate(0, 1) for _ in context.communities]
    homes = rng.choices(range(len(weights)), weights=weights, k=count)
    homes[0] = 0
    return homes


def _next_ids() -> tuple[int, int]:
    thread = Thread.objects.aggregate(top=Max("id"))["top"] or 0
    post = Post.objects.aggregate(top=Max("id"))["top"] or 0
    return thread + 1, post + 1


def _active(rng: random.Random, member_ids: list[int]) -> int:
    # Squaring favours the start of the list: a few members write most posts.
    return member_ids[int(len(member_ids) * rng.random() ** 2)]


def _tags(context: Context) -> None:
    rows: list[Tag] = []
    for community in context.communities:
        for name in context.rng.sample(text.TAGS, context.rng.randint(5, 9)):
            rows.append(
                Tag(
                    community_id=community.id,
                    name=name,
                    slug=slugify(name),
                    created_at=community.created_at,
                )
            )
    made = Tag.objects.bulk_create(rows)
    by_id = {community.id: community for community in context.communities}
    for tag in made:
        by_id[tag.community_id].tag_ids.append(tag.pk)
    context.count("tags", len(made))


def _write_thread(context: Context, batch: Batch, thread: Draft, title: str) -> None:
    """The thread row; the longest thread starts early and stays open to
    every reader, so benchmarks always have a deep thread a visitor can read."""
    rng = context.rng
    community = thread.community
    earliest = community.created_at + QUIET_START
    started = earliest + (BASE - earliest) * rng.random() ** 0.7
    pinned, locked, closed = (rng.random() < p for p in (PINNED, LOCKED, CLOSED))
    members_only = rng.random() < MEMBERS_ONLY
    if thread.longest:
        started, members_only = earliest, False
        pinned = locked = closed = False
    row = Thread(
        id=thread.id,
        community_id=community.id,
        title=title,
        author_id=thread.author_id,
        audience=Thread.Audience.MEMBERS if members_only else Thread.Audience.EVERYONE,
        content_warning=rng.choice(CONTENT_WARNINGS) if rng.random() < 0.02 else "",
        is_pinned=pinned,
        is_locked=locked,
        is_closed=closed,
        post_count=thread.length,
        created_at=started,
        last_posted_at=started,
    )
    batch.threads.append(row)
    for tag_id in rng.sample(community.tag_ids, rng.choice((0, 1, 1, 2))):
        batch.thread_tags.append(
            Thread.tags.through(thread_id=thread.id, tag_id=tag_id)
        )
    for done, action in (
        (pinned, ModerationAction.Action.PIN),
        (locked, ModerationAction.Action.LOCK),
        (closed, ModerationAction.Action.CLOSE),
    ):
        if done:
            batch.actions.append(_action(rng, thread, action, started, post_id=None))


def _write_posts(
    context: Context,
    batch: Batch,
    thread: Draft,
    pools: tuple[list[tuple[str, str]], list[tuple[str, str]]],
) -> None:
    rng = context.rng
    row = batch.threads[-1]
    at = row.created_at
    # Minutes between posts: some threads are lively, most amble along; a
    # long one must still end before BASE.
    room = (BASE - at).total_seconds() / 60
    gap = min(rng.choice((20.0, 90.0, 360.0)), room / (thread.length + 1))
    flag_chance = context.scale.flags / context.scale.posts
    for number in range(1, thread.length + 1):
        if number > 1:
            at = min(BASE, at + timedelta(minutes=rng.expovariate(1 / gap)))
        post = _post(context, thread, number, at, pools[1 if number == 1 else 0])
        batch.posts.append(post)
        if post.status == Post.Status.DELETED:
            continue
        if number > 1 and rng.random() < flag_chance:
            _flag(context, batch, thread, post)
        if post.status == Post.Status.PUBLISHED:
            _published(context, batch, thread, post)
    row.last_posted_at = thread.last_posted_at or row.created_at
    row.first_reply_at = thread.first_reply_at
    _readers(context, batch, thread)


def _post(
    context: Context,
    thread: Draft,
    number: int,
    at: datetime,
    pool: list[tuple[str, str]],
) -> Post:
    rng = context.rng
    author_id = (
        thread.author_id if number == 1 else _active(rng, thread.community.member_ids)
    )
    thread.authors.append(author_id)
    first_seen = thread.posters.get(author_id, (at, number))[0]
    thread.posters[author_id] = (first_seen, number)
    body, html = rng.choice(pool)
    status = Post.Status.PUBLISHED
    if number > 1 and rng.random() < DELETED:
        status, body, html = Post.Status.DELETED, "", ""
    replying_to = None
    if number > 2 and rng.random() < IN_REPLY_TO:
        replying_to = rng.randint(max(1, number - 10), number - 1)
    return Post(
        id=thread.first_post_id + number - 1,
        community_id=thread.community.id,
        thread_id=thread.id,
        number=number,
        author_id=author_id,
        persona_id=context.personas[author_id][0],
        body=body,
        body_html=html,
        in_reply_to_id=thread.first_post_id + replying_to - 1 if replying_to else None,
        status=status,
        created_at=at,
        edited_at=at + timedelta(minutes=5) if rng.random() < 0.03 else None,
    )


def _published(context: Context, batch: Batch, thread: Draft, post: Post) -> None:
    """What follows a visible post: the thread is bumped, people react, and
    someone may be told."""
    thread.last_posted_at = post.created_at
    if thread.first_reply_at is None and post.author_id != thread.author_id:
        thread.first_reply_at = post.created_at
    _reactions(context, batch, thread, post)
    _maybe_notify(context, thread, post)


def _reactions(context: Context, batch: Batch, thread: Draft, post: Post) -> None:
    rng = context.rng
    members = thread.community.member_ids
    count = rng.choices(*REACTION_COUNTS)[0]
    if not count:
        return
    reactors = rng.sample(members, min(len(members), count + 1))
    for user_id in [u for u in reactors if u != post.author_id][:count]:
        batch.reactions.append(
            Reaction(
                post_id=post.pk,
                community_id=post.community_id,
                user_id=user_id,
                kind=rng.choices(*REACTION_KINDS)[0],
                created_at=post.created_at + timedelta(minutes=rng.randrange(1, 600)),
            )
        )


def _maybe_notify(context: Context, thread: Draft, post: Post) -> None:
    """A reply to someone, or in someone's thread, that they were told about
    (a sample: the scale says how many)."""
    if post.number == 1:
        return
    if context.rng.random() >= context.scale.notifications / context.scale.posts * 1.5:
        return
    reason, user_id = Notification.Reason.THREAD_REPLY, thread.author_id
    if post.in_reply_to_id is not None:
        replied = thread.authors[post.in_reply_to_id - thread.first_post_id]
        reason, user_id = Notification.Reason.REPLY, replied
    if user_id == post.author_id:
        return
    context.notifications.append(
        NotificationSeed(
            user_id=user_id,
            community_id=post.community_id,
            thread_id=thread.id,
            post_id=post.pk,
            reason=reason,
            actor_label=context.personas[thread.authors[post.number - 1]][1],
            created_at=post.created_at,
        )
    )


def _readers(context: Context, batch: Batch, thread: Draft) -> None:
    """Posters watch the thread (as the services make them) and most have
    read on; a couple of quiet readers have read some of it."""
    rng = context.rng
    for user_id, (first_at, last_number) in thread.posters.items():
        batch.subscriptions.append(
            ThreadSubscription(
                user_id=user_id,
                thread_id=thread.id,
                community_id=thread.community.id,
                level=ThreadSubscription.Level.WATCHING,
                created_at=first_at,
            )
        )
        if rng.random() < 0.7:
            batch.read_states.append(
                _read_state(thread, user_id, rng.randint(last_number, thread.length))
            )
    for user_id in rng.sample(thread.community.member_ids, 2):
        if user_id not in thread.posters and rng.random() < 0.5:
            batch.read_states.append(
                _read_state(thread, user_id, rng.randint(1, thread.length))
            )


def _read_state(thread: Draft, user_id: int, number: int) -> ReadState:
    return ReadState(
        user_id=user_id,
        thread_id=thread.id,
        community_id=thread.community.id,
        last_read_number=number,
        read_at=thread.last_posted_at or BASE,
    )


def _flag(context: Context, batch: Batch, thread: Draft, post: Post) -> None:
    """A member flags a reply: still open, dismissed, or acted on (the
    post hidden, and now and then its author warned)."""
    rng = context.rng
    reporter = rng.choice(thread.community.member_ids)
    if reporter == post.author_id:
        return
    outcome = rng.choice(
        (Flag.Status.OPEN, Flag.Status.DISMISSED, Flag.Status.ACTED_ON)
    )
    resolved_at = post.created_at + timedelta(hours=rng.randint(1, 48))
    flag = Flag(
        post_id=post.pk,
        community_id=post.community_id,
        reporter_id=reporter,
        reason=rng.choice(Flag.Reason.values),
        status=outcome,
        created_at=post.created_at + timedelta(minutes=rng.randint(5, 600)),
    )
    batch.flags.append(flag)
    if outcome == Flag.Status.OPEN:
        return
    dismissed = outcome == Flag.Status.DISMISSED
    action = _action(
        rng,
        thread,
        ModerationAction.Action.DISMISS if dismissed else ModerationAction.Action.HIDE,
        resolved_at,
        post_id=post.pk,
        reason=DISMISS_REASON if dismissed else rng.choice(HIDE_REASONS),
    )
    flag.resolved_at, flag.resolved_by_id = resolved_at, action.moderator_id
    batch.actions.append(action)
    if outcome == Flag.Status.ACTED_ON:
        post.status, post.hidden_reason = Post.Status.HIDDEN, action.reason
        if rng.random() < WARNED:
            _warn(context, batch, thread, post, action)


def _warn(
    context: Context,
    batch: Batch,
    thread: Draft,
    post: Post,
    hidden: ModerationAction,
) -> None:
    at = hidden.created_at + timedelta(minutes=10)
    assert post.author_id is not None
    batch.sanctions.append(
        Sanction(
            community_id=post.community_id,
            user_id=post.author_id,
            kind=Sanction.Kind.WARNING,
            reason=hidden.reason,
            created_at=at,
            created_by_id=hidden.moderator_id,
        )
    )
    warning = _action(
        context.rng,
        thread,
        ModerationAction.Action.WARN,
        at,
        post_id=post.pk,
        reason=hidden.reason,
    )
    warning.moderator_id, warning.subject_id = hidden.moderator_id, post.author_id
    batch.actions.append(warning)


def _action(
    rng: random.Random,
    thread: Draft,
    action: str,
    at: datetime,
    *,
    post_id: int | None,
    reason: str = "",
) -> ModerationAction:
    return ModerationAction(
        community_id=thread.community.id,
        action=action,
        reason=reason,
        moderator_id=rng.choice(thread.community.moderator_ids),
        signed=rng.random() < 0.5,
        thread_id=thread.id,
        post_id=post_id,
        created_at=at,
    )


def _follow_tags(context: Context) -> None:
    rng = context.rng
    rows = [
        TagFollow(
            user_id=user_id,
            tag_id=rng.choice(community.tag_ids),
            community_id=community.id,
            created_at=community.created_at + QUIET_START,
        )
        for community in context.communities
        for user_id in community.member_ids
        if rng.random() < 0.05
    ]
    TagFollow.objects.bulk_create(rows, batch_size=context.scale.batch)
    context.count("tag follows", len(rows))


def _reset_sequences() -> None:
    """Ids were given here: tell PostgreSQL's sequences where they now stand
    (SQLite's AUTOINCREMENT follows by itself), as loaddata does."""
    _execute(connection.ops.sequence_reset_sql(no_style(), [Thread, Post]))
