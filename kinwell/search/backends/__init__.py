"""The search adapter: one small interface, a SQLite FTS5 implementation and a
PostgreSQL full-text one, chosen by the database in use. The only raw SQL
outside migrations lives in this package.

Callers decide *which* posts may be found (a QuerySet that already carries
every visibility rule); a backend only narrows it to those matching the
words, orders it by relevance, and marks the words in snippets."""

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from django.db import connection
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kinwell.discussions.models import Post

# Backends put these around matched words; `marked` turns them into <mark>
# after escaping everything else, so only our tags are ever markup.
OPEN = "\ue000"
CLOSE = "\ue001"
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


class Backend(Protocol):
    def matching(self, posts: QuerySet[Post], terms: Terms) -> QuerySet[Post]:
        """`posts` narrowed to those matching `terms`, most relevant first."""
        ...

    def snippets(self, post_ids: list[int], terms: Terms) -> dict[int, Snippet]:
        """Snippets of these posts (a page of `matching`), in one query."""
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
