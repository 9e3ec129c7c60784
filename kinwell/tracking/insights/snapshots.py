"""From raw counts to the stored snapshot, and back for the pages.

`publish` applies the disclosure rules (figures.protect) to one scope's
counts and lays the cells out as JSON; only that JSON is stored. A scope
publishes the same set of cells whatever its data: every symptom and
treatment of its catalogue, and an evaluation of each treatment with at
least MIN_TREATMENT_MEMBERS members (a threshold its published count shows).
The newest KEEP snapshots of each community and cluster are kept; older
ones are deleted as each new one is stored."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from kinwell.communities.models import Cluster, Community
from kinwell.tracking.insights.figures import (
    MIN_TREATMENT_MEMBERS,
    Cell,
    Group,
    Key,
    Part,
    is_published,
    protect,
)
from kinwell.tracking.insights.scales import EFFECT_KEYS, STOP_KEYS
from kinwell.tracking.insights.tally import Entry, Records, Tally
from kinwell.tracking.models.insights import InsightSnapshot, InsightState

VERSION = 1
KEEP = 3
MEMBERS: Key = ("members",)


@dataclass(frozen=True)
class Published:
    """A scope's figures: the raw counts (in memory only, for the cluster's
    rules), their cells as published, and the JSON that is stored."""

    counts: dict[Key, int]
    cells: dict[Key, Cell]
    figures: dict[str, Any]


def publish(tally: Tally, records: Records, parts: Sequence[Part] = ()) -> Published:
    symptoms = [entry for entry in records.symptoms.values() if tally.sees(entry)]
    treatments = [entry for entry in records.treatments.values() if tally.sees(entry)]
    evaluated = [
        entry.pk
        for entry in treatments
        if tally.counts[("treatment", entry.pk)] >= MIN_TREATMENT_MEMBERS
    ]
    keys: list[Key] = [MEMBERS]
    keys += [("symptom", entry.pk) for entry in symptoms]
    keys += [("treatment", entry.pk) for entry in treatments]
    groups = []
    for pk in evaluated:
        effects = tuple(("effect", pk, key) for key in EFFECT_KEYS)
        stops = tuple(("stop", pk, key) for key in STOP_KEYS)
        groups += [Group(("treatment", pk), effects), Group(("treatment", pk), stops)]
        keys += [*effects, *stops, *(("side", pk, entry.pk) for entry in symptoms)]
    counts = {key: tally.counts[key] for key in keys}
    cells = protect(counts, groups, parts)
    figures = {
        "version": VERSION,
        "window": [day.isoformat() for day in records.window],
        "members": cells[MEMBERS],
        "symptoms": _symptom_ranking(tally, symptoms, cells),
        "treatments": _treatment_list(treatments, evaluated, cells),
        "evaluations": {str(pk): _evaluation(pk, symptoms, cells) for pk in evaluated},
    }
    return Published(counts, cells, figures)


def _symptom_ranking(
    tally: Tally, symptoms: list[Entry], cells: dict[Key, Cell]
) -> list[dict[str, Any]]:
    """Every symptom, those with a published count first, most burdensome
    first; then the others by name. A burden is published only beside a
    published count (an average of at least MIN_COUNT members)."""
    rows = []
    for entry in symptoms:
        cell = cells[("symptom", entry.pk)]
        burden = None
        if is_published(cell):
            members = tally.counts[("symptom", entry.pk)]
            burden = round(tally.burden[entry.pk] / members, 1)
        rows.append(
            {"id": entry.pk, "name": entry.name, "members": cell, "burden": burden}
        )
    return sorted(rows, key=_ranking_order)


def _ranking_order(row: dict[str, Any]) -> tuple[bool, float, int, str]:
    published = row["burden"] is not None
    return (
        not published,
        -(row["burden"] or 0),
        -(row["members"] if published else 0),
        row["name"].lower(),
    )


def _treatment_list(
    treatments: list[Entry], evaluated: list[int], cells: dict[Key, Cell]
) -> list[dict[str, Any]]:
    rows = [
        {
            "id": entry.pk,
            "name": entry.name,
            "kind": entry.kind,
            "members": cells[("treatment", entry.pk)],
            "evaluated": entry.pk in evaluated,
        }
        for entry in treatments
    ]
    return sorted(rows, key=_by_count_then_name)


def _by_count_then_name(row: dict[str, Any]) -> tuple[int, str]:
    members = row["members"]
    return (-members if is_published(members) else 0, row["name"].lower())


def _evaluation(
    pk: int,
    symptoms: list[Entry],
    cells: dict[Key, Cell],
) -> dict[str, Any]:
    side_effects = [
        {"id": entry.pk, "name": entry.name, "members": cells[("side", pk, entry.pk)]}
        for entry in symptoms
    ]
    return {
        "effectiveness": {key: cells[("effect", pk, key)] for key in EFFECT_KEYS},
        "stopping": {key: cells[("stop", pk, key)] for key in STOP_KEYS},
        "side_effects": sorted(side_effects, key=_by_count_then_name),
    }


# Storing ------------------------------------------------------------------------------


@transaction.atomic
def save(
    figures: dict[str, Any],
    *,
    at: datetime,
    community: Community | None = None,
    cluster: Cluster | None = None,
) -> InsightSnapshot:
    snapshot = InsightSnapshot.objects.create(
        community=community, cluster=cluster, computed_at=at, figures=figures
    )
    scope = InsightSnapshot.objects.filter(community=community, cluster=cluster)
    keep = scope.order_by("-computed_at", "-pk").values_list("pk", flat=True)[:KEEP]
    scope.exclude(pk__in=list(keep)).delete()
    return snapshot


def mark_computed(community_ids: list[int], at: datetime) -> None:
    """Records when these communities were computed: the moment their
    records were read, so a change made while computing is computed again."""
    InsightState.objects.bulk_create(
        [InsightState(community_id=pk, computed_at=at) for pk in community_ids],
        update_conflicts=True,
        unique_fields=["community"],
        update_fields=["computed_at"],
    )


# Reading ------------------------------------------------------------------------------


def latest(
    *, community: Community | None = None, cluster: Cluster | None = None
) -> InsightSnapshot | None:
    """The newest snapshot of a community or a cluster: one query."""
    return (
        InsightSnapshot.objects.filter(community=community, cluster=cluster)
        .order_by("-computed_at", "-pk")
        .first()
    )
