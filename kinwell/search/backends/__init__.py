"""The search adapter: one small interface, a SQLite FTS5 implementation and a
PostgreSQL full-text one, chosen by the database in use. The only raw SQL
outside migrations lives in this package.

Callers decide *which* posts may be found (a QuerySet that already carries
every visibility rule); a backend only finds, among those, the newest that
match the words, ranks them, and marks the words in snippets.

Why the newest only: a common word matches a large share of a million
posts, and ranking or even counting all of them takes seconds. Both
databases can walk their full-text matches from the newest down and stop
after a few hundred, the visibility rules checked on the way (never after),
so a search costs about the same whatever the size of the service."""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kinwell.discussions.models import Post

# Backends put these around matched words; `marked` turns them into <mark>
# after escaping everything else, so only our tags are ever markup.
OPEN = "\ue000"
CLOSE = "\ue001"
# A match in the title counts three times a match in the body.
TITLE_WEIGHT = 3
# Beyond this the query is cut: a search box is not a place for essays.
MAX_PHRASES = 12
_PIECE = re.compile(r'"([^"]*)"|([^\s"]+)')
_WORD = re.compile(r"[^\W_]+")
_MARKERS = re.compile(f"([{OPEN}{CLOSE}])")


@dataclass(frozen=True)
class Terms:
    """What to look for: phrases (a quoted phrase, or one word), all required.
    Only letters and digits survive parsing, so no search syntax (quotes,
    operators, NEAR, *, brackets) ever reaches the database."""

    phrases: tuple[tuple[str, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.phrases)


def parse(text: str) -> Terms:
    phrases: list[tuple[str, ...]] = []
    for quoted, bare in _PIECE.findall(unicodedata.normalize("NFKC", text)):
        words = tuple(_WORD.findall(quoted or bare))
        if quoted and words:
            phrases.append(words)
        else:
            phrases.extend((word,) for word in words)
    return Terms(tuple(phrases[:MAX_PHRASES]))


@dataclass(frozen=True)
class Snippet:
    """Text with OPEN/CLOSE around the matches: the whole title of an opening
    post (None for replies), and a passage of the body (None when only the
    title matched)."""

    title: str | None
    body: str | None


@dataclass(frozen=True)
class Window:
    """The newest matches among the posts a search may find, each with its
    rank (lower is better). `in_body` holds the posts whose body matches,
    newest first; `in_title` the opening posts of the threads whose title
    matches, newest thread first, ranked with the title's weight. Each
    holds at most the limit asked for, plus one to tell that there are more."""

    in_body: list[tuple[int, float]]
    in_title: list[tuple[int, float]]

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[Any, ...]]) -> "Window":
        """From the backends' one query: (0 for a body match or 1 for a title
        match, post id, rank) in each row."""
        return cls(
            in_body=[(row[1], row[2]) for row in rows if row[0] == 0],
            in_title=[(row[1], row[2]) for row in rows if row[0] == 1],
        )


class Backend(Protocol):
    def newest(
        self,
        posts: QuerySet[Post],
        terms: Terms,
        limit: int,
        *,
        community: str = "",
        author: str = "",
    ) -> Window:
        """The newest `limit` + 1 of `posts` matching `terms` in their body,
        and as many opening posts matching in their thread's title, in one
        query. `posts` must be a query of posts with its filters only (no
        ordering, slicing or annotation): it is run as a condition on each
        match, so nothing outside it is ever read, counted or ranked.
        `community` (a slug) and `author` (a persona's public id), filters
        `posts` already holds, let the backend narrow the matches too, before
        it checks them one by one."""
        ...

    def snippets(self, posts: Sequence[Post], terms: Terms) -> dict[int, Snippet]:
        """Snippets of these posts (a page of the window), in one query."""
        ...


def get_backend() -> Backend:
    if connection.vendor == "postgresql":
        from kinwell.search.backends.postgresql import PostgreSQLBackend

        return PostgreSQLBackend()
    from kinwell.search.backends.sqlite import SQLiteBackend

    return SQLiteBackend()


def marked(text: str | None) -> SafeString:
    """`text` escaped, with its OPEN/CLOSE markers as <mark> elements. Markers
    out of turn (a writer could type the characters) are dropped, so the
    result is always well formed."""
    html: list[str] = []
    inside = False
    for part in _MARKERS.split(text or ""):
        if part in (OPEN, CLOSE):
            if (part == OPEN) != inside:
                html.append("</mark>" if inside else "<mark>")
                inside = not inside
        else:
            html.append(escape(part))
    if inside:
        html.append("</mark>")
    return mark_safe("".join(html))  # noqa: S308 - everything else is escaped


def visible(posts: QuerySet[Post], **where: object) -> tuple[str, list[Any]]:
    """A SELECT of `posts` narrowed by `where`, whose values refer to the
    outer query's row (RawSQL), with its parameters: the visibility rules
    and filters, compiled by Django, for a backend to check match by match
    in an EXISTS."""
    inner = posts.filter(**where).order_by().values("pk")[:1]
    sql, params = inner.query.sql_with_params()
    return sql, list(params)
