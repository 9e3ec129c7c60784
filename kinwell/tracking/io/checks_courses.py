"""Checks courses.csv, evaluations.csv and side_effects.csv. Evaluations
name their course, and side effects their evaluation, by the numbers in the
`course` and `evaluation` columns, which mean something only within one
upload."""

from functools import partial
from typing import TypeVar

from kinwell.tracking.io import csv_format as fmt
from kinwell.tracking.io.checking import (
    Check,
    CourseItem,
    EvaluationItem,
    Plan,
    RowCheck,
    later_than,
)
from kinwell.tracking.io.upload import ParsedFile
from kinwell.tracking.models import Symptom, Treatment, TreatmentCourse
from kinwell.tracking.models.records import Severity
from kinwell.tracking.treatments import MAX_SIDE_EFFECTS

T = TypeVar("T")
# Items by their number in the file; None for one whose row has a problem.
Numbered = dict[int, T | None]


def check_courses(
    check: Check, parsed: ParsedFile | None, plan: Plan
) -> Numbered[CourseItem]:
    """The courses by number; None for one whose row has a problem, so that
    what refers to it is not reported twice."""
    if parsed is None:
        return {}
    rows = TreatmentCourse.objects.filter(user=check.owner)
    existing = set(rows.values_list("treatment_id", "started_on"))
    current = set(
        rows.filter(stopped_on__isnull=True).values_list("treatment_id", flat=True)
    )
    courses: dict[int, CourseItem | None] = {}
    lines: dict[int, int] = {}
    for row in parsed.rows:
        cells = check.row(parsed.name, row)
        number = cells.required("course", fmt.read_whole_number)
        item = _course(check, cells)
        if number is not None and number in lines:
            cells.fail(
                "course", f"Course {number} is listed already on line {lines[number]}."
            )
            continue
        if number is not None:
            lines[number] = row.line
            courses[number] = item if cells.ok else None
        if not cells.ok or number is None or item is None:
            continue
        plan.courses.append(item)
        if (item.treatment_id, item.started_on) in existing:
            item.skipped = True
            check.skip(
                parsed.name,
                row.line,
                "You have a course of this treatment from this day already; it is "
                "left as it is, and its evaluations are not imported.",
            )
    _check_one_current(check, parsed.name, plan.written_courses, current)
    return courses


def _check_one_current(
    check: Check, file: str, courses: list[CourseItem], current: set[int]
) -> None:
    """A treatment has at most one course going on at a time."""
    seen: dict[int, int] = {}
    for item in courses:
        if item.stopped_on is not None:
            continue
        if item.treatment_id in current:
            check.problem(
                file,
                item.line,
                "stopped_on",
                "You have a course of this treatment going on already: give this "
                "one the day it stopped, or stop the other first.",
            )
        elif item.treatment_id in seen:
            check.problem(
                file,
                item.line,
                "stopped_on",
                f"Line {seen[item.treatment_id]} has a course of this treatment "
                "going on too: only one can be.",
            )
        seen.setdefault(item.treatment_id, item.line)


def _course(check: Check, cells: RowCheck) -> CourseItem | None:
    treatment_id = cells.entry("treatment", Treatment)
    started_on = cells.required("started_on", check.read_day)
    stopped_on = cells.read("stopped_on", check.read_day)
    stop_reason = cells.read(
        "stop_reason", lambda text: fmt.read_code("stop_reason", text)
    )
    dose = cells.text("dose", fmt.DOSE_LIMIT)
    frequency = cells.text("frequency", fmt.DOSE_LIMIT)
    if later_than(started_on, stopped_on):
        cells.fail("stopped_on", "This is before the course started.")
    if stop_reason and not cells.row["stopped_on"]:
        cells.fail("stop_reason", "A reason for stopping needs the day it stopped.")
    if not cells.ok or treatment_id is None or started_on is None:
        return None
    return CourseItem(
        line=cells.line,
        treatment_id=treatment_id,
        started_on=started_on,
        stopped_on=stopped_on,
        dose=dose,
        frequency=frequency,
        stop_reason=stop_reason or "",
    )


