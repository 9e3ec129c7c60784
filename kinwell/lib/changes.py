"""Whether anything a visitor could see may have changed: the generation, a
number that grows after every committed write, on every server process and
every machine that shares the database's writers. kinwell.lib.visitor_pages
keys the pages it shares among visitors by it, so a page never outlives a
change to what it shows.

Writes are seen where they happen, in the database connection, whatever
made them (a view, a task, a queryset's `update()`, raw SQL, a migration):
an execute wrapper on every connection looks at each statement. Only
statements that cannot change what a visitor sees are let through without
a change: reads, transaction control, and writes to the few tables of
private bookkeeping in PRIVATE_TABLES, which no page shows to a visitor.

The generation grows after the commit, never before: a page read between
the write and the commit holds the old text and is stored under the old
generation, which nobody asks for again."""

import fcntl
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

# Per-member bookkeeping that no visitor's page shows. Writes to these are
# made on plain page views by signed-in members (what they have read, their
# session), so counting them would empty the visitors' pages all day long.
PRIVATE_TABLES = frozenset(
    {
        "django_session",
        "usersessions_usersession",
        "discussions_readstate",
        "discussions_communityvisit",
        "notifications_notification",
        "django_tasks_database_dbtaskresult",
    }
)

# Statements that change nothing. Anything else counts, unknown ones included.
_NOT_WRITES = ("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN",
               "COMMIT", "SET ", "SHOW", "EXPLAIN")  # fmt: skip
_WRITE_TARGET = re.compile(
    r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?',
    re.IGNORECASE,
)


def may_change_what_visitors_see(sql: str) -> bool:
    if sql.lstrip()[:9].upper().startswith(_NOT_WRITES):
        return False
    target = _WRITE_TARGET.match(sql)
    return target is None or target.group(1).lower() not in PRIVATE_TABLES


class Generation(Protocol):
    def current(self) -> str: ...

    def advance(self) -> None: ...


class FileGeneration:
    """On one machine: a file that grows by one byte at each change, so its
    size is the generation. Appending is atomic between processes (O_APPEND),
    and reading the size is one stat(), without a lock.

    The file's inode and the time of its last change are part of the
    generation, so when it has grown to LARGEST and is replaced by a new one
    (perhaps with the same inode), no generation repeats. A change appended
    to the old file just as it is replaced is covered by the replacement,
    which is itself a new generation made after that change's commit."""

    LARGEST = 64 * 1024

    def __init__(self, path: Path) -> None:
        self.path = path

    def current(self) -> str:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return "0"
        return f"{found.st_ino}.{found.st_mtime_ns}.{found.st_size}"

    def advance(self) -> None:
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, b".")
            appended = os.fstat(descriptor)
        finally:
            os.close(descriptor)
        if appended.st_size >= self.LARGEST:
            self._start_again(appended.st_ino)

    def _start_again(self, full: int) -> None:
        """One writer replaces the full file (inode `full`); the others find
        it done. Replacing it twice within one tick of the file clock could
        reuse the first new file's inode and repeat its generation."""
        lock_path = self.path.with_name(f"{self.path.name}.lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if os.stat(self.path).st_ino != full:
                    return
            except FileNotFoundError:
                pass
            fresh = self.path.with_name(f"{self.path.name}.new")
            fresh.write_bytes(b".")
            os.replace(fresh, self.path)


class CacheGeneration:
    """With Redis, for every machine: a counter in the shared cache. If the
    cache ever loses it, it starts again from the time in milliseconds, far
    above any number recently used, so an old page is never taken for new."""

    KEY = "changes:generation"

    def current(self) -> str:
        cache = caches["default"]
        found = cache.get(self.KEY)
        if found is None:  # lost, or never set: never a fixed number
            self._start()
            found = cache.get(self.KEY)
        return str(found)

    def advance(self) -> None:
        cache = caches["default"]
        try:
            cache.incr(self.KEY)
        except ValueError:
            # Started now, and advanced all the same: a reader may have
            # started it a moment ago, before this write's commit.
            self._start()
            cache.incr(self.KEY)

    def _start(self) -> None:
        caches["default"].add(self.KEY, time.time_ns() // 1_000_000, timeout=None)


def _generation() -> Generation:
    if settings.REDIS_URL:
        return CacheGeneration()
    return FileGeneration(settings.DATA_DIR / "changes")


generation = _generation()


_MISSING = object()


def remembered_until_changed[T](
    key: str, make: Callable[[], T], *, seconds: int | None = None
) -> T:
    """What `make` returns, kept in the default cache under the generation,
    so it is asked for again after any change: for what many pages ask again
    (a member's standing in a community, their personas, the directory's
    member counts). `make` must read nothing from PRIVATE_TABLES, whose
    writes do not move the generation. `seconds` (by default
    KINWELL_MEMBER_STATE_SECONDS) bounds how long an unused value stays; 0
    turns remembering off."""
    timeout = settings.KINWELL_MEMBER_STATE_SECONDS if seconds is None else seconds
    if not timeout:
        return make()
    store = caches["default"]
    try:
        full_key = f"until-changed:{generation.current()}:{key}"
        found = store.get(full_key, _MISSING)
    except Exception:  # the cache is down: ask the database
        logger.exception("remembered values: the cache could not be read")
        return make()
    if found is _MISSING:
        found = make()
        try:
            store.set(full_key, found, timeout)
        except Exception:
            logger.exception("remembered values: the cache could not be written")
    return found  # type: ignore[no-any-return]


def watch_writes(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Connected to `connection_created`: every connection reports its writes."""
    if _after_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_after_writes)


def _after_writes(
    execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    result = execute(sql, params, many, context)
    if may_change_what_visitors_see(sql):
        connection: BaseDatabaseWrapper = context["connection"]
        if connection.in_atomic_block:
            # Run once per write; a transaction of ten writes advances by ten,
            # which costs nothing and needs no bookkeeping. A rollback drops them.
            transaction.on_commit(_advance, using=connection.alias)
        else:
            _advance()
    return result


def _advance() -> None:
    """The write is already committed: failing to say so must not turn its
    answer into an error. Shared pages then last until their timeout."""
    try:
        generation.advance()
    except Exception:
        logger.exception("the generation of changes could not advance")
