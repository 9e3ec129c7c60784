"""Answer scales, score bands, schedules and scoring of questionnaires: the
rules of their shape, shared by the services, the forms and the API.

A scale is stored as [{"label": "Not at all", "value": 0}, ...] in the order
it is asked; score bands as [{"from": 0, "label": "Minimal"}, ...] in
ascending order, and a score gets the label of the last band it reaches.
Organisers type both as lines of "label = number"."""

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from kinwell.tracking.models import Questionnaire

MAX_QUESTIONS = 50
MIN_CHOICES = 2
MAX_CHOICES = 11
MAX_BANDS = 10
MAX_LABEL = 60
# Scores are stored with 7 digits, 2 after the point: values stay far inside.
MAX_VALUE = 1000
# The row organisers' results give scores below the first band: no band of
# theirs may have its name, or the two rows would be one.
BELOW_BANDS = "Below the first band"

# Ready-made scales organisers pick from; "custom" is typed in as lines.
SCALES: dict[str, tuple[str, list[tuple[str, int]]]] = {
    "intensity": (
        "Not at all to extremely (0 to 4)",
        [
            ("Not at all", 0),
            ("A little bit", 1),
            ("Moderately", 2),
            ("Quite a bit", 3),
            ("Extremely", 4),
        ],
    ),
    "frequency": (
        "Not at all to nearly every day (0 to 3)",
        [
            ("Not at all", 0),
            ("Several days", 1),
            ("More than half the days", 2),
            ("Nearly every day", 3),
        ],
    ),
    "yes_no": ("No or yes (0 or 1)", [("No", 0), ("Yes", 1)]),
}
CUSTOM = "custom"

# How often enrolled members are asked; 0 is once only.
INTERVALS: list[tuple[int, str]] = [
    (0, "Once only"),
    (7, "Every week"),
    (14, "Every two weeks"),
    (28, "Every four weeks"),
]
INTERVAL_LABELS = dict(INTERVALS)


def scale_choices(name: str) -> list[dict[str, Any]]:
    """A ready-made scale, as stored on a question."""
    if name not in SCALES:
        raise ValidationError({"scale": "Choose one of the scales offered."})
    return [{"label": label, "value": value} for label, value in SCALES[name][1]]


def scale_name(choices: Sequence[dict[str, Any]]) -> str:
    """Which ready-made scale `choices` is, or CUSTOM."""
    for name in SCALES:
        if list(choices) == scale_choices(name):
            return name
    return CUSTOM


def interval_label(days: int) -> str:
    return INTERVAL_LABELS.get(days, f"Every {days} days")


# Reading what organisers type ---------------------------------------------------


def parse_lines(text: str, field: str) -> list[tuple[str, Decimal]]:
    """Lines of "label = number", blank lines skipped. The label may itself
    hold "=": the number is after the last one."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, value = line.rpartition("=")
        amount = _number(value) if sep else None
        if amount is None or not label.strip():
            raise ValidationError(
                {field: f'Line {number}: write it as "label = number".'}
            )
        found.append((label.strip(), amount))
    return found


def _number(text: str) -> Decimal | None:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def choices_from_lines(text: str) -> list[dict[str, Any]]:
    pairs = parse_lines(text, "choices")
    for label, value in pairs:
        if value != value.to_integral_value():
            raise ValidationError(
                {"choices": f'"{label}": answer values are whole numbers.'}
            )
    return clean_choices([{"label": label, "value": int(v)} for label, v in pairs])


def bands_from_lines(text: str) -> list[dict[str, Any]]:
    pairs = parse_lines(text, "score_bands")
    return clean_bands([{"from": _plain(v), "label": label} for label, v in pairs])


def choices_as_lines(choices: Iterable[dict[str, Any]]) -> str:
    return "\n".join(f"{c['label']} = {c['value']}" for c in choices)


def bands_as_lines(bands: Iterable[dict[str, Any]]) -> str:
    return "\n".join(f"{b['label']} = {b['from']}" for b in bands)


def _plain(amount: Decimal) -> int | float:
    """A number as JSON keeps it: whole numbers as integers."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


# Checking shapes ----------------------------------------------------------------


