"""SQLite: two FTS5 tables, kept in step with the discussions by triggers.

`search_postindex` holds the body of each published post (rowid = post id),
`search_threadindex` the title of each published thread (rowid = thread id).
Triggers copy every write, whoever makes it: services, moderation, bulk
updates and imports alike. Held, hidden and deleted text is never copied in.
Of communities, only each row's community id is copied, as a token that lets
a search in one community narrow the matches fast; who may read what is
always decided by joining the post and thread rows, so it is always current.

Each trigger names only its own table and its index, so SQLite can still
rebuild a discussions table to alter it. Doing so drops that table's
triggers: `ensure_triggers` (run after every migrate) puts them back."""

# Raw SQL is this package's job. Every value travels as a parameter; the
# f-strings put together only the constants below.
# ruff: noqa: S608, S611

import sqlite3
from collections.abc import Sequence

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from kinwell.discussions.models import Post
from kinwell.search.backends import (
    CLOSE,
    OPEN,
    TITLE_WEIGHT,
    Snippet,
    Terms,
    Window,
    visible,
)

POSTS = "search_postindex"
THREADS = "search_threadindex"
TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"
# From SQLite 3.42, FTS5 can erase a deleted or changed row's words from the
# index at once rather than at a later merge, so text a moderator removes
# leaves no trace in it.
SECURE_DELETE_SINCE = (3, 42, 0)
SECURE_DELETE = "INSERT INTO {index} ({index}, rank) VALUES ('secure-delete', 1)"
# Each row also holds its community as one token ("c42"), and a post its
# persona ("p7"), in a column of its own, so that a search in one community
# or by one persona is an intersection FTS5 walks fast rather than a check
# of every match. They only narrow: who may read what is still decided by
# the post and thread rows at search time, so a stale token could hide a
# post, never show one.
SCOPE = "scope"
COMMUNITY = "c"
PERSONA = "p"
# Words in a snippet of the body; the title is always highlighted whole.
SNIPPET_WORDS = 30
SNIPPET = f"snippet({POSTS}, 0, %s, %s, '…', {SNIPPET_WORDS})"
# The scope column weighs nothing in the ranking.
BM25_POSTS = f"bm25({POSTS}, 1.0, 0.0)"
BM25_THREADS = f"bm25({THREADS}, 1.0, 0.0)"
HIGHLIGHT = f"highlight({THREADS}, 0, %s, %s)"
# The newest matches, body and title, in one query. FTS5 hands its matches
# in rowid order (post and thread ids, which follow time) and stops at the
# LIMIT, so a search reads a few hundred rows however many match. The
# visibility rules are a condition on each match (EXISTS, by primary key),
# inside the limited scan: what the searcher may not read is skipped, never
# counted. CROSS JOIN keeps the title index as the outer loop, so its order
# holds. bm25 is negative: lower is better.
WINDOW = f"""SELECT 0, id, score FROM (
        SELECT {POSTS}.rowid AS id, {BM25_POSTS} AS score FROM {POSTS}
        WHERE {POSTS} MATCH {{in_posts}} AND EXISTS ({{in_body}})
        ORDER BY {POSTS}.rowid DESC LIMIT %s)
    UNION ALL
    SELECT 1, id, score FROM (
        SELECT opening.id AS id, {TITLE_WEIGHT} * {BM25_THREADS} AS score
        FROM {THREADS} CROSS JOIN discussions_post AS opening
            ON opening.thread_id = {THREADS}.rowid AND opening.number = 1
        WHERE {THREADS} MATCH {{in_threads}} AND EXISTS ({{in_title}})
        ORDER BY {THREADS}.rowid DESC LIMIT %s)"""


def _scope(tokens: dict[str, str], row: str) -> str:
    """SQL for a row's scope: its community ("c42") and, for a post, its
    persona ("p7"; none when it has none)."""
    return " || ".join(
        f"COALESCE(' {prefix}' || {row}{column}, '')"
        for prefix, column in tokens.items()
    )


