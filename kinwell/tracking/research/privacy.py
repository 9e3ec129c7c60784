"""Counts released with differential privacy, through OpenDP (an optional
extra: `pip install kinwell[dp]`).

Each table counts members (members per symptom, per treatment, and per
level of perceived effectiveness of each treatment) over the community's
catalogue (the entries still in it), a fixed set of rows that does not
depend on anyone's data. Each
member adds at most CONTRIBUTIONS rows to each table; the Laplace mechanism
adds noise scaled to that bound, so whether any one member is in the data
changes the probability of any released table by at most a factor of
e^epsilon. The release's epsilon is split evenly over its tables (basic
composition), and every release spends from its request's budget, which is
never exceeded. docs/research.md explains this for researchers and members."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from kinwell.tracking.models import (
    DatasetRequest,
    Evaluation,
    Symptom,
    SymptomScore,
    Treatment,
    TreatmentCourse,
)
from kinwell.tracking.research import deid

# How many rows of one table a single member may add.
CONTRIBUTIONS = 5
MIN_EPSILON = Decimal("0.01")
EPSILON_PLACES = Decimal("0.001")  # as DatasetRequest.privacy_spent keeps it
UNAVAILABLE = (
    "Counts with differential privacy need the optional OpenDP package, which "
    "this installation does not have. Ask its administrator to install "
    "kinwell[dp]."
)


def _load_opendp() -> Any | None:
    """opendp.prelude with its "contrib" features, or None if not installed."""
    try:
        import opendp.prelude as dp
    except ImportError:
        return None
    # Laplace noise on counts is in OpenDP's contributed (community-vetted)
    # part, which must be switched on explicitly.
    dp.enable_features("contrib")
    return dp


def available() -> bool:
    return _load_opendp() is not None


def may_release(request: DatasetRequest) -> bool:
    return request.privacy_budget is not None and available()


def remaining_budget(request: DatasetRequest) -> Decimal:
    if request.privacy_budget is None:
        return Decimal(0)
    return max(Decimal(request.privacy_budget) - request.privacy_spent, Decimal(0))


def check_spend(request: DatasetRequest, epsilon: Decimal | None) -> Decimal:
    """The epsilon to spend, if the request's budget allows it; otherwise a
    ValidationError saying what is left. `request` must be freshly read
    under a row lock."""
    if _load_opendp() is None:
        raise ValidationError(UNAVAILABLE)
    if request.privacy_budget is None:
        raise ValidationError(
            "This request has no privacy budget, so it cannot release counts "
            "with differential privacy."
        )
    if epsilon is None or not epsilon.is_finite() or epsilon < MIN_EPSILON:
        wanted = f"Choose how much of the budget to spend: at least {MIN_EPSILON}."
        raise ValidationError({"epsilon": wanted})
    left = remaining_budget(request)
    if epsilon > left:
        raise ValidationError(
            {
                "epsilon": f"That would exceed the privacy budget: {left} of "
                f"{request.privacy_budget} is left."
            }
        )
    # Rounding what is at most `left` (three places) never goes above it.
    return epsilon.quantize(EPSILON_PLACES)


# The tables -----------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    # category key -> what the row is (names and codes from the catalogue)
    rows: dict[str, dict[str, Any]]
    # one category key per contribution of a member (at most CONTRIBUTIONS each)
    contributions: dict[int, list[str]]


def private_counts(
    request: DatasetRequest, member_ids: list[int], *, epsilon: Decimal
) -> dict[str, Any]:
    """The noisy tables, as a JSON-ready dict. Raises ValidationError if
    OpenDP is missing or the request asks for nothing that is counted."""
    dp = _load_opendp()
    if dp is None:
        raise ValidationError(UNAVAILABLE)
    tables = counted_tables(request, member_ids)
    if not tables:
        raise ValidationError(
            "Counts cover check-ins and treatments, and this request asks for neither."
        )
    share = float(epsilon) / len(tables)
    return {
        "epsilon": str(epsilon),
        "contributions_per_member_per_table": CONTRIBUTIONS,
        "mechanism": "Laplace mechanism on integer counts (OpenDP)",
        "tables": [_release_table(dp, request, table, share) for table in tables],
    }


def _release_table(
    dp: Any, request: DatasetRequest, table: Table, epsilon: float
) -> dict[str, Any]:
    keys = list(table.rows)
    released: dict[str, Any] = {
        "name": table.name,
        "description": table.description,
        "epsilon": 0.0,
        "noise_scale": None,
        "rows": [],
    }
    if not keys:  # an empty catalogue: nothing to count, nothing spent
        return released
    space = dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance()

    def measurement(scale: float) -> Any:
        counting = dp.t.make_count_by_categories(
            *space, categories=keys, null_category=False
        )
        return counting >> dp.m.then_laplace(scale)

    scale = dp.binary_search_param(measurement, d_in=CONTRIBUTIONS, d_out=epsilon)
    chosen = measurement(scale)
    data = [key for given in table.contributions.values() for key in given]
    noisy = chosen(data)
    released["epsilon"] = round(float(chosen.map(CONTRIBUTIONS)), 6)
    released["noise_scale"] = float(scale)
    released["rows"] = [
        {**table.rows[key], "count": int(count)}
        for key, count in zip(keys, noisy, strict=True)
    ]
    return released


def counted_tables(request: DatasetRequest, member_ids: list[int]) -> list[Table]:
    tables = []
    if request.include_check_ins:
        tables.append(_symptom_table(request, member_ids))
    if request.include_treatments:
        tables.append(_treatment_table(request, member_ids))
        tables.append(_effectiveness_table(request, member_ids))
    return tables


def _bounded(
    request: DatasetRequest, pairs: Iterable[tuple[int, str]]
) -> dict[int, list[str]]:
    """Each member's distinct keys, at most CONTRIBUTIONS of them, chosen in
    an order keyed by the request's salt (so not by anything in the data)."""
    keys: dict[int, set[str]] = defaultdict(set)
    for member, key in pairs:
        keys[member].add(key)
    return {
        member: _first_ranked(request, member, given) for member, given in keys.items()
    }


