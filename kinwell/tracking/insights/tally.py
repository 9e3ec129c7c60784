"""The raw counts of a computation, in memory only: they are never stored,
and each scope's are dropped as soon as its figures are published."""

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from kinwell.tracking.insights.figures import Key


@dataclass(frozen=True)
class Entry:
    """A catalogue entry, as the figures name it."""

    pk: int
    name: str
    owner: int | None  # the community that added it; None for the generic set
    kind: str = ""


@dataclass
class Tally:
    """One scope's raw counts: a community's, or its cluster's when
    `community_id` is None."""

    community_id: int | None
    counts: Counter[Key] = field(default_factory=Counter)
    # Symptom id -> the sum, over members reporting it, of their average rating.
    burden: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))

    def sees(self, entry: Entry) -> bool:
        """A community sees the generic catalogue and its own additions; a
        cluster the generic catalogue only."""
        return entry.owner is None or entry.owner == self.community_id


@dataclass
class Records:
    """What a unit's queries found, shared by its scopes."""

    symptoms: dict[int, Entry]
    treatments: dict[int, Entry]
    window: tuple[date, date]
    tallies: dict[int, Tally]  # community id -> its scope
    cluster_tally: Tally | None
    # Each counted member -> the scopes they count in.
    scopes: dict[int, list[Tally]] = field(default_factory=dict)
    # Treatments with enough members in some scope to be evaluated there.
    evaluated: set[int] = field(default_factory=set)

    def scopes_for(self, user_id: int, entry: Entry) -> Iterator[Tally]:
        return (tally for tally in self.scopes.get(user_id, ()) if tally.sees(entry))

    def all_tallies(self) -> list[Tally]:
        found = list(self.tallies.values())
        if self.cluster_tally is not None:
            found.append(self.cluster_tally)
        return found
