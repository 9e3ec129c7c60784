"""SQLite: the full-text tables hold each row's community, and each post's
persona, as scope tokens, so a search within one community or by one author
narrows the matches in the index (see
kinwell.search.backends.sqlite). The tables and their triggers are made
again and refilled. Nothing changes on PostgreSQL."""

from typing import Any

from django.db import migrations

from kinwell.search.backends import sqlite


def rebuild(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in sqlite.drop_statements() + sqlite.create_statements():
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_stored_post_vector")]

    operations = [migrations.RunPython(rebuild, rebuild, elidable=False)]
