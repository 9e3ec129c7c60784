"""The full-text index of published posts.

SQLite: FTS5 tables of post bodies and thread titles, kept in step by
triggers (see
kinwell.search.backends.sqlite). Only published text is copied in, so what
a moderator hid, an author deleted or that waits for approval is never in them.

PostgreSQL: GIN indexes on the expressions the search adapter queries."""

from typing import Any

from django.db import migrations

from kinwell.search.backends import sqlite

# The expressions must stay those of kinwell.search.backends.postgresql, or
# PostgreSQL will not use the indexes.
POSTGRESQL_CREATE = [
    """CREATE INDEX search_post_body ON discussions_post
        USING GIN (to_tsvector('english', body))""",
    """CREATE INDEX search_thread_title ON discussions_thread
        USING GIN (to_tsvector('english', title))""",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS search_thread_title",
    "DROP INDEX IF EXISTS search_post_body",
]


def _statements(vendor: str, forwards: bool) -> list[str]:
    if vendor == "sqlite":
        return sqlite.create_statements() if forwards else sqlite.drop_statements()
    if vendor == "postgresql":
        return POSTGRESQL_CREATE if forwards else POSTGRESQL_DROP
    return []


def create_index(apps: Any, schema_editor: Any) -> None:
    for statement in _statements(schema_editor.connection.vendor, forwards=True):
        schema_editor.execute(statement, params=None)


def drop_index(apps: Any, schema_editor: Any) -> None:
    for statement in _statements(schema_editor.connection.vendor, forwards=False):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("discussions", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
