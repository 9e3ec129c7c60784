"""A member's tracking records as CSV: a zip holding one file per kind of
record (docs/tracking-csv.md), the same files the import reads.

Rows are read from the database in chunks and written straight into the zip,
so memory stays flat however long a member has tracked. Researchers' releases
put many members in one set of files (`write_csv_set`): each under a
pseudonym, with their own date shift, free text (notes, a course's dose and
frequency) only where allowed."""

import csv
import io
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import groupby
from tempfile import SpooledTemporaryFile
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from django.db.models import QuerySet
from django.utils import timezone

from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.io import csv_format as fmt
from kinwell.tracking.io.records import MemberRecords
from kinwell.tracking.models import (
    CheckIn,
    Evaluation,
    MemberCondition,
    QuestionnaireResponse,
    TrackedSymptom,
    TreatmentCourse,
)

CHUNK_SIZE = 500
# Members whose records one query reads, for each file of a set.
BATCH = 100
# Past this, a zip being written for download moves from memory to disk.
SPOOL_BYTES = 4 * 2**20
Row = list[str]


@dataclass(frozen=True)
class CsvMember:
    records: MemberRecords
    member_ref: str | None = None
    shift_days: int = 0
    include_notes: bool = True


def write_csv(
    records: MemberRecords,
    out: IO[bytes],
    *,
    member_ref: str | None = None,
    shift_days: int = 0,
    include_notes: bool = True,
) -> dict[str, int]:
    """Writes the zip of `records` to `out`; returns the rows of each file.
    With `member_ref`, every row starts with it in a `member` column; dates
    move by `shift_days`; free text (notes, a course's dose and frequency)
    is left empty unless `include_notes`."""
    member = CsvMember(records, member_ref, shift_days, include_notes)
    return write_csv_set(out, [member], with_member=member_ref is not None)


def csv_file(records: MemberRecords) -> IO[bytes]:
    """The zip of `records` in a temporary file, at its start, for a download
    (which closes it)."""
    spool = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    write_csv(records, spool)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def write_csv_set(
    out: IO[bytes], members: Sequence[CsvMember], *, with_member: bool = True
) -> dict[str, int]:
    """One zip for several members: each file lists every member's rows in
    turn, by account id. Their querysets must differ only in whose records
    they are (as a research release's do): each file reads BATCH members'
    records in one query, with what hangs below it, not one per member."""
    counts: dict[str, int] = {}
    with ZipFile(out, "w", compression=ZIP_DEFLATED) as archive:
        for spec in fmt.FILES.values():
            counts[spec.name] = _write_file(archive, spec, members, with_member)
    return counts


