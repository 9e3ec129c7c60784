"""Access-matrix rules of each feature, one module each, beside the core table
in tests/access_matrix.py. A module defines `RULES` (a list of Rule) and
`world_values(users) -> dict`, the ids its URLs need, made through services."""

from types import ModuleType

from tests.access_rules import (
    archive,
    circles,
    communities,
    discussions,
    forks,
    moderation,
    notifications,
    search,
    stories,
    tracking,
)

FEATURES: list[ModuleType] = [
    communities,
    forks,
    archive,
    discussions,
    moderation,
    notifications,
    search,
    stories,
    tracking,
    circles,
]
