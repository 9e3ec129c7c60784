"""Assertions shared by the tests."""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def assert_bounded_queries(
    fetch: Callable[[], object],
    add_rows: Callable[[int], object],
    *,
    max_queries: int,
    rows: int = 5,
) -> None:
    """Fetches once with `rows` rows and again with four times as many: the number
    of queries must be the same both times and at most `max_queries`."""
    add_rows(rows)
    fetch()  # warm caches (content types, sessions) so both counts compare alike
    few = count_queries(fetch)
    add_rows(rows * 3)
    many = count_queries(fetch)
    assert few == many, f"queries grew with rows: {few} then {many}"
    assert many <= max_queries, f"{many} queries, bound is {max_queries}"