def _first_ranked(request: DatasetRequest, member: int, keys: set[str]) -> list[str]:
    ranked = sorted(keys, key=lambda key: deid.rank(request, member, key))
    return ranked[:CONTRIBUTIONS]


def _entry(entry: Symptom | Treatment) -> dict[str, Any]:
    return {"name": entry.name, "snomed_code": entry.snomed_code}


def _in_period(request: DatasetRequest, field: str) -> Q:
    bounds = Q()
    if request.period_from:
        bounds &= Q(**{f"{field}__gte": request.period_from})
    if request.period_to:
        bounds &= Q(**{f"{field}__lte": request.period_to})
    return bounds


def _symptom_table(request: DatasetRequest, member_ids: list[int]) -> Table:
    symptoms = (
        Symptom.objects.for_community(request.community)
        .current()
        .order_by("name", "pk")
    )
    scores = SymptomScore.objects.filter(
        _in_period(request, "day"),
        user_id__in=member_ids,
        symptom__in=symptoms,
    ).values_list("user_id", "symptom_id")
    return Table(
        name="members_per_symptom",
        description="Members who rated the symptom at least once in the period.",
        rows={str(s.pk): _entry(s) for s in symptoms},
        contributions=_bounded(request, ((u, str(s)) for u, s in scores)),
    )


def _treatments(request: DatasetRequest) -> list[Treatment]:
    return list(
        Treatment.objects.for_community(request.community)
        .current()
        .order_by("name", "pk")
    )


def _treatment_table(request: DatasetRequest, member_ids: list[int]) -> Table:
    treatments = _treatments(request)
    courses = TreatmentCourse.objects.filter(
        _overlapping(request.period_from, request.period_to),
        user_id__in=member_ids,
        treatment__in=treatments,
    ).values_list("user_id", "treatment_id")
    return Table(
        name="members_per_treatment",
        description="Members with a course of the treatment during the period.",
        rows={str(t.pk): _entry(t) for t in treatments},
        contributions=_bounded(request, ((u, str(t)) for u, t in courses)),
    )


def _overlapping(start: date | None, end: date | None) -> Q:
    overlap = Q()
    if end:
        overlap &= Q(started_on__lte=end)
    if start:
        overlap &= Q(stopped_on__isnull=True) | Q(stopped_on__gte=start)
    return overlap


def _effectiveness_table(request: DatasetRequest, member_ids: list[int]) -> Table:
    treatments = _treatments(request)
    levels = Evaluation.Effectiveness
    latest: dict[tuple[int, int], int | None] = {}
    evaluations = (
        Evaluation.objects.filter(
            _in_period(request, "evaluated_on"),
            user_id__in=member_ids,
            treatment__in=treatments,
            effectiveness__isnull=False,
        )
        .order_by("evaluated_on", "created_at", "pk")
        .values_list("user_id", "treatment_id", "effectiveness")
    )
    for user_id, treatment_id, effectiveness in evaluations:
        latest[(user_id, treatment_id)] = effectiveness
    pairs = ((u, f"{t}:{e}") for (u, t), e in latest.items())
    return Table(
        name="effectiveness_per_treatment",
        description="Members by their latest rating of the treatment's "
        "effectiveness in the period.",
        rows={
            f"{t.pk}:{level.value}": {**_entry(t), "effectiveness": level.label}
            for t in treatments
            for level in levels
        },
        contributions=_bounded(request, pairs),
    )
