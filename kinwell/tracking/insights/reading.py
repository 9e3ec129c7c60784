"""A stored snapshot as the pages and the API read it. Nothing here
queries anything but the one snapshot row."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString

from kinwell.communities.models import Cluster, Community
from kinwell.tracking.insights import snapshots
from kinwell.tracking.insights.figures import MIN_COUNT, SMALL, WITHHELD, Cell
from kinwell.tracking.insights.scales import EFFECTIVENESS, STANDING
from kinwell.tracking.models import Treatment

SMALL_WORDS = f"fewer than {MIN_COUNT}"
SMALL_TITLE = f"Fewer than {MIN_COUNT} members: small numbers are never shown."
WITHHELD_WORDS = "withheld"
WITHHELD_TITLE = (
    "Not shown, so that a small number cannot be worked out by subtracting "
    "one figure from another."
)
KINDS = dict(Treatment.Kind.choices)


@dataclass(frozen=True)
class Count:
    """One published count: a number, or why there is none."""

    value: int | None
    state: str  # "shown", figures.SMALL or figures.WITHHELD

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def words(self) -> str:
        if self.value is not None:
            return str(self.value)
        return SMALL_WORDS if self.state == SMALL else WITHHELD_WORDS

    @property
    def html(self) -> SafeString:
        """The number, or its words with their explanation as a title."""
        if self.value is not None:
            return format_html("{}", self.value)
        title = SMALL_TITLE if self.state == SMALL else WITHHELD_TITLE
        return format_html(
            '<abbr class="suppressed" title="{}">{}</abbr>', title, self.words
        )

    def __str__(self) -> str:
        return self.words


def count(cell: Cell) -> Count:
    if isinstance(cell, int):
        return Count(cell, "shown")
    return Count(None, SMALL if cell == SMALL else WITHHELD)


@dataclass(frozen=True)
class SymptomRow:
    pk: int
    name: str
    members: Count
    burden: float | None
    rank: int | None  # 1 for the most burdensome; None when not ranked


@dataclass(frozen=True)
class TreatmentRow:
    pk: int
    name: str
    kind: str
    members: Count
    evaluated: bool

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind.capitalize()))


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    members: Count


@dataclass(frozen=True)
class SideEffectRow:
    pk: int
    name: str
    members: Count


@dataclass(frozen=True)
class TreatmentEvaluation:
    treatment: TreatmentRow
    effectiveness: list[Share]
    standing: list[Share]
    side_effects: list[SideEffectRow]  # every one, most reported first

    @property
    def reported_side_effects(self) -> list[SideEffectRow]:
        return [row for row in self.side_effects if not row.members.suppressed]


@dataclass(frozen=True)
class Insights:
    computed_at: datetime
    window: tuple[date, date]
    members: Count
    symptoms: list[SymptomRow]
    treatments: list[TreatmentRow]
    figures: dict[str, Any]

    @property
    def ranked(self) -> list[SymptomRow]:
        return [row for row in self.symptoms if row.rank is not None]

    @property
    def evaluated(self) -> list[TreatmentRow]:
        return [row for row in self.treatments if row.evaluated]

    def evaluation(self, treatment_id: int) -> TreatmentEvaluation | None:
        found = self.figures["evaluations"].get(str(treatment_id))
        row = next((row for row in self.treatments if row.pk == treatment_id), None)
        if found is None or row is None:
            return None
        return TreatmentEvaluation(
            treatment=row,
            effectiveness=_shares(found["effectiveness"], EFFECTIVENESS),
            standing=_shares(found["stopping"], STANDING),
            side_effects=[
                SideEffectRow(item["id"], item["name"], count(item["members"]))
                for item in found["side_effects"]
            ],
        )


def _shares(cells: dict[str, Cell], labels: dict[str, str]) -> list[Share]:
    """In the scale's order: PostgreSQL's jsonb does not keep the order of
    an object's keys."""
    return [
        Share(key, label, count(cells[key]))
        for key, label in labels.items()
        if key in cells
    ]


def latest_for(
    *, community: Community | None = None, cluster: Cluster | None = None
) -> Insights | None:
    """The newest insights of a community or a cluster (one query), or None
    if none have been worked out yet in a form this version reads."""
    snapshot = snapshots.latest(community=community, cluster=cluster)
    if snapshot is None or snapshot.figures.get("version") != snapshots.VERSION:
        return None
    return read(snapshot.figures, snapshot.computed_at)


def read(figures: dict[str, Any], computed_at: datetime) -> Insights:
    start, end = (date.fromisoformat(day) for day in figures["window"])
    return Insights(
        computed_at=computed_at,
        window=(start, end),
        members=count(figures["members"]),
        symptoms=_symptom_rows(figures["symptoms"]),
        treatments=[
            TreatmentRow(
                item["id"],
                item["name"],
                item["kind"],
                count(item["members"]),
                item["evaluated"],
            )
            for item in figures["treatments"]
        ],
        figures=figures,
    )


def _symptom_rows(items: list[dict[str, Any]]) -> list[SymptomRow]:
    rows, rank = [], 0
    for item in items:
        ranked = item["burden"] is not None
        rank += ranked
        rows.append(
            SymptomRow(
                item["id"],
                item["name"],
                count(item["members"]),
                item["burden"],
                rank if ranked else None,
            )
        )
    return rows
