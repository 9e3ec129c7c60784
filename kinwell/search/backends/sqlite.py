"""SQLite: two FTS5 tables, kept in step with the discussions by triggers.

`search_postindex` holds the body of each published post (rowid = post id),
`search_threadindex` the title of each published thread (rowid = thread id).
Triggers copy every write, whoever makes it: services, moderation, bulk
updates and imports alike. Held, hidden and deleted text is never copied in.
Nothing about communities is copied: a search joins the post and thread rows,
so who may read what, and where a moved thread lives, is always current.

Each trigger names only its own table and its index, so SQLite can still
rebuild a discussions table to alter it. Doing so drops that table's
triggers: `ensure_triggers` (run after every migrate) puts them back."""

# Raw SQL is this package's job. Every value travels as a parameter; the
# f-strings put together only the constants below.
# ruff: noqa: S608, S611

import sqlite3

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL

from kinwell.discussions.models import Post
from kinwell.search.backends import CLOSE, OPEN, Snippet, Terms

POSTS = "search_postindex"
THREADS = "search_threadindex"
TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"
# From SQLite 3.42, FTS5 can erase a deleted or changed row's words from the
# index at once rather than at a later merge, so text a moderator removes
# leaves no trace in it.
SECURE_DELETE_SINCE = (3, 42, 0)
SECURE_DELETE = "INSERT INTO {index} ({index}, rank) VALUES ('secure-delete', 1)"
# Words in a snippet of the body; the title is always highlighted whole.
SNIPPET_WORDS = 30
# A match in the title counts three times a match in the body (bm25 is
# negative: lower is better).
RANK = f"""COALESCE((SELECT bm25({POSTS}) FROM {POSTS}
        WHERE {POSTS} MATCH %s AND rowid = discussions_post.id), 0)
    + 3 * COALESCE((SELECT bm25({THREADS}) FROM {THREADS}
        WHERE {THREADS} MATCH %s AND rowid = discussions_post.thread_id
        AND discussions_post.number = 1), 0)"""


def _index_triggers(index: str, table: str, column: str) -> dict[str, str]:
    """Triggers keeping `index` a copy of `table`.`column` for its rows whose
    status is published."""
    copy = f"INSERT INTO {index} (rowid, {column}) SELECT new.id, new.{column}"
    return {
        f"{index}_inserted": f"""AFTER INSERT ON {table}
            WHEN new.status = 'published'
            BEGIN {copy}; END""",
        # Django's save() writes every column: only a change that matters to
        # the index rewrites the row's copy.
        f"{index}_updated": f"""AFTER UPDATE ON {table}
            WHEN old.{column} IS NOT new.{column} OR old.status IS NOT new.status
            BEGIN
                DELETE FROM {index} WHERE rowid = old.id;
                {copy} WHERE new.status = 'published';
            END""",
        f"{index}_deleted": f"""AFTER DELETE ON {table}
            BEGIN DELETE FROM {index} WHERE rowid = old.id; END""",
    }


INDEXES = {
    POSTS: ("discussions_post", "body"),
    THREADS: ("discussions_thread", "title"),
}
TRIGGERS = {
    index: _index_triggers(index, table, column)
    for index, (table, column) in INDEXES.items()
}


def _fill(index: str) -> str:
    table, column = INDEXES[index]
    return f"""INSERT INTO {index} (rowid, {column})
        SELECT id, {column} FROM {table} WHERE status = 'published'"""


def create_statements() -> list[str]:
    statements: list[str] = []
    for index, (_table, column) in INDEXES.items():
        statements.append(
            f"CREATE VIRTUAL TABLE {index} USING fts5({column}, {TOKENIZE})"
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


def match_expression(terms: Terms) -> str:
    """An FTS5 query: each phrase in double quotes (its words are letters and
    digits only), all of them required."""
    return " ".join('"' + " ".join(phrase) + '"' for phrase in terms.phrases)


class SQLiteBackend:
    def matching(self, posts: QuerySet[Post], terms: Terms) -> QuerySet[Post]:
        expression = match_expression(terms)
        in_body = f"SELECT rowid FROM {POSTS} WHERE {POSTS} MATCH %s"
        in_title = f"SELECT rowid FROM {THREADS} WHERE {THREADS} MATCH %s"
        return (
            posts.filter(
                Q(id__in=RawSQL(in_body, [expression]))
                | Q(number=1, thread_id__in=RawSQL(in_title, [expression]))
            )
            .annotate(search_rank=RawSQL(RANK, [expression] * 2, FloatField()))
            .order_by("search_rank", "-created_at", "-id")
        )

    def snippets(self, post_ids: list[int], terms: Terms) -> dict[int, Snippet]:
        if not post_ids:
            return {}
        ids = ", ".join(["%s"] * len(post_ids))
        sql = f"""SELECT p.id,
            CASE WHEN p.number = 1 THEN COALESCE(
                (SELECT highlight({THREADS}, 0, %s, %s) FROM {THREADS}
                 WHERE {THREADS} MATCH %s AND rowid = p.thread_id), t.title)
            END,
            (SELECT snippet({POSTS}, 0, %s, %s, '…', {SNIPPET_WORDS})
             FROM {POSTS} WHERE {POSTS} MATCH %s AND rowid = p.id)
            FROM discussions_post p JOIN discussions_thread t ON t.id = p.thread_id
            WHERE p.id IN ({ids})"""
        expression = match_expression(terms)
        params: list[str | int] = [OPEN, CLOSE, expression, OPEN, CLOSE, expression]
        params.extend(post_ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return {row[0]: Snippet(title=row[1], body=row[2]) for row in rows}
