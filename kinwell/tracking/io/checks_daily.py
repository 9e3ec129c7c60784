"""Checks conditions.csv, symptoms.csv and check_ins.csv, row by row, and
finds what the member already has (those rows are skipped, and said so)."""

from datetime import date

from kinwell.tracking.checkins import MAX_TRACKED
from kinwell.tracking.io import csv_format as fmt
from kinwell.tracking.io.checking import (
    Check,
    ConditionItem,
    DayItem,
    Plan,
    RowCheck,
    TrackingItem,
    later_than,
)
from kinwell.tracking.io.upload import ParsedFile
from kinwell.tracking.models import (
    CheckIn,
    Condition,
    MemberCondition,
    Symptom,
    TrackedSymptom,
)

# Conditions ------------------------------------------------------------------------


def check_conditions(check: Check, parsed: ParsedFile, plan: Plan) -> None:
    name = parsed.name
    existing = set(
        MemberCondition.objects.filter(user=check.owner).values_list(
            "condition_id", flat=True
        )
    )
    seen: dict[int, int] = {}
    for row in parsed.rows:
        cells = check.row(name, row)
        condition_id = cells.entry("condition", Condition)
        onset_on = cells.read("onset_on", check.read_day)
        diagnosed_on = cells.read("diagnosed_on", check.read_day)
        if condition_id is not None and condition_id in seen:
            cells.fail("condition", f"Listed already on line {seen[condition_id]}.")
        if not cells.ok or condition_id is None:
            continue
        seen[condition_id] = row.line
        if condition_id in existing:
            check.skip(name, row.line, "This condition is already on your list.")
            continue
        plan.conditions.append(ConditionItem(condition_id, onset_on, diagnosed_on))


# Tracked symptoms ------------------------------------------------------------------


def check_symptoms(check: Check, parsed: ParsedFile, plan: Plan) -> None:
    name = parsed.name
    rows = TrackedSymptom.objects.filter(user=check.owner)
    existing = set(rows.values_list("symptom_id", "started_on"))
    open_now = set(
        rows.filter(stopped_on__isnull=True).values_list("symptom_id", flat=True)
    )
    seen: dict[tuple[int, date], int] = {}
    open_in_file: dict[int, int] = {}
    for row in parsed.rows:
        cells = check.row(name, row)
        item = _tracking(check, cells)
        if item is None:
            continue
        key = (item.symptom_id, item.started_on)
        if key in seen:
            cells.fail("started_on", f"Listed already on line {seen[key]}.")
            continue
        seen[key] = row.line
        if item.stopped_on is None:
            if item.symptom_id in open_in_file:
                line = open_in_file[item.symptom_id]
                cells.fail("stopped_on", f"Line {line} tracks it until now already.")
                continue
            open_in_file[item.symptom_id] = row.line
        if key in existing or (item.stopped_on is None and item.symptom_id in open_now):
            check.skip(name, row.line, "You track this symptom already.")
            continue
        plan.trackings.append(item)


def _tracking(check: Check, cells: RowCheck) -> TrackingItem | None:
    symptom_id = cells.entry("symptom", Symptom)
    started_on = cells.required("started_on", check.read_day)
    stopped_on = cells.read("stopped_on", check.read_day)
    if later_than(started_on, stopped_on):
        cells.fail("stopped_on", "This is before the day tracking started.")
    if not cells.ok or symptom_id is None or started_on is None:
        return None
    return TrackingItem(symptom_id, started_on, stopped_on)


# Check-ins ---------------------------------------------------------------------------