def _write_file(
    archive: ZipFile,
    spec: fmt.FileFormat,
    members: Sequence[CsvMember],
    with_member: bool,
) -> int:
    info = ZipInfo(spec.name, date_time=timezone.now().timetuple()[:6])
    info.compress_type = ZIP_DEFLATED
    written = 0
    with archive.open(info, "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        header = list(spec.columns)
        writer.writerow([fmt.MEMBER_COLUMN, *header] if with_member else header)
        for member, rows in _rows_by_member(PARTS[spec.name], members):
            for row in rows:
                writer.writerow([member.member_ref or "", *row] if with_member else row)
                written += 1
        text.flush()
        text.detach()
    return written


@dataclass(frozen=True)
class Part:
    """Which of a member's records a file lists, and its rows from them."""

    records: Callable[[MemberRecords], QuerySet[Any]]
    rows: Callable[[CsvMember, Iterable[Any]], Iterator[Row]]


def _rows_by_member(
    part: Part, members: Sequence[CsvMember]
) -> Iterator[tuple[CsvMember, Iterator[Row]]]:
    """Each member's rows of `part`, reading a batch of members at a time:
    their querysets joined into one (the same filters, each on its own
    member), ordered by member, so what comes back is split by whose it is."""
    for batch in _batches(members):
        querysets = [part.records(member.records) for member in batch.values()]
        ordering = querysets[0].query.order_by
        joined = reduce(operator.or_, querysets).order_by("user_id", *ordering)
        found = joined.iterator(chunk_size=CHUNK_SIZE)
        for user_id, objects in groupby(found, key=operator.attrgetter("user_id")):
            member = batch[user_id]
            yield member, part.rows(member, objects)


def _batches(members: Sequence[CsvMember]) -> Iterator[dict[int, CsvMember]]:
    """Up to BATCH members at a time by account id, each account once."""
    batch: dict[int, CsvMember] = {}
    for member in sorted(members, key=lambda member: member.records.owner.pk):
        owner_id = member.records.owner.pk
        if owner_id in batch or len(batch) == BATCH:
            yield batch
            batch = {}
        batch[owner_id] = member
    if batch:
        yield batch


# The rows of each file ---------------------------------------------------------


def condition_rows(
    member: CsvMember, conditions: Iterable[MemberCondition]
) -> Iterator[Row]:
    shift = member.shift_days
    for row in conditions:
        yield [
            row.condition.name,
            fmt.day_text(row.onset_on, shift),
            fmt.day_text(row.diagnosed_on, shift),
            row.condition.icd10_code,
            row.condition.snomed_code,
        ]


def symptom_rows(member: CsvMember, tracked: Iterable[TrackedSymptom]) -> Iterator[Row]:
    shift = member.shift_days
    for row in tracked:
        yield [
            row.symptom.name,
            fmt.day_text(row.started_on, shift),
            fmt.day_text(row.stopped_on, shift),
            row.symptom.snomed_code,
        ]


def check_in_rows(member: CsvMember, check_ins: Iterable[CheckIn]) -> Iterator[Row]:
    """One row per symptom score; the day's mood and note on its first row.
    A day without scores has one row with the symptom empty."""
    for check_in in check_ins:
        yield from _day_rows(member, check_in)


def _day_rows(member: CsvMember, check_in: CheckIn) -> Iterator[Row]:
    day = fmt.day_text(check_in.day, member.shift_days)
    note = check_in.note if member.include_notes else ""
    mood = fmt.number_text(check_in.mood)
    scores = list(check_in.scores.all())
    if not scores:
        if mood or note:
            yield [day, "", "", mood, note]
        return
    for index, score in enumerate(scores):
        first = index == 0
        yield [
            day,
            score.symptom.name,
            str(score.severity),
            mood if first else "",
            note if first else "",
        ]


def _numbered_courses(
    courses: Iterable[TreatmentCourse],
) -> Iterator[tuple[int, TreatmentCourse, list[tuple[int, Evaluation]]]]:
    """A member's courses numbered 1, 2, 3... and evaluations numbered across
    them, the same way in each file that refers to them."""
    evaluation_number = 0
    for number, course in enumerate(courses, start=1):
        evaluations = []
        for evaluation in course.evaluations.all():
            evaluation_number += 1
            evaluations.append((evaluation_number, evaluation))
        yield number, course, evaluations


def course_rows(member: CsvMember, courses: Iterable[TreatmentCourse]) -> Iterator[Row]:
    shift = member.shift_days
    for number, course, _ in _numbered_courses(courses):
        treatment = course.treatment
        yield [
            str(number),
            treatment.name,
            fmt.day_text(course.started_on, shift),
            fmt.day_text(course.stopped_on, shift),
            # Typed by the member: free text, left out with the notes.
            course.dose if member.include_notes else "",
            course.frequency if member.include_notes else "",
            course.stop_reason,
            treatment.kind,
            treatment.atc_code,
            treatment.snomed_code,
        ]


def evaluation_rows(
    member: CsvMember, courses: Iterable[TreatmentCourse]
) -> Iterator[Row]:
    for course_number, _, evaluations in _numbered_courses(courses):
        for number, evaluation in evaluations:
            yield [
                str(number),
                str(course_number),
                fmt.day_text(evaluation.evaluated_on, member.shift_days),
                fmt.number_text(evaluation.effectiveness),
                fmt.number_text(evaluation.adherence),
                fmt.number_text(evaluation.burden),
                evaluation.cost_band,
                evaluation.note if member.include_notes else "",
            ]


def side_effect_rows(
    member: CsvMember, courses: Iterable[TreatmentCourse]
) -> Iterator[Row]:
    for _, _, evaluations in _numbered_courses(courses):
        for number, evaluation in evaluations:
            for side_effect in evaluation.side_effects.all():
                yield [str(number), side_effect.symptom.name, str(side_effect.severity)]


def response_rows(
    member: CsvMember, responses: Iterable[QuestionnaireResponse]
) -> Iterator[Row]:
    for number, response in enumerate(responses, start=1):
        questionnaire = response.questionnaire
        answered_at = fmt.moment_text(response.answered_at, member.shift_days)
        for answer in response.answers.all():
            yield [
                str(number),
                questionnaire.community.slug,
                questionnaire.title,
                answered_at,
                str(answer.question.position),
                str(answer.value),
                answer.question.text,
                scales.format_score(response.score),
            ]


PARTS = {
    fmt.CONDITIONS.name: Part(lambda records: records.conditions, condition_rows),
    fmt.SYMPTOMS.name: Part(lambda records: records.tracked_symptoms, symptom_rows),
    fmt.CHECK_INS.name: Part(lambda records: records.check_ins, check_in_rows),
    fmt.COURSES.name: Part(lambda records: records.courses, course_rows),
    fmt.EVALUATIONS.name: Part(lambda records: records.courses, evaluation_rows),
    fmt.SIDE_EFFECTS.name: Part(lambda records: records.courses, side_effect_rows),
    fmt.RESPONSES.name: Part(lambda records: records.responses, response_rows),
}
