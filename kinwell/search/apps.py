from typing import Any

from django.apps import AppConfig, apps
from django.db import connections
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "kinwell.search"
    label = "search"

    def ready(self) -> None:
        # After the discussions migrate: SQLite may have rebuilt one of their
        # tables, dropping the triggers that keep the search index in step.
        post_migrate.connect(
            _restore_triggers, sender=apps.get_app_config("discussions")
        )


def _restore_triggers(using: str = "default", **_: Any) -> None:
    db = connections[using]
    if db.vendor == "sqlite":
        from kinwell.search.backends.sqlite import ensure_triggers

        ensure_triggers(db)