def check_check_ins(check: Check, parsed: ParsedFile, plan: Plan) -> None:
    """Rows of the same day make one check-in: one row per symptom rated,
    the mood and note given on any one of them (or on all, the same)."""
    days: dict[date, DayItem] = {}
    for row in parsed.rows:
        _check_in_row(check, check.row(parsed.name, row), days)
    for item in days.values():
        if not (item.scores or item.mood is not None or item.note or item.failed):
            check.problem(
                parsed.name,
                item.line,
                None,
                "This day has nothing to record: rate a symptom, or give a mood "
                "or a note.",
            )
    existing = _existing_days(check, list(days))
    for day, item in sorted(days.items()):
        if day in existing:
            check.skip(
                parsed.name,
                item.line,
                f"You have a check-in for {day.isoformat()} already; this day is "
                "left as it is.",
            )
        else:
            plan.days.append(item)


def _check_in_row(check: Check, cells: RowCheck, days: dict[date, DayItem]) -> None:
    day = cells.required("day", check.read_day)
    has_symptom = bool(cells.row["symptom"])
    symptom_id = cells.entry("symptom", Symptom) if has_symptom else None
    severity = cells.read("severity", lambda text: fmt.read_scale("severity", text))
    mood = cells.read("mood", lambda text: fmt.read_scale("mood", text))
    note = cells.text("note", fmt.NOTE_LIMIT)
    if has_symptom and severity is None and cells.row["severity"] == "":
        cells.fail("severity", "Give this symptom's severity, 0 to 4.")
    if not has_symptom and severity is not None:
        cells.fail("symptom", "A severity needs the symptom it rates.")
    if day is None:
        return
    item = days.setdefault(day, DayItem(line=cells.line, day=day))
    _same_for_the_day(cells, item, mood, note)
    if symptom_id is not None and symptom_id in item.scores:
        cells.fail("symptom", "This symptom is rated twice on this day.")
    elif symptom_id is not None and severity is not None:
        item.scores[symptom_id] = severity
    item.failed = item.failed or not cells.ok


def _same_for_the_day(
    cells: RowCheck, item: DayItem, mood: int | None, note: str
) -> None:
    if mood is not None:
        if item.mood is not None and item.mood != mood:
            cells.fail("mood", f"Line {item.mood_line} gives this day another mood.")
        elif item.mood is None:
            item.mood, item.mood_line = mood, cells.line
    if note:
        if item.note and item.note != note:
            cells.fail("note", f"Line {item.note_line} gives this day another note.")
        elif not item.note:
            item.note, item.note_line = note, cells.line


def _existing_days(check: Check, days: list[date]) -> set[date]:
    if not days:
        return set()
    rows = CheckIn.objects.filter(
        user=check.owner, day__gte=min(days), day__lte=max(days)
    )
    return set(rows.values_list("day", flat=True))


# Symptoms rated but never tracked ---------------------------------------------------


def plan_new_trackings(check: Check, plan: Plan, file: str) -> None:
    """Symptoms the check-ins rate that the member has never tracked (and the
    upload does not track) are tracked from the first day rated on, so that
    they appear in the member's check-ins and charts."""
    first_rated: dict[int, date] = {}
    for item in plan.days:
        for symptom_id in item.scores:
            if item.day < first_rated.get(symptom_id, date.max):
                first_rated[symptom_id] = item.day
    known = set(
        TrackedSymptom.objects.filter(
            user=check.owner, symptom_id__in=list(first_rated)
        ).values_list("symptom_id", flat=True)
    ) | {tracking.symptom_id for tracking in plan.trackings}
    for symptom_id, day in sorted(first_rated.items()):
        if symptom_id not in known:
            plan.new_trackings.append(TrackingItem(symptom_id, day, None))
    _check_open_count(check, plan, file)


def _check_open_count(check: Check, plan: Plan, file: str) -> None:
    now_open = TrackedSymptom.objects.filter(
        user=check.owner, stopped_on__isnull=True
    ).count()
    added = [t for t in plan.trackings + plan.new_trackings if t.stopped_on is None]
    if now_open + len(added) > MAX_TRACKED:
        check.problem(
            file,
            None,
            None,
            f"After this import you would track {now_open + len(added)} symptoms; "
            f"you can track up to {MAX_TRACKED} at once. Give some of them a "
            "stopped_on date in symptoms.csv.",
        )
