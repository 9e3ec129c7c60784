"""Kinwell's own deployment checks, run by `kinwell check`."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connection


@register(Tags.security, deploy=True)
def check_secret_key(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if len(settings.SECRET_KEY) < 40 or settings.SECRET_KEY.startswith("insecure"):
        return [
            Error(
                "KINWELL_SECRET_KEY is short or a known value.",
                hint="Set it to at least 50 random characters.",
                id="kinwell.E001",
            )
        ]
    return []


@register(Tags.database, deploy=True)
def check_sqlite_wal(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    if mode.lower() != "wal":
        return [
            Error(
                f"SQLite is in {mode} mode, not WAL.",
                hint=(
                    "Readers would block writers; check that the database "
                    "file's folder is writable."
                ),
                id="kinwell.E002",
            )
        ]
    return []


@register(deploy=True)
def check_site_url(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if not settings.SITE_URL.startswith("https://"):
        return [
            Warning(
                "KINWELL_SITE_URL is not https.",
                hint="Serve Kinwell over TLS; links in emails use this address.",
                id="kinwell.W002",
            )
        ]
    return []
