"""Shapes of the tracking import's report (kinwell.tracking.io.csv_import)."""

from ninja import Schema


class ProblemOut(Schema):
    file: str
    line: int | None
    column: str | None
    message: str


class ImportCountsOut(Schema):
    conditions: int
    tracked_symptoms: int
    check_ins: int
    symptom_ratings: int
    courses: int
    evaluations: int
    side_effects: int
    questionnaire_responses: int


class ImportReportOut(Schema):
    imported: bool
    ok: bool
    files: list[str]
    counts: ImportCountsOut
    newly_tracked: list[str]
    problem_count: int
    problems: list[ProblemOut]
    skipped_count: int
    skipped: list[ProblemOut]
