"""Importing a member's tracking records from the CSV format
(docs/tracking-csv.md).

Every row of every file is checked first, and the check's report lists each
problem by file, line and column, with a summary of what would be imported.
If there is any problem, nothing is written. Otherwise everything is written
in one transaction, in bulk. Rows the member has already (a check-in of the
same day, a course of the same treatment started the same day, ...) are
skipped and listed: an import never changes or half-writes what exists."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from kinwell.accounts.access import can_act_for
from kinwell.accounts.models import Delegation, User
from kinwell.lib import ratelimit
from kinwell.tracking.access import may_see_records, record_carer_access
from kinwell.tracking.io import csv_format as fmt
from kinwell.tracking.io.checking import Catalogue, Check, Plan
from kinwell.tracking.io.checks_courses import (
    check_courses,
    check_evaluations,
    check_side_effects,
)
from kinwell.tracking.io.checks_daily import (
    check_check_ins,
    check_conditions,
    check_symptoms,
    plan_new_trackings,
)
from kinwell.tracking.io.checks_questionnaires import check_responses
from kinwell.tracking.io.upload import Problem, Upload, read_upload
from kinwell.tracking.io.writing import write_plan
from kinwell.tracking.models import Symptom

SHOWN_PROBLEMS = 300
# Each count's words, one and many.
COUNT_LABELS = {
    "conditions": ("condition", "conditions"),
    "tracked_symptoms": ("tracked symptom", "tracked symptoms"),
    "check_ins": ("check-in", "check-ins"),
    "symptom_ratings": ("symptom rating", "symptom ratings"),
    "courses": ("treatment course", "treatment courses"),
    "evaluations": ("evaluation", "evaluations"),
    "side_effects": ("side effect", "side effects"),
    "questionnaire_responses": ("questionnaire response", "questionnaire responses"),
}
CHECKS_PER_HOUR = 30
IMPORTS_PER_HOUR = 10


@dataclass
class ImportReport:
    """What a check found, and what the import writes (or wrote)."""

    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    skipped: list[Problem] = field(default_factory=list)
    skipped_count: int = 0
    # What the import adds (COUNT_LABELS), in the order a member reads them.
    counts: dict[str, int] = field(default_factory=dict)
    newly_tracked: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def summary(self) -> list[tuple[str, int]]:
        """What the import adds, in words: [("check-ins", 120), ...]."""
        return [(COUNT_LABELS[key][n != 1], n) for key, n in self.counts.items() if n]


class ImportRejected(ValidationError):
    """The upload has problems; `report` lists them. Nothing was written."""

    def __init__(self, report: ImportReport) -> None:
        count = report.problem_count
        super().__init__(
            f"The import has {count} problem{'s' if count != 1 else ''}; nothing "
            "was imported."
        )
        self.report = report


def check_import(actor: User, *, owner: User, name: str, data: bytes) -> ImportReport:
    """The report on an upload, writing nothing."""
    _require_writer(actor, owner)
    ratelimit.check(
        "tracking-import-check", actor.pk, limit=CHECKS_PER_HOUR, period=3600
    )
    _, report = _check(owner, name, data)
    return report


@transaction.atomic
def import_tracking(
    actor: User, *, owner: User, name: str, data: bytes
) -> ImportReport:
    """Checks the upload again (the member's records may have changed since
    it was last checked) and writes all of it, or raises ImportRejected."""
    _require_writer(actor, owner)
    ratelimit.check("tracking-import", actor.pk, limit=IMPORTS_PER_HOUR, period=3600)
    # One import at a time per member, so two cannot both find a day free.
    User.objects.select_for_update().filter(pk=owner.pk).exists()
    plan, report = _check(owner, name, data)
    if not report.ok:
        raise ImportRejected(report)
    try:
        with transaction.atomic():
            write_plan(actor, owner, plan)
    except IntegrityError:
        raise ValidationError(
            "Your records changed while they were being imported, so nothing was "
            "imported. Try again."
        ) from None
    record_carer_access(actor, owner, "tracking.import", owner)
    _note_change(owner.pk)
    report.imported = True
    return report


def _check(owner: User, name: str, data: bytes) -> tuple[Plan, ImportReport]:
    upload = read_upload(name, data)
    check = Check(owner=owner, catalogue=Catalogue(owner))
    check.problems.extend(upload.problems)
    plan = Plan()
    if not upload.problems:
        _check_files(check, upload, plan)
    return plan, _report(check, plan, upload)


def _check_files(check: Check, upload: Upload, plan: Plan) -> None:
    files = upload.files
    if fmt.CONDITIONS.name in files:
        check_conditions(check, files[fmt.CONDITIONS.name], plan)
    if fmt.SYMPTOMS.name in files:
        check_symptoms(check, files[fmt.SYMPTOMS.name], plan)
    if fmt.CHECK_INS.name in files:
        check_check_ins(check, files[fmt.CHECK_INS.name], plan)
    plan_new_trackings(check, plan, fmt.CHECK_INS.name)
    orphans = _missing_parents(check, upload)
    courses = check_courses(check, files.get(fmt.COURSES.name), plan)
    if fmt.EVALUATIONS.name not in orphans:
        evaluations = check_evaluations(check, files.get(fmt.EVALUATIONS.name), courses)
        if fmt.SIDE_EFFECTS.name not in orphans:
            check_side_effects(check, files.get(fmt.SIDE_EFFECTS.name), evaluations)
    if fmt.RESPONSES.name in files:
        check_responses(check, files[fmt.RESPONSES.name], plan)


def _missing_parents(check: Check, upload: Upload) -> set[str]:
    """Evaluations need their courses, side effects their evaluations: the
    files whose parent file is missing, each reported once."""
    needs = (
        (fmt.EVALUATIONS.name, fmt.COURSES.name),
        (fmt.SIDE_EFFECTS.name, fmt.EVALUATIONS.name),
    )
    orphans = set()
    for child, parent in needs:
        if upload.files.get(child) and parent not in upload.files:
            orphans.add(child)
            check.problem(
                child, None, None, f"These rows refer to {parent}, which is missing."
            )
    return orphans


def _report(check: Check, plan: Plan, upload: Upload) -> ImportReport:
    courses = plan.written_courses
    evaluations = [e for course in courses for e in course.evaluations.values()]
    counts = {
        "conditions": len(plan.conditions),
        "tracked_symptoms": len(plan.trackings) + len(plan.new_trackings),
        "check_ins": len(plan.days),
        "symptom_ratings": sum(len(day.scores) for day in plan.days),
        "courses": len(courses),
        "evaluations": len(evaluations),
        "side_effects": sum(len(e.side_effects) for e in evaluations),
        "questionnaire_responses": len(plan.responses),
    }
    catalogue = check.catalogue
    return ImportReport(
        problems=check.problems[:SHOWN_PROBLEMS],
        problem_count=len(check.problems),
        skipped=check.skipped[:SHOWN_PROBLEMS],
        skipped_count=len(check.skipped),
        counts=counts,
        newly_tracked=sorted(
            catalogue.name_of(Symptom, t.symptom_id) for t in plan.new_trackings
        ),
        files=sorted(upload.files, key=list(fmt.FILES).index),
    )


def _require_writer(actor: User, owner: User) -> None:
    """The member, or their carer with both scopes: the report tells which
    rows the member has already (a check-in of a day, a condition, ...), so
    a carer who may record but not read would learn what they may not see."""
    if actor.pk != owner.pk and not can_act_for(actor, owner, Delegation.Scope.TRACK):
        raise PermissionDenied("You may not record for this member.")
    if not may_see_records(actor, owner):
        raise PermissionDenied("Importing needs permission to read the records too.")


def _note_change(owner_id: int) -> None:
    # Insights are recomputed in the background; it needs to hear of it.
    try:
        from kinwell.tracking.insights.refresh import note_change
    except ImportError:
        return
    note_change(owner_id)
