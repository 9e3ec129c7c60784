"""Access rules for the communities feature (see tests/access_matrix.py)."""

from typing import Any

from kinwell.accounts.models import User
from tests.access_matrix import Rule

RULES: list[Rule] = []


def world_values(users: dict[str, User]) -> dict[str, Any]:
    return {}
