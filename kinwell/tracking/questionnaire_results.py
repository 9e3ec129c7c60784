"""What organisers see of a questionnaire's answers: aggregates only, under
the disclosure rules of community insights (kinwell.tracking.insights.
figures), never one member's answers or score.

- Nothing but "fewer than 10 members" until 10 members answered.
- Members who answered, responses in all, and members by score band (each
  member once, by their latest score): each count below 10 is withheld,
  zero included; the others are rounded to the nearest 5.
- The bands add up to the members: where the total and the bands shown
  would give away a withheld band, another band (or the total) is
  withheld too (figures.protect).
- The rows are the same whatever the answers: a row that came and went
  would itself tell that someone answered so."""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from kinwell.tracking.insights.figures import MIN_COUNT, Group, protect
from kinwell.tracking.models import Questionnaire, QuestionnaireResponse
from kinwell.tracking.questionnaire_scales import BELOW_BANDS, band_for, score_of

SMALLEST_COUNT = MIN_COUNT
type Key = tuple[str | int, ...]
MEMBERS: Key = ("members",)
RESPONSES: Key = ("responses",)


@dataclass
class BandCount:
    label: str
    count: int | None


@dataclass
class Results:
    # Whether enough members answered for anything to be shown.
    enough: bool
    members: int | None = None
    responses: int | None = None
    bands: list[BandCount] = field(default_factory=list)


def results_for_organisers(questionnaire: Questionnaire) -> Results:
    """Three queries, whatever the number of responses: each member's latest
    score, the count of responses, and the questions' scales."""
    answered = QuestionnaireResponse.objects.filter(questionnaire=questionnaire)
    latest = (
        answered.filter(user=OuterRef("user"))
        .order_by("-answered_at", "-pk")
        .values("pk")[:1]
    )
    scores = list(answered.filter(pk=Subquery(latest)).values_list("score", flat=True))
    if len(scores) < SMALLEST_COUNT:
        return Results(enough=False)
    labels = band_labels(questionnaire)
    tally = Counter(
        band_for(score, questionnaire.score_bands) or BELOW_BANDS for score in scores
    )
    published = publish(len(scores), answered.count(), {b: tally[b] for b in labels})
    return Results(
        enough=True,
        members=published[MEMBERS],
        responses=published[RESPONSES],
        bands=[BandCount(label, published[("band", label)]) for label in labels],
    )


def publish(
    members: int, responses: int, bands: dict[str, int]
) -> dict[Key, int | None]:
    """The counts as they may be shown: None where withheld."""
    counts: dict[Key, int] = {MEMBERS: members, RESPONSES: responses}
    counts |= {("band", label): count for label, count in bands.items()}
    cells: tuple[Key, ...] = tuple(("band", label) for label in bands)
    groups = [Group(total=MEMBERS, cells=cells)] if cells else []
    shown = protect(counts, groups)
    return {key: cell if isinstance(cell, int) else None for key, cell in shown.items()}


def band_labels(questionnaire: Questionnaire) -> list[str]:
    """The rows of the distribution: every band, after a row for scores
    below the first band when the scales allow such scores."""
    bands = questionnaire.score_bands
    if not bands:
        return []
    labels = [str(band["label"]) for band in bands]
    if Decimal(str(bands[0]["from"])) > lowest_score(questionnaire):
        labels.insert(0, BELOW_BANDS)
    return labels


def lowest_score(questionnaire: Questionnaire) -> Decimal:
    """The lowest score its scales allow."""
    lowest = [
        min(choice["value"] for choice in choices)
        for choices in questionnaire.questions.values_list("choices", flat=True)
    ]
    return score_of(lowest, questionnaire.scoring)
