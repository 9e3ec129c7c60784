"""SQLite's writers take turns in Kinwell's own queue (kinwell/lib/sqlite)."""

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections

from kinwell.lib.sqlite.base import DatabaseWrapper, WriterQueue, writer_queue

pytestmark = [
    pytest.mark.skipif(
        connections["default"].vendor != "sqlite", reason="SQLite's own backend"
    ),
    # Lets these tests open connections of their own, to files of their own.
    pytest.mark.django_db,
]


def wrapper(path: Path, alias: str, timeout: float = 20) -> Any:
    settings = {
        **connections["default"].settings_dict,
        "NAME": str(path),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": timeout,
        },
    }
    return DatabaseWrapper(settings, alias)


def notes_database(path: Path) -> Any:
    """A database at `path` with an empty table to write to, and a
    connection to it for the test to read with."""
    connection = wrapper(path, "setup")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, n INTEGER)")
    return connection


def begin(connection: Any) -> None:
    """As transaction.atomic() begins a transaction."""
    connection.set_autocommit(
        False, force_begin_transaction_with_broken_autocommit=True
    )


def end(connection: Any) -> None:
    connection.commit()
    connection.set_autocommit(True)


def test_a_second_writer_waits_for_its_turn_then_gets_it(tmp_path: Path) -> None:
    notes_database(tmp_path / "db.sqlite3").close()
    first = wrapper(tmp_path / "db.sqlite3", "first")
    second = wrapper(tmp_path / "db.sqlite3", "second", timeout=0.2)
    begin(first)
    with pytest.raises(OperationalError, match="database is locked"):
        begin(second)
    end(first)
    begin(second)
    with second.cursor() as cursor:
        cursor.execute("INSERT INTO note DEFAULT VALUES")
    end(second)
    first.close()
    second.close()


def test_a_write_outside_a_transaction_takes_a_turn_too(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    setup = notes_database(path)
    queue = writer_queue(str(path))
    outcome: list[object] = []

    def write() -> None:
        connection = wrapper(path, "autocommit", timeout=0.2)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM note")  # reads never wait
                cursor.execute("INSERT INTO note DEFAULT VALUES")
            outcome.append("written")
        except OperationalError as error:
            outcome.append(error)
        finally:
            connection.close()

    queue.acquire(timeout=1)  # another writer's turn; SQLite itself is free
    try:
        writer = threading.Thread(target=write)
        writer.start()
        writer.join()
    finally:
        queue.release()
    assert isinstance(outcome[0], OperationalError)
    write()
    assert outcome[1] == "written"
    setup.close()


def test_many_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    setup = notes_database(path)
    errors: list[Exception] = []

    def write(n: int) -> None:
        connection = wrapper(path, f"writer{n}")
        try:
            for _ in range(25):
                begin(connection)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT COUNT(*) FROM note")
                    cursor.execute("INSERT INTO note (n) VALUES (%s)", [n])
                end(connection)
        except Exception as error:  # collected for the assertion below
            errors.append(error)
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    assert errors == []
    with setup.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM note")
        assert cursor.fetchone()[0] == 8 * 25
    setup.close()


def test_the_file_lock_keeps_other_processes_out(tmp_path: Path) -> None:
    # Two queues on one file stand for two processes: flock locks belong to
    # each open file, so the second cannot lock while the first holds it.
    here, there = (
        WriterQueue(str(tmp_path / "lock")),
        WriterQueue(str(tmp_path / "lock")),
    )
    here.acquire(timeout=1)
    with pytest.raises(OperationalError):
        there.acquire(timeout=0.05)
    here.release()
    there.acquire(timeout=1)
    there.release()


def test_a_forked_process_waits_for_its_parents_turn_then_gets_its_own(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "db.sqlite3")
    parent = writer_queue(path)
    tried, released = os.pipe(), os.pipe()
    parent.acquire(timeout=1)
    child = os.fork()
    if child == 0:  # the child: its own queue, kept out while the parent writes
        code = 1
        try:
            writer_queue(path).acquire(timeout=0.05)
        except OperationalError:
            os.write(tried[1], b".")
            os.read(released[0], 1)
            writer_queue(path).acquire(timeout=1)  # the parent's turn is over
            code = 0
        finally:
            os._exit(code)
    os.read(tried[0], 1)
    parent.release()
    os.write(released[1], b".")
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
