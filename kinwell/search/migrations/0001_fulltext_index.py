"""The full-text index of published posts.

SQLite: FTS5 tables of post bodies and thread titles, kept in step by
triggers (see
kinwell.search.backends.sqlite). Only published text is copied in, so what
a moderator hid, an author deleted or that waits for approval is never in them.

PostgreSQL: a stored vector of each post's words, and GIN indexes (see
kinwell.search.backends.postgresql)."""

from typing import Any

from django.db import migrations

from kinwell.search.backends import postgresql, sqlite

# The current definitions, as for SQLite: a new database gets them here,
# one made before 0002 gets them there. (The seeder drops and makes them
# again around a bulk load with these lists.)
POSTGRESQL_CREATE = postgresql.CREATE_STATEMENTS
POSTGRESQL_DROP = postgresql.DROP_STATEMENTS


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
