"""Django's SQLite backend, with writers taking turns in a queue of our own.

SQLite lets one writer in at a time. A writer that finds the database busy
sleeps on the busy timeout, in steps that grow to 100 ms, and tries again; so
under load the write lock sits free while the writers that want it are all
asleep, and the unlucky ones wait seconds. Here every write transaction
(Kinwell runs them all as `BEGIN IMMEDIATE`), and every writing statement run
outside one, first takes its turn: a thread lock among the threads of one
process, which hands over to the next thread as soon as it is released, then
an exclusive `flock` on a file beside the database among processes, tried
every half millisecond. Readers never wait for it (WAL lets them read while
one writes).

Within the same time limit as SQLite's busy timeout, a writer that cannot get
its turn gets the same "database is locked" error SQLite would give."""

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

# How long one process's waiting writer sleeps between tries of the file lock:
# short, because the lock is usually held for a few milliseconds.
POLL_SECONDS = 0.0005


class WriterQueue:
    """The write turn for one database file, shared by one process's threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.threads = threading.Lock()
        self.fd: int | None = None

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self.threads.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            self._lock_file(deadline)
        except BaseException:
            self.threads.release()
            raise

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.threads.release()

    def _lock_file(self, deadline: float) -> None:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(POLL_SECONDS)


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def _forget_queues() -> None:
    """A forked process makes its own queues: a lock file opened before the
    fork would be one lock shared with the parent, and a thread lock copied
    while another thread held it would never be released."""
    global _queues_lock
    _queues_lock = threading.Lock()
    _queues.clear()


os.register_at_fork(after_in_child=_forget_queues)


def writer_queue(database: str) -> WriterQueue:
    with _queues_lock:
        if database not in _queues:
            _queues[database] = WriterQueue(f"{database}-writers")
        return _queues[database]


WRITING = ("INSERT", "UPDATE", "DELETE", "REPLACE")


# django-stubs leaves out the backend's private hooks that this class extends.
SQLiteWrapper: Any = base.DatabaseWrapper


class DatabaseWrapper(SQLiteWrapper):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writing: WriterQueue | None = None

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=QueuedCursor)
        cursor.database = self
        return cursor

    def turn_for(self, query: str) -> Any:
        """A writing statement outside a transaction commits on its own, so
        it takes its own turn; inside one, the transaction has the turn."""
        queue = self._writer_queue()
        if queue is None or not self.autocommit or self._writing is not None:
            return nullcontext()
        if not query.lstrip()[:7].upper().startswith(WRITING):
            return nullcontext()
        return _turn(queue, self._timeout())

    def _start_transaction_under_autocommit(self) -> None:
        queue = self._writer_queue()
        if queue is None:
            super()._start_transaction_under_autocommit()
            return
        queue.acquire(timeout=self._timeout())
        self._writing = queue
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._end_turn()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._end_turn()

    def _end_turn(self) -> None:
        queue, self._writing = self._writing, None
        if queue is not None:
            queue.release()

    def _writer_queue(self) -> WriterQueue | None:
        if self.transaction_mode != "IMMEDIATE" or self.is_in_memory_db():
            return None
        return writer_queue(os.fspath(self.settings_dict["NAME"]))

    def _timeout(self) -> float:
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))


@contextmanager
def _turn(queue: WriterQueue, timeout: float) -> Iterator[None]:
    queue.acquire(timeout=timeout)
    try:
        yield
    finally:
        queue.release()


class QueuedCursor(base.SQLiteCursorWrapper):  # type: ignore[misc]
    database: DatabaseWrapper

    def execute(self, query: str, params: Any = None) -> Any:
        with self.database.turn_for(query):
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        with self.database.turn_for(query):
            return super().executemany(query, param_list)
