"""PostgreSQL: full-text search over post bodies and thread titles.

A post's words are kept in a stored generated column, `search_vector`
(`to_tsvector('english', body)`), with a GIN index; a thread's title, short,
has a GIN index on its expression, `to_tsvector('english', title)`. Storing
the body's vector matters: computing it from the text costs tens of
microseconds a post, which over a window of a thousand posts (to rank them)
or a few thousand (to find the newest matches) is most of a search.

The statements are those of migrations 0001 and 0002, and the seeder drops
and makes them again around a bulk load."""

# Raw SQL is this package's job. Every value travels as a parameter; the
# f-strings put together only the constants below.
# ruff: noqa: S608

from collections.abc import Sequence

from django.db import connection
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

CONFIG = "english"
VECTOR = "search_vector"
CREATE_STATEMENTS = [
    f"""ALTER TABLE discussions_post ADD COLUMN IF NOT EXISTS {VECTOR} tsvector
        GENERATED ALWAYS AS (to_tsvector('{CONFIG}', body)) STORED""",
    f"""CREATE INDEX IF NOT EXISTS search_post_vector ON discussions_post
        USING GIN ({VECTOR})""",
    f"""CREATE INDEX IF NOT EXISTS search_thread_title ON discussions_thread
        USING GIN (to_tsvector('{CONFIG}', title))""",
]
DROP_STATEMENTS = [
    "DROP INDEX IF EXISTS search_thread_title",
    "DROP INDEX IF EXISTS search_post_vector",
    f"ALTER TABLE discussions_post DROP COLUMN IF EXISTS {VECTOR}",
]
# The newest matches, body and title, in one query, ts_rank for the window
# only. The visibility rules are a condition on each match, inside the
# limited read. Their subquery ends in OFFSET 0 so that PostgreSQL keeps it
# a check of one row by primary key: without it the planner may turn it
# into a join over every visible post, and test the words on each of them.
# ts_rank is higher for better matches: negated, lower is better, as the
# adapter wants.
WINDOW = f"""(SELECT 0, id, score FROM (
        SELECT candidate.id, -ts_rank(candidate.{VECTOR}, {{query}}) AS score
        FROM discussions_post AS candidate
        WHERE candidate.{VECTOR} @@ {{query}}
            AND EXISTS ({{in_body}} OFFSET 0)
        ORDER BY candidate.id DESC LIMIT %s) AS body)
    UNION ALL
    (SELECT 1, id, score FROM (
        SELECT opening.id, -{TITLE_WEIGHT}
            * ts_rank(to_tsvector('{CONFIG}', thread.title), {{query}}) AS score
        FROM discussions_thread AS thread JOIN discussions_post AS opening
            ON opening.thread_id = thread.id AND opening.number = 1
        WHERE to_tsvector('{CONFIG}', thread.title) @@ {{query}}
            AND EXISTS ({{in_title}} OFFSET 0)
        ORDER BY thread.id DESC LIMIT %s) AS title)"""
HEADLINE = f'StartSel="{OPEN}", StopSel="{CLOSE}", MaxWords=30, MinWords=15'
WHOLE = f'StartSel="{OPEN}", StopSel="{CLOSE}", HighlightAll=true'


def tsquery(terms: Terms) -> tuple[str, list[str]]:
    """Every phrase required; phraseto_tsquery reads its text as plain words,
    whatever it holds."""
    sql = " && ".join([f"phraseto_tsquery('{CONFIG}', %s)"] * len(terms.phrases))
    return f"({sql})", [" ".join(phrase) for phrase in terms.phrases]


class PostgreSQLBackend:
    def newest(
        self,
        posts: QuerySet[Post],
        terms: Terms,
        limit: int,
        *,
        community: str = "",
        author: str = "",
    ) -> Window:
        # `posts` holds the filters; the GIN index has no scope to narrow by.
        query, words = tsquery(terms)
        in_body, body_params = visible(posts, pk=RawSQL("candidate.id", ()))
        in_title, title_params = visible(posts, pk=RawSQL("opening.id", ()))
        sql = WINDOW.format(query=query, in_body=in_body, in_title=in_title)
        params = [*words, *words, *body_params, limit + 1]
        params += [*words, *words, *title_params, limit + 1]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return Window.from_rows(cursor.fetchall())

    def snippets(self, posts: Sequence[Post], terms: Terms) -> dict[int, Snippet]:
        if not posts:
            return {}
        post_ids = [post.pk for post in posts]
        query, params = tsquery(terms)
        sql = (
            f"SELECT p.id,"
            f" CASE WHEN p.number = 1 THEN"
            f" ts_headline('{CONFIG}', t.title, {query}, %s) END,"
            f" CASE WHEN p.{VECTOR} @@ {query} THEN"
            f" ts_headline('{CONFIG}', p.body, {query}, %s) END"
            f" FROM discussions_post p JOIN discussions_thread t ON t.id = p.thread_id"
            f" WHERE p.id = ANY(%s)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, WHOLE, *params, *params, HEADLINE, post_ids])
            rows = cursor.fetchall()
        return {row[0]: Snippet(title=row[1], body=row[2]) for row in rows}
