"""The disclosure rules of community insights, in one place.

Every figure a community or cluster publishes is a count of distinct
counted members (or an average over at least MIN_COUNT of them). Before a
count is stored it goes through `protect`:

1. Small counts are never shown. A count below MIN_COUNT, zero included,
   is published as SMALL ("fewer than 10"), so a hidden figure never tells
   whether anyone is in it.
2. The rest are rounded to the nearest ROUND_TO, so a figure never moves
   by one when one person joins, leaves or changes an answer.
3. Differences never reveal a small group. A cluster's figure is withheld
   (WITHHELD) wherever subtracting the published figures of some of its
   communities would leave between 1 and MIN_COUNT - 1 people.
4. Totals never reveal a hidden cell. In a distribution (cells that add up
   to a total), either no cell is hidden or at least two are; and the
   figures as published (each known only to within ROUND_TO, a hidden one
   only as "fewer than 10" or "withheld") must not narrow any hidden cell
   to fewer than ROUND_TO possible values: no hidden figure can be worked
   out more precisely than a published one is given. Where they would,
   the next smallest cell is withheld as well, and the total last.

The SET of figures a community publishes never depends on the data: every
symptom and treatment of its catalogue has the same cells whether or not
anyone reports it. Only a treatment's evaluation depends on a threshold
(MIN_TREATMENT_MEMBERS members with a course), which its published count
shows anyway."""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MIN_COUNT = 10
ROUND_TO = 5
MIN_TREATMENT_MEMBERS = 100

SMALL = "small"
WITHHELD = "withheld"
SHOWN = "shown"

type Key = tuple[str | int, ...]
# A published count (a multiple of ROUND_TO, at least MIN_COUNT), or SMALL
# or WITHHELD.
type Cell = int | str
type Bounds = dict[Key, tuple[float, float]]

# Propagation over a handful of distributions settles in two or three
# rounds; the cap only guards against a malformed table.
MAX_ROUNDS = 50


@dataclass(frozen=True)
class Group:
    """Cells that add up to a total: a distribution and what it divides."""

    total: Key
    cells: tuple[Key, ...]


@dataclass(frozen=True)
class Part:
    """One community of a cluster: its true counts and what it published."""

    counts: Mapping[Key, int]
    published: Mapping[Key, Cell]


