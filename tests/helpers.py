"""Assertions shared by the tests."""

import json
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

API = "/api/v1"


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


def send(client: Client, method: str, path: str, body: Any = None, **extra: Any) -> Any:
    """A JSON request to the API at `path` (below /api/v1)."""
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(
        f"{API}{path}", data=data, content_type="application/json", **extra
    )


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the API's one error shape, with this status and code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert set(error) <= {"code", "message", "fields"}
    return dict(error)
