"""The disclosure rules of community insights (kinwell.tracking.insights.
figures), proved over many generated tables with hypothesis.

The attacker in these tests knows everything that is published and how it
was made: each shown count to within 2 (it is rounded to the nearest 5 and
at least 10), each "fewer than 10" to be 0 to 9, each "withheld" to be 10
or more, which cells add up to which totals, and, for a cluster, every one
of its communities' published figures. The checker below works out, by
exhaustive search over every table consistent with what is published, the
values each hidden cell could have: it shares no code with the rules."""

from collections.abc import Mapping, Sequence
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from kinwell.tracking.insights.figures import (
    MIN_COUNT,
    ROUND_TO,
    SMALL,
    WITHHELD,
    Cell,
    Group,
    Key,
    Part,
    protect,
    reveals_part,
    rounded,
)

TOTAL: Key = ("treatment", 1)
EFFECTS = tuple(("effect", 1, level) for level in range(6))
STOPS = tuple(("stop", 1, reason) for reason in range(10))
GROUPS = (Group(TOTAL, EFFECTS), Group(TOTAL, STOPS))
ALONE = tuple(("symptom", n) for n in range(4))

# Mostly small numbers, where the rules have work to do, some large.
counts = st.one_of(st.integers(0, 14), st.integers(0, 60), st.integers(0, 400))


@st.composite
def tables(draw: st.DrawFn) -> dict[Key, int]:
    """A treatment's two distributions (six ratings, ten standings) of the
    same members, and a few counts that stand alone."""
    effects = draw(st.lists(counts, min_size=len(EFFECTS), max_size=len(EFFECTS)))
    total = sum(effects)
    cuts = sorted(
        draw(st.lists(st.integers(0, total), min_size=len(STOPS) - 1, max_size=9))
    )
    stops = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    alone = draw(st.lists(counts, min_size=len(ALONE), max_size=len(ALONE)))
    return {
        TOTAL: total,
        **dict(zip(EFFECTS, effects, strict=True)),
        **dict(zip(STOPS, stops, strict=True)),
        **dict(zip(ALONE, alone, strict=True)),
    }


# The checker -------------------------------------------------------------------------


def candidates(cell: Cell, cap: int) -> set[int]:
    """What a reader knows of a cell from how it is published alone."""
    if cell == SMALL:
        return set(range(MIN_COUNT))
    if cell == WITHHELD:
        return set(range(MIN_COUNT, cap + 1))
    assert isinstance(cell, int)
    return {n for n in range(cell - 2, cell + 3) if n >= MIN_COUNT}


def as_mask(values: set[int]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << value
    return mask


def sums(options: Sequence[set[int]]) -> int:
    """Every sum of one value from each set, as a bit mask."""
    mask = 1
    for values in options:
        mask = _convolve(mask, values)
    return mask


def _convolve(mask: int, values: set[int]) -> int:
    out = 0
    for value in values:
        out |= mask << value
    return out


def possible_values(
    published: Mapping[Key, Cell], groups: Sequence[Group], cap: int
) -> dict[Key, set[int]]:
    """Every value each cell can take in some table consistent with all that
    is published: the total first (it must be a sum of each distribution),
    then each cell (the total less some sum of its siblings)."""
    known = {key: candidates(cell, cap) for key, cell in published.items()}
    totals = as_mask(known[TOTAL])
    for group in groups:
        totals &= sums([known[cell] for cell in group.cells])
    found = dict(known)
    found[TOTAL] = {n for n in range(totals.bit_length()) if totals >> n & 1}
    for group in groups:
        for cell in group.cells:
            others = sums([known[other] for other in group.cells if other != cell])
            found[cell] = {value for value in known[cell] if (totals >> value) & others}
    return found


# The rules, proved --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_published_count_is_below_ten_and_each_is_a_multiple_of_five(
    table: dict[Key, int],
) -> None:
    published = protect(table, GROUPS)
    assert set(published) == set(table)
    for key, cell in published.items():
        if isinstance(cell, int):
            assert cell >= MIN_COUNT
            assert cell % ROUND_TO == 0
            assert abs(cell - table[key]) <= ROUND_TO // 2
        elif cell == SMALL:
            assert table[key] < MIN_COUNT
        else:
            assert cell == WITHHELD
            assert table[key] >= MIN_COUNT