def rounded(count: int) -> int:
    """To the nearest ROUND_TO (12 -> 10, 13 -> 15): within 2 of the truth."""
    return ROUND_TO * ((count + ROUND_TO // 2) // ROUND_TO)


def is_published(cell: Cell) -> bool:
    return isinstance(cell, int)


def protect(
    counts: Mapping[Key, int],
    groups: Sequence[Group] = (),
    parts: Sequence[Part] = (),
) -> dict[Key, Cell]:
    """The published cells of one community (`parts` empty) or one cluster
    (`parts` its communities, already protected)."""
    status = {key: SMALL if n < MIN_COUNT else SHOWN for key, n in counts.items()}
    for key, n in counts.items():
        if status[key] == SHOWN and reveals_part(n, _published_parts(parts, key)):
            status[key] = WITHHELD
    _protect_groups(counts, status, groups, _part_bounds(parts, counts))
    return {
        key: rounded(n) if status[key] == SHOWN else status[key]
        for key, n in counts.items()
    }


def _published_parts(parts: Sequence[Part], key: Key) -> list[int]:
    return [
        part.counts[key]
        for part in parts
        if key in part.counts and is_published(part.published.get(key, SMALL))
    ]


def reveals_part(count: int, part_counts: Iterable[int]) -> bool:
    """Whether `count` less the sum of some of `part_counts` is 1 to 9: a
    small group someone could find by subtracting published figures."""
    below = (1 << count) - 1  # subset sums that matter: 0 .. count - 1
    reachable = 1  # bit s is set when some subset of the parts sums to s
    for n in part_counts:
        reachable = (reachable | (reachable << n)) & below
    lowest = max(0, count - MIN_COUNT + 1)
    window = below ^ ((1 << lowest) - 1)  # sums count - 9 .. count - 1
    return bool(reachable & window)


# Distributions ----------------------------------------------------------------


def _protect_groups(
    counts: Mapping[Key, int],
    status: dict[Key, str],
    groups: Sequence[Group],
    known: Bounds,
) -> None:
    while True:
        exposed = exposed_keys(counts, status, groups, known)
        if not any(_withhold_near(key, counts, status, groups) for key in exposed):
            return


def exposed_keys(
    counts: Mapping[Key, int],
    status: Mapping[Key, str],
    groups: Sequence[Group],
    known: Bounds | None = None,
) -> list[Key]:
    """Hidden cells a reader could pin down: the only hidden cell of a
    distribution whose total is shown, or any hidden cell the published
    figures narrow to fewer than ROUND_TO possible values."""
    exposed = []
    for group in groups:
        hidden = [key for key in group.cells if status[key] != SHOWN]
        if status[group.total] == SHOWN and len(hidden) == 1:
            exposed.extend(hidden)
    bounds = feasible_bounds(counts, status, groups, known or {})
    for key, (low, high) in bounds.items():
        if status[key] != SHOWN and high - low + 1 < ROUND_TO:
            exposed.append(key)
    return exposed


def _withhold_near(
    key: Key, counts: Mapping[Key, int], status: dict[Key, str], groups: Sequence[Group]
) -> bool:
    """Withholds one more figure of a distribution `key` belongs to: its
    smallest shown cell, or else its total. False if there is none."""
    for group in groups:
        if key != group.total and key not in group.cells:
            continue
        shown = [cell for cell in group.cells if status[cell] == SHOWN]
        if shown:
            status[min(shown, key=lambda cell: counts[cell])] = WITHHELD
            return True
        if status[group.total] == SHOWN:
            status[group.total] = WITHHELD
            return True
    return False


def feasible_bounds(
    counts: Mapping[Key, int],
    status: Mapping[Key, str],
    groups: Sequence[Group],
    known: Bounds,
) -> Bounds:
    """What a reader can tell of each cell of the distributions from the
    published figures: the least and greatest value consistent with them.
    Distributions share at most their total, so propagating the bounds
    through each sum gives exactly the feasible range."""
    keys = {key for group in groups for key in (group.total, *group.cells)}
    bounds = {
        key: _own_bounds(counts[key], status[key], known.get(key)) for key in keys
    }
    for _ in range(MAX_ROUNDS):
        if not any([_tighten(group, bounds) for group in groups]):
            break
    return bounds


def _own_bounds(
    count: int, state: str, known: tuple[float, float] | None
) -> tuple[float, float]:
    low: float
    high: float
    if state == SHOWN:
        published = rounded(count)
        low, high = max(MIN_COUNT, published - 2), published + 2
    elif state == SMALL:
        low, high = 0, MIN_COUNT - 1
    else:
        low, high = MIN_COUNT, math.inf
    if known is not None:
        low, high = max(low, known[0]), min(high, known[1])
    return low, high


def _tighten(group: Group, bounds: Bounds) -> bool:
    """Narrows the total and each cell by `total = sum(cells)`; True if any
    bound moved."""
    lows = [bounds[cell][0] for cell in group.cells]
    highs = [bounds[cell][1] for cell in group.cells]
    total_low, total_high = bounds[group.total]
    new = {group.total: (max(total_low, sum(lows)), min(total_high, sum(highs)))}
    for index, cell in enumerate(group.cells):
        others_low = sum(lows) - lows[index]
        # Summed afresh: subtracting from a sum that may be infinite could
        # give inf - inf, which is nan.
        others_high = sum(highs[:index] + highs[index + 1 :])
        low, high = bounds[cell]
        new[cell] = (
            max(low, total_low - others_high),
            min(high, total_high - others_low),
        )
    moved = any(new[key] != bounds[key] for key in new)
    bounds.update(new)
    return moved


def _part_bounds(parts: Sequence[Part], counts: Mapping[Key, int]) -> Bounds:
    """What a cluster's communities' published figures tell of the
    cluster's: at least the largest of them (people are counted once in
    the cluster, and may be in several communities), at most their sum."""
    if not parts:
        return {}
    known: Bounds = {}
    for key in counts:
        ranges = [_published_range(part.published.get(key)) for part in parts]
        low = max(low for low, _ in ranges)
        known[key] = (low, sum(high for _, high in ranges))
    return known


def _published_range(cell: Cell | None) -> tuple[float, float]:
    if cell is None:
        return 0, math.inf
    if cell == WITHHELD:
        return MIN_COUNT, math.inf
    if cell == SMALL:
        return 0, MIN_COUNT - 1
    assert isinstance(cell, int)
    return max(MIN_COUNT, cell - 2), cell + 2