def _index_triggers(
    index: str, table: str, column: str, tokens: dict[str, str]
) -> dict[str, str]:
    """Triggers keeping `index` a copy of `table`.`column`, and of its scope,
    for its rows whose status is published."""
    copy = f"""INSERT INTO {index} (rowid, {column}, {SCOPE})
        SELECT new.id, new.{column}, {_scope(tokens, "new.")}"""
    changed = " OR ".join(
        f"old.{name} IS NOT new.{name}" for name in (column, "status", *tokens.values())
    )
    return {
        f"{index}_inserted": f"""AFTER INSERT ON {table}
            WHEN new.status = 'published'
            BEGIN {copy}; END""",
        # Django's save() writes every column: only a change that matters to
        # the index rewrites the row's copy.
        f"{index}_updated": f"""AFTER UPDATE ON {table}
            WHEN {changed}
            BEGIN
                DELETE FROM {index} WHERE rowid = old.id;
                {copy} WHERE new.status = 'published';
            END""",
        f"{index}_deleted": f"""AFTER DELETE ON {table}
            BEGIN DELETE FROM {index} WHERE rowid = old.id; END""",
    }


# Each index: its table, the column it copies, and the scope tokens (prefix:
# column) of each row.
INDEXES = {
    POSTS: (
        "discussions_post",
        "body",
        {COMMUNITY: "community_id", PERSONA: "persona_id"},
    ),
    THREADS: ("discussions_thread", "title", {COMMUNITY: "community_id"}),
}
TRIGGERS = {
    index: _index_triggers(index, table, column, tokens)
    for index, (table, column, tokens) in INDEXES.items()
}


def _fill(index: str) -> str:
    table, column, tokens = INDEXES[index]
    return f"""INSERT INTO {index} (rowid, {column}, {SCOPE})
        SELECT id, {column}, {_scope(tokens, "")} FROM {table}
        WHERE status = 'published'"""


def create_statements() -> list[str]:
    statements: list[str] = []
    for index, (_table, column, _tokens) in INDEXES.items():
        statements.append(
            f"CREATE VIRTUAL TABLE {index} USING fts5({column}, {SCOPE}, {TOKENIZE})"
        )
        statements.append(_fill(index))
        statements.extend(
            f"CREATE TRIGGER {name} {body}" for name, body in TRIGGERS[index].items()
        )
    return statements


def drop_statements() -> list[str]:
    statements: list[str] = []
    for index, triggers in TRIGGERS.items():
        statements.extend(f"DROP TRIGGER IF EXISTS {name}" for name in triggers)
        statements.append(f"DROP TABLE IF EXISTS {index}")
    return statements


