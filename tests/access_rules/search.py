"""Access rules for search (see tests/access_matrix.py).

Anyone may search, signed in or not: what each person finds is limited to
what they may read, which tests/test_search.py and tests/test_search_api.py
check with canary words. Here every role gets the page and the API answer."""

from typing import Any

from kinwell.accounts.models import User
from tests.access_matrix import NOT_ALLOWED, OK, Rule, everyone

RULES: list[Rule] = [
    Rule(
        "search/",
        url="/search/?q=canary&community={hidden_community}",
        get=everyone(OK),
        post=everyone(NOT_ALLOWED),
    ),
    Rule(
        "api/v1/search",
        url="/api/v1/search?q=canary&community={hidden_community}",
        get=everyone(OK),
        post=everyone(NOT_ALLOWED),
    ),
]


def world_values(users: dict[str, User]) -> dict[str, Any]:
    return {}