def check_evaluations(
    check: Check, parsed: ParsedFile | None, courses: Numbered[CourseItem]
) -> Numbered[EvaluationItem]:
    if parsed is None:
        return {}
    evaluations: dict[int, EvaluationItem | None] = {}
    lines: dict[int, int] = {}
    for row in parsed.rows:
        cells = check.row(parsed.name, row)
        number = cells.required("evaluation", fmt.read_whole_number)
        course = _parent(cells, "course", courses, "courses.csv")
        item = _evaluation(check, cells)
        if number is not None and number in lines:
            line = lines[number]
            cells.fail(
                "evaluation", f"Evaluation {number} is listed already on line {line}."
            )
            continue
        if course is not None and item is not None:
            _fits_course(cells, course, item)
        if number is not None:
            lines[number] = row.line
            evaluations[number] = item if cells.ok else None
        if cells.ok and number is not None and course and item is not None:
            course.evaluations[number] = item
    return evaluations


def _fits_course(cells: RowCheck, course: CourseItem, item: EvaluationItem) -> None:
    """Not before the course began, and one evaluation of a course a day."""
    if item.evaluated_on < course.started_on:
        cells.fail("evaluated_on", "This is before the course started.")
    for other in course.evaluations.values():
        if other.evaluated_on == item.evaluated_on:
            cells.fail(
                "evaluated_on",
                f"Line {other.line} evaluates this course on the same day.",
            )
            return


def _parent[T](
    cells: RowCheck, column: str, listed: Numbered[T], file: str
) -> T | None:
    """The course (or evaluation) the row names by its number."""
    number = cells.required(column, fmt.read_whole_number)
    if number is None:
        return None
    if number not in listed:
        cells.fail(column, f"There is no {column} {number} in {file}.")
        return None
    found = listed[number]
    if found is None:
        cells.ok = False  # its problem is reported on its own line
    return found


def _evaluation(check: Check, cells: RowCheck) -> EvaluationItem | None:
    evaluated_on = cells.required("evaluated_on", check.read_day)
    scales = {
        column: cells.read(column, partial(fmt.read_scale, column))
        for column in ("effectiveness", "adherence", "burden")
    }
    cost_band = cells.read("cost_band", lambda text: fmt.read_code("cost_band", text))
    note = cells.text("note", fmt.NOTE_LIMIT)
    if not cells.ok or evaluated_on is None:
        return None
    return EvaluationItem(
        line=cells.line,
        evaluated_on=evaluated_on,
        effectiveness=scales["effectiveness"],
        adherence=scales["adherence"],
        burden=scales["burden"],
        cost_band=cost_band or "",
        note=note,
    )


def check_side_effects(
    check: Check, parsed: ParsedFile | None, evaluations: Numbered[EvaluationItem]
) -> None:
    if parsed is None:
        return
    for row in parsed.rows:
        cells = check.row(parsed.name, row)
        evaluation = _parent(cells, "evaluation", evaluations, "evaluations.csv")
        symptom_id = cells.entry("symptom", Symptom)
        severity = cells.required("severity", partial(fmt.read_scale, "severity"))
        if severity == Severity.NONE:
            cells.fail("severity", "A side effect is mild (1) to very severe (4).")
        if evaluation is not None and symptom_id in evaluation.side_effects:
            cells.fail(
                "symptom", "This side effect is listed twice for this evaluation."
            )
        elif (
            evaluation is not None and len(evaluation.side_effects) >= MAX_SIDE_EFFECTS
        ):
            cells.fail(
                "symptom",
                f"An evaluation lists at most {MAX_SIDE_EFFECTS} side effects.",
            )
        if cells.ok and evaluation and symptom_id is not None and severity is not None:
            evaluation.side_effects[symptom_id] = severity