def ensure_triggers(db: BaseDatabaseWrapper) -> None:
    """Puts back the triggers a table rebuild dropped, and refills that index,
    which may have missed writes meanwhile."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"
        )
        names = {row[0] for row in cursor.fetchall()}
        for index, triggers in TRIGGERS.items():
            if index not in names:
                continue
            if sqlite3.sqlite_version_info >= SECURE_DELETE_SINCE:
                cursor.execute(SECURE_DELETE.format(index=index))
            if set(triggers) <= names:
                continue
            for name, body in triggers.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"CREATE TRIGGER {name} {body}")
            cursor.execute(f"DELETE FROM {index}")
            cursor.execute(_fill(index))


def match_expression(terms: Terms, column: str) -> str:
    """An FTS5 query: each phrase in double quotes (its words are letters and
    digits only), all of them required. A scope token ("c42") holds digits,
    so a phrase without one can only match the text; a phrase with one is
    confined to `column` (which costs, as FTS5 then reads the positions of
    every match to tell the columns apart)."""
    return " ".join(_phrase(phrase, column) for phrase in terms.phrases)


def _phrase(words: tuple[str, ...], column: str) -> str:
    quoted = '"' + " ".join(words) + '"'
    if any(char.isdigit() for word in words for char in word):
        return f"{column} : {quoted}"
    return quoted


# Narrowing a match expression to the scope of the community (by slug) or
# persona (by public id) of the next parameter, or to nothing if there is
# none ("c0" and "p0": no row has id 0).
IN_COMMUNITY = f"""' AND {SCOPE} : ' || COALESCE((SELECT '{COMMUNITY}' || id
    FROM communities_community WHERE slug = %s), '{COMMUNITY}0')"""
BY_PERSONA = f"""' AND {SCOPE} : ' || COALESCE((SELECT '{PERSONA}' || id
    FROM accounts_persona WHERE public_id = %s), '{PERSONA}0')"""


def _scoped(index: str, community: str, author: str) -> tuple[str, list[str]]:
    """The SQL of a match expression (a parameter) narrowed to the filters
    `index` has scope tokens for, and their parameters."""
    tokens = INDEXES[index][2]
    sql, params = ["%s"], []
    for prefix, value, narrowing in (
        (COMMUNITY, community, IN_COMMUNITY),
        (PERSONA, author, BY_PERSONA),
    ):
        if value and prefix in tokens:
            sql.append(narrowing)
            params.append(value)
    return "(" + " || ".join(sql) + ")", params


class SQLiteBackend:
    def newest(
        self,
        posts: QuerySet[Post],
        terms: Terms,
        limit: int,
        *,
        community: str = "",
        author: str = "",
    ) -> Window:
        in_body, body_params = visible(posts, pk=RawSQL(f"{POSTS}.rowid", ()))
        in_title, title_params = visible(posts, pk=RawSQL("opening.id", ()))
        in_posts, posts_scope = _scoped(POSTS, community, author)
        in_threads, threads_scope = _scoped(THREADS, community, author)
        sql = WINDOW.format(
            in_posts=in_posts,
            in_body=in_body,
            in_threads=in_threads,
            in_title=in_title,
        )
        params = [match_expression(terms, "body"), *posts_scope, *body_params]
        params += [limit + 1, match_expression(terms, "title"), *threads_scope]
        params += [*title_params, limit + 1]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return Window.from_rows(cursor.fetchall())

    def snippets(self, posts: Sequence[Post], terms: Terms) -> dict[int, Snippet]:
        if not posts:
            return {}
        post_ids = [post.pk for post in posts]
        thread_ids = [post.thread_id for post in posts if post.number == 1] or [0]
        sql = f"""{_marked(POSTS, SNIPPET, len(post_ids))}
            UNION ALL {_marked(THREADS, HIGHLIGHT, len(thread_ids))}"""
        params: list[str | int] = [OPEN, CLOSE, match_expression(terms, "body")]
        params += [min(post_ids), max(post_ids), *post_ids]
        params += [OPEN, CLOSE, match_expression(terms, "title")]
        params += [min(thread_ids), max(thread_ids), *thread_ids]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        bodies = {row[1]: row[2] for row in rows if row[0] == POSTS}
        titles = {row[1]: row[2] for row in rows if row[0] == THREADS}
        return {
            post.pk: Snippet(
                title=titles.get(post.thread_id) if post.number == 1 else None,
                body=bodies.get(post.pk),
            )
            for post in posts
        }


def _marked(index: str, function: str, count: int) -> str:
    """The marked text of some rows of `index`, among its matches. FTS5
    walks its matches between the lowest and highest rowid asked for (a
    page comes from the newest matches, so that is a short walk) and marks
    only the rows asked for: the unary + keeps SQLite from looking each of
    them up in the index instead, which costs a search of its own per row."""
    rowids = ", ".join(["%s"] * count)
    return f"""SELECT '{index}', rowid, {function} FROM {index}
        WHERE {index} MATCH %s AND rowid BETWEEN %s AND %s AND +rowid IN ({rowids})"""
