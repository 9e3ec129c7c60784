"""PostgreSQL: each post's words in a stored generated column with its GIN
index, instead of a GIN index on the expression. Searching then reads the
stored vector rather than computing it from the text for every post it
looks at (see kinwell.search.backends.postgresql). Nothing changes on
SQLite."""

from typing import Any

from django.db import migrations

from kinwell.search.backends import postgresql

EXPRESSION_INDEX = """CREATE INDEX IF NOT EXISTS search_post_body ON discussions_post
    USING GIN (to_tsvector('english', body))"""


def store_vectors(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS search_post_body", params=None)
    for statement in postgresql.CREATE_STATEMENTS:
        schema_editor.execute(statement, params=None)


def compute_vectors(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in postgresql.DROP_STATEMENTS:
        schema_editor.execute(statement, params=None)
    schema_editor.execute(EXPRESSION_INDEX, params=None)
    schema_editor.execute(postgresql.CREATE_STATEMENTS[-1], params=None)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_fulltext_index")]

    operations = [migrations.RunPython(store_vectors, compute_vectors, elidable=False)]