@settings(max_examples=300, deadline=None)
@given(tables())
def test_every_count_below_ten_is_hidden(table: dict[Key, int]) -> None:
    published = protect(table, GROUPS)
    assert all(published[key] == SMALL for key, n in table.items() if n < MIN_COUNT)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_a_distribution_never_hides_one_cell_beside_its_total(
    table: dict[Key, int],
) -> None:
    published = protect(table, GROUPS)
    for group in GROUPS:
        hidden = [cell for cell in group.cells if not isinstance(published[cell], int)]
        assert len(hidden) != 1 or not isinstance(published[group.total], int)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_totals_never_reveal_a_hidden_cell(table: dict[Key, int]) -> None:
    """No hidden cell can be narrowed to fewer than 5 values (no better than
    a published count is known), and the truth is always among them."""
    published = protect(table, GROUPS)
    cap = 2 * max(table.values()) + 2 * MIN_COUNT
    possible = possible_values(published, GROUPS, cap)
    for key, cell in published.items():
        assert table[key] in possible[key]
        if not isinstance(cell, int):
            assert len(possible[key]) >= ROUND_TO, (key, cell, possible[key])


def test_the_checker_catches_a_total_less_its_shown_cells() -> None:
    """Hiding only the small cell, as a naive rule would, lets a reader pin
    it down: 68 is published as 70 (68 to 72), five 12s as 10 (10 to 12),
    so the hidden one is 8 or 9. protect() withholds one more."""
    table: dict[Key, int] = {TOTAL: 68, **dict.fromkeys(STOPS, 0), STOPS[0]: 68}
    table |= dict(zip(EFFECTS, [12, 12, 12, 12, 12, 8], strict=True))
    naive: dict[Key, Cell] = {
        key: rounded(n) if n >= MIN_COUNT else SMALL for key, n in table.items()
    }
    assert possible_values(naive, GROUPS, 300)[EFFECTS[5]] == {8, 9}
    published = protect(table, GROUPS)
    assert [published[key] for key in EFFECTS] == [WITHHELD, 10, 10, 10, 10, SMALL]
    assert len(possible_values(published, GROUPS, 300)[EFFECTS[5]]) >= ROUND_TO


def test_rounding_is_to_the_nearest_five() -> None:
    assert [rounded(n) for n in (10, 12, 13, 17, 18, 102, 103)] == [
        10,
        10,
        15,
        15,
        20,
        100,
        105,
    ]


def test_zero_is_hidden_like_any_small_count() -> None:
    assert protect({("symptom", 1): 0, ("symptom", 2): 9, ("symptom", 3): 10}) == {
        ("symptom", 1): SMALL,
        ("symptom", 2): SMALL,
        ("symptom", 3): 10,
    }


# Clusters -----------------------------------------------------------------------------

COMMUNITIES = 3


@st.composite
def clusters(draw: st.DrawFn) -> list[tuple[frozenset[int], int, int]]:
    """People of a cluster: the communities each belongs to (one or more),
    whether they report a symptom, and how they rate a treatment (0 to 5)."""
    person = st.tuples(
        st.frozensets(st.integers(0, COMMUNITIES - 1), min_size=1),
        st.integers(0, 1),
        st.integers(0, len(EFFECTS) - 1),
    )
    return draw(st.lists(person, min_size=0, max_size=160))


def _counts(people: list[tuple[frozenset[int], int, int]]) -> dict[Key, int]:
    table: dict[Key, int] = {("symptom", 0): 0, TOTAL: len(people)}
    table |= dict.fromkeys(EFFECTS, 0)
    for _, reports, rating in people:
        table[("symptom", 0)] += reports
        table[EFFECTS[rating]] += 1
    return table


@settings(max_examples=200, deadline=None)
@given(clusters())
def test_a_cluster_figure_less_its_communities_never_leaves_a_small_group(
    people: list[tuple[frozenset[int], int, int]],
) -> None:
    groups = (Group(TOTAL, EFFECTS),)
    parts = []
    for community in range(COMMUNITIES):
        table = _counts([each for each in people if community in each[0]])
        parts.append(Part(table, protect(table, groups)))
    cluster = _counts(people)
    published = protect(cluster, groups, parts)
    for key, cell in published.items():
        if not isinstance(cell, int):
            continue
        shown = [
            part.counts[key] for part in parts if isinstance(part.published[key], int)
        ]
        for size in range(1, len(shown) + 1):
            for chosen in combinations(shown, size):
                assert not 0 < cluster[key] - sum(chosen) < MIN_COUNT


def test_a_cluster_figure_is_withheld_when_one_community_is_the_difference() -> None:
    """57 in the cluster, 50 in one community: 7 are elsewhere."""
    key: Key = ("symptom", 1)
    part = Part({key: 50}, {key: 50})
    assert protect({key: 57}, parts=[part]) == {key: WITHHELD}
    assert protect({key: 60}, parts=[part]) == {key: 60}


def test_subtracting_two_communities_is_caught_too() -> None:
    assert reveals_part(105, [50, 50])
    assert not reveals_part(100, [50, 50])
    assert not reveals_part(130, [50, 50, 15])
    assert not reveals_part(14, [])