def clean_choices(choices: Sequence[Any]) -> list[dict[str, Any]]:
    """An answer scale: 2 to 11 choices, each a label and a whole number,
    no label or value twice."""
    field = "choices"
    if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        raise ValidationError(
            {field: f"Give from {MIN_CHOICES} to {MAX_CHOICES} answers to choose from."}
        )
    cleaned = [_choice(choice) for choice in choices]
    _require_distinct([c["label"].casefold() for c in cleaned], "labels", field)
    _require_distinct([c["value"] for c in cleaned], "values", field)
    return cleaned


def _choice(choice: Any) -> dict[str, Any]:
    if not isinstance(choice, dict) or set(choice) != {"label", "value"}:
        raise ValidationError({"choices": "Each answer needs a label and a value."})
    label, value = choice["label"], choice["value"]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError({"choices": "Answer values are whole numbers."})
    if abs(value) > MAX_VALUE:
        raise ValidationError(
            {"choices": f"Answer values go from -{MAX_VALUE} to {MAX_VALUE}."}
        )
    return {"label": _label(label, "choices"), "value": value}


def clean_bands(bands: Sequence[Any]) -> list[dict[str, Any]]:
    """Score bands: at most 10, each starting above the one before."""
    field = "score_bands"
    if len(bands) > MAX_BANDS:
        raise ValidationError({field: f"Give at most {MAX_BANDS} score bands."})
    cleaned = [_band(band) for band in bands]
    starts = [Decimal(str(band["from"])) for band in cleaned]
    if starts != sorted(set(starts)):
        raise ValidationError(
            {field: "List the bands from the lowest score up, each starting higher."}
        )
    _require_distinct([b["label"].casefold() for b in cleaned], "labels", field)
    if any(b["label"].casefold() == BELOW_BANDS.casefold() for b in cleaned):
        raise ValidationError(
            {
                field: f'"{BELOW_BANDS}" is how results show scores below every '
                "band. Give the band another name."
            }
        )
    return cleaned


def _band(band: Any) -> dict[str, Any]:
    if not isinstance(band, dict) or set(band) != {"from", "label"}:
        raise ValidationError({"score_bands": "Each band needs a label and a start."})
    start = band["from"]
    if not isinstance(start, int | float) or isinstance(start, bool):
        raise ValidationError({"score_bands": "A band starts at a number."})
    amount = _number(str(start))
    if amount is None or abs(amount) > MAX_VALUE * MAX_QUESTIONS:
        raise ValidationError({"score_bands": "A band starts at a number."})
    return {"from": _plain(amount), "label": _label(band["label"], "score_bands")}


def _label(label: Any, field: str) -> str:
    if not isinstance(label, str) or not label.strip():
        raise ValidationError({field: "Every label needs some words."})
    if len(label.strip()) > MAX_LABEL or "\x00" in label:
        raise ValidationError(
            {field: f"Keep each label to {MAX_LABEL} characters or fewer."}
        )
    return label.strip()


def _require_distinct(items: list[Any], what: str, field: str) -> None:
    if len(set(items)) != len(items):
        raise ValidationError({field: f"Each of the {what} must be different."})


def clean_interval(days: int) -> int:
    if days not in INTERVAL_LABELS:
        raise ValidationError(
            {"interval_days": "Choose once, every week, two weeks or four weeks."}
        )
    return days


def clean_scoring(scoring: str) -> str:
    if scoring not in Questionnaire.Scoring.values:
        raise ValidationError({"scoring": "Choose a sum or an average."})
    return scoring


# Scoring ------------------------------------------------------------------------

CENT = Decimal("0.01")


def score_of(values: Sequence[int], scoring: str) -> Decimal:
    """The sum, or the mean to two decimal places (half up), of the answers."""
    total = Decimal(sum(values))
    if scoring == Questionnaire.Scoring.MEAN and values:
        total = total / len(values)
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def band_for(score: Decimal, bands: Sequence[dict[str, Any]]) -> str:
    """The label of the last band `score` reaches; empty below the first."""
    label = ""
    for band in bands:
        if score >= Decimal(str(band["from"])):
            label = str(band["label"])
    return label


def format_score(score: Decimal) -> str:
    """3.00 reads as 3; 2.50 as 2.5."""
    text = f"{score.normalize():f}"
    return "0" if text in {"-0", ""} else text
