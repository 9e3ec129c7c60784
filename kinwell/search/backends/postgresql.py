"""PostgreSQL: full-text search over post bodies and thread titles, served by
the GIN indexes of migration 0001 (the expressions here must stay the ones
indexed there: `to_tsvector('english', body)` and `..., title)`)."""

# Raw SQL is this package's job. Every value travels as a parameter; the
# f-strings put together only the constants below.
# ruff: noqa: S608, S611

from django.db import connection
from django.db.models import FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL

from kinwell.discussions.models import Post
from kinwell.search.backends import CLOSE, OPEN, Snippet, Terms

CONFIG = "english"
BODY = f"to_tsvector('{CONFIG}', {Post._meta.db_table}.body)"
# The thread's title, for opening posts only (NULL for replies).
TITLE = (
    f"(SELECT t.title FROM discussions_thread t"
    f" WHERE t.id = {Post._meta.db_table}.thread_id"
    f" AND {Post._meta.db_table}.number = 1)"
)
# Each a subquery of its own, so each can use its index.
IN_BODY = (
    f"SELECT id FROM discussions_post WHERE to_tsvector('{CONFIG}', body) @@ {{query}}"
)
IN_TITLE = (
    f"SELECT id FROM discussions_thread"
    f" WHERE to_tsvector('{CONFIG}', title) @@ {{query}}"
)
HEADLINE = f'StartSel="{OPEN}", StopSel="{CLOSE}", MaxWords=30, MinWords=15'
WHOLE = f'StartSel="{OPEN}", StopSel="{CLOSE}", HighlightAll=true'


def tsquery(terms: Terms) -> tuple[str, list[str]]:
    """Every phrase required; phraseto_tsquery reads its text as plain words,
    whatever it holds."""
    sql = " && ".join([f"phraseto_tsquery('{CONFIG}', %s)"] * len(terms.phrases))
    return f"({sql})", [" ".join(phrase) for phrase in terms.phrases]


class PostgreSQLBackend:
    def matching(self, posts: QuerySet[Post], terms: Terms) -> QuerySet[Post]:
        query, params = tsquery(terms)
        in_body = RawSQL(IN_BODY.format(query=query), params)
        in_title = RawSQL(IN_TITLE.format(query=query), params)
        # A match in the title counts three times a match in the body.
        rank = (
            f"ts_rank({BODY}, {query}) + 3 * COALESCE("
            f"ts_rank(to_tsvector('{CONFIG}', {TITLE}), {query}), 0)"
        )
        return (
            posts.filter(Q(id__in=in_body) | Q(number=1, thread_id__in=in_title))
            .annotate(search_rank=RawSQL(rank, params * 2, FloatField()))
            .order_by("-search_rank", "-created_at", "-id")
        )

    def snippets(self, post_ids: list[int], terms: Terms) -> dict[int, Snippet]:
        if not post_ids:
            return {}
        query, params = tsquery(terms)
        sql = (
            f"SELECT p.id,"
            f" CASE WHEN p.number = 1 THEN"
            f" ts_headline('{CONFIG}', t.title, {query}, %s) END,"
            f" CASE WHEN to_tsvector('{CONFIG}', p.body) @@ {query} THEN"
            f" ts_headline('{CONFIG}', p.body, {query}, %s) END"
            f" FROM discussions_post p JOIN discussions_thread t ON t.id = p.thread_id"
            f" WHERE p.id = ANY(%s)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, WHOLE, *params, *params, HEADLINE, post_ids])
            rows = cursor.fetchall()
        return {row[0]: Snippet(title=row[1], body=row[2]) for row in rows}
