"""Tracking in the community archive (docs/archive-format.md, "Tracking").

What travels:

- the community's own catalogue entries and questionnaires: never the
  installation's generic set, never another community's additions. An
  entry its organisers removed travels only if the archive's records name
  it (so the archive tells no more than those records), and only if no
  entry in the catalogue has its name (records name entries by name);
- the tracking records of the members who are members now and consented to
  portability, under their pseudonym. A record that names another
  community's catalogue entry (or answers its questionnaire) stays behind:
  it belongs with that community, and would tell of the member's place
  there. Records name generic entries by name and codes, so that another
  installation can match them. Nobody else's records are in the archive at
  all: tracking records are personal, so there are no placeholders.

On import nobody is an account yet. The catalogue and questionnaires become
the new community's; each member's records are held under their pseudonym
(kinwell.tracking.models.HeldTracking), tied to the invitation addressed to
them, as rows of the tracking CSV format. Once they join, they choose on
"Records from your old community" to take them in through the ordinary
import, with its check and report, or to discard them."""

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from kinwell.communities.archive.kinds import (
    CHUNK_SIZE,
    ExportContext,
    RecordKind,
    register,
)
from kinwell.tracking import archive_import
from kinwell.tracking.archive_import import memo
from kinwell.tracking.catalogue import named_in_records
from kinwell.tracking.io.records import check_ins_of, courses_of, responses_of
from kinwell.tracking.models import (
    CheckIn,
    Condition,
    MemberCondition,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    Symptom,
    TrackedSymptom,
    Treatment,
    TreatmentCourse,
)
from kinwell.tracking.models.catalogue import CatalogueEntry

CATALOGUE_MODELS: dict[str, type[CatalogueEntry]] = {
    "condition": Condition,
    "symptom": Symptom,
    "treatment": Treatment,
}


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def entry_ref(entry: CatalogueEntry) -> dict[str, Any]:
    """How a record names a catalogue entry: by name, with its codes, and
    whether it is the generic set's (else it is in tracking_catalogue)."""
    ref: dict[str, Any] = {"name": entry.name, "generic": entry.community_id is None}
    for code in ("icd10_code", "snomed_code", "atc_code"):
        if getattr(entry, code, ""):
            ref[code] = getattr(entry, code)
    return ref


def _allowed(context: ExportContext, entry: CatalogueEntry) -> bool:
    return entry.community_id in (None, context.community.pk)


# The catalogue and questionnaires -------------------------------------------------


def _catalogue_rows(context: ExportContext) -> Iterator[CatalogueEntry]:
    yield from _catalogue(context)


def _count_catalogue(context: ExportContext) -> int:
    return len(_catalogue(context))


def _catalogue(context: ExportContext) -> list[CatalogueEntry]:
    """The community's entries still in the catalogue, and those removed
    that the archive's records name, one per name and kind (the entry in
    the catalogue first). A few hundred at most: kept for the whole run."""

    def collect() -> list[CatalogueEntry]:
        chosen: list[CatalogueEntry] = []
        for model in CATALOGUE_MODELS.values():
            named = named_in_records(model, _portable(context))
            rows = model._default_manager.filter(
                Q(retired_at__isnull=True) | named, community=context.community
            ).order_by(F("retired_at").asc(nulls_first=True), "pk")
            names: dict[str, CatalogueEntry] = {}
            for entry in rows:
                names.setdefault(entry.name.lower(), entry)
            chosen.extend(sorted(names.values(), key=lambda entry: entry.pk))
        return chosen

    return memo(context, "tracking_catalogue_entries", collect)


def _serialise_entry(context: ExportContext, row: CatalogueEntry) -> dict[str, Any]:
    kind = {model: name for name, model in CATALOGUE_MODELS.items()}[type(row)]
    return {
        "kind": kind,
        "name": row.name,
        "description": row.description,
        "icd10_code": getattr(row, "icd10_code", ""),
        "snomed_code": row.snomed_code,
        "atc_code": getattr(row, "atc_code", ""),
        "treatment_kind": getattr(row, "kind", ""),
        "created_at": _stamp(row.created_at),
    }


def _questionnaires(context: ExportContext) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(community=context.community).order_by("pk")


def questionnaire_ids(context: ExportContext) -> dict[int, int]:
    """Archive ids of the exported questionnaires: 1, 2, 3... as written."""

    def number() -> dict[int, int]:
        pks = _questionnaires(context).values_list("pk", flat=True)
        return {pk: n for n, pk in enumerate(pks.iterator(CHUNK_SIZE), start=1)}

    return memo(context, "tracking_questionnaire_ids", number)


def _questionnaire_rows(context: ExportContext) -> Iterator[Questionnaire]:
    questions = Question.objects.order_by("position")
    rows = _questionnaires(context).prefetch_related(
        Prefetch("questions", queryset=questions)
    )
    return rows.iterator(chunk_size=CHUNK_SIZE)


def _serialise_questionnaire(
    context: ExportContext, row: Questionnaire
) -> dict[str, Any]:
    return {
        "id": questionnaire_ids(context)[row.pk],
        "title": row.title,
        "description": row.description,
        "scoring": row.scoring,
        "score_bands": row.score_bands if isinstance(row.score_bands, list) else [],
        "interval_days": row.interval_days,
        "status": row.status,
        "created_at": _stamp(row.created_at),
        "opened_at": _stamp(row.opened_at),
        "questions": [
            {"position": q.position, "text": q.text, "choices": q.choices}
            for q in row.questions.all()
        ],
    }


# Members' records -------------------------------------------------------------------


def _portable(context: ExportContext) -> list[int]:
    return sorted(context.portable_ids)


def _condition_rows(context: ExportContext) -> Iterator[MemberCondition]:
    rows = MemberCondition.objects.filter(user_id__in=_portable(context))
    rows = rows.select_related("condition").order_by("user_id", "pk")
    return rows.iterator(chunk_size=CHUNK_SIZE)


def _serialise_condition(
    context: ExportContext, row: MemberCondition
) -> dict[str, Any] | None:
    if not _allowed(context, row.condition):
        return None
    return {
        "member": context.ref(row.user_id),
        "condition": entry_ref(row.condition),
        "onset_on": _day(row.onset_on),
        "diagnosed_on": _day(row.diagnosed_on),
    }


def _symptom_rows(context: ExportContext) -> Iterator[TrackedSymptom]:
    rows = TrackedSymptom.objects.filter(user_id__in=_portable(context))
    rows = rows.select_related("symptom").order_by("user_id", "pk")
    return rows.iterator(chunk_size=CHUNK_SIZE)


def _serialise_symptom(
    context: ExportContext, row: TrackedSymptom
) -> dict[str, Any] | None:
    if not _allowed(context, row.symptom):
        return None
    return {
        "member": context.ref(row.user_id),
        "symptom": entry_ref(row.symptom),
        "started_on": _day(row.started_on),
        "stopped_on": _day(row.stopped_on),
    }


def _check_in_rows(context: ExportContext) -> Iterator[CheckIn]:
    for user_id in _portable(context):
        rows = check_ins_of(user_id, None, None)
        yield from rows.iterator(chunk_size=CHUNK_SIZE)


def _serialise_check_in(context: ExportContext, row: CheckIn) -> dict[str, Any] | None:
    scores = [
        {"symptom": entry_ref(score.symptom), "severity": score.severity}
        for score in row.scores.all()
        if _allowed(context, score.symptom)
    ]
    if not scores and row.mood is None and not row.note:
        return None
    return {
        "member": context.ref(row.user_id),
        "day": _day(row.day),
        "mood": row.mood,
        "note": row.note,
        "scores": scores,
    }


def _course_rows(context: ExportContext) -> Iterator[TreatmentCourse]:
    for user_id in _portable(context):
        rows = courses_of(user_id, None, None)
        yield from rows.iterator(chunk_size=CHUNK_SIZE)


def _serialise_course(
    context: ExportContext, row: TreatmentCourse
) -> dict[str, Any] | None:
    if not _allowed(context, row.treatment):
        return None
    return {
        "member": context.ref(row.user_id),
        "treatment": entry_ref(row.treatment),
        "started_on": _day(row.started_on),
        "stopped_on": _day(row.stopped_on),
        "dose": row.dose,
        "frequency": row.frequency,
        "stop_reason": row.stop_reason,
        "evaluations": [
            {
                "evaluated_on": _day(evaluation.evaluated_on),
                "effectiveness": evaluation.effectiveness,
                "adherence": evaluation.adherence,
                "burden": evaluation.burden,
                "cost_band": evaluation.cost_band,
                "note": evaluation.note,
                "side_effects": [
                    {"symptom": entry_ref(effect.symptom), "severity": effect.severity}
                    for effect in evaluation.side_effects.all()
                    if _allowed(context, effect.symptom)
                ],
            }
            for evaluation in row.evaluations.all()
        ],
    }


def _response_rows(context: ExportContext) -> Iterator[QuestionnaireResponse]:
    for user_id in _portable(context):
        rows = responses_of(user_id, None, None)
        rows = rows.filter(questionnaire__community=context.community)
        yield from rows.iterator(chunk_size=CHUNK_SIZE)


def _serialise_response(
    context: ExportContext, row: QuestionnaireResponse
) -> dict[str, Any]:
    return {
        "member": context.ref(row.user_id),
        "questionnaire": questionnaire_ids(context)[row.questionnaire_id],
        "answered_at": _stamp(row.answered_at),
        "answers": [
            {"question": answer.question.position, "value": answer.value}
            for answer in row.answers.all()
        ],
    }


def _counter(model: Any, **scope: Any) -> Any:
    def count(context: ExportContext) -> int:
        filters = {key: value(context) for key, value in scope.items()}
        return int(model._default_manager.filter(**filters).count())

    return count


def _portable_users(context: ExportContext) -> list[int]:
    return _portable(context)


# Registration ---------------------------------------------------------------------

register(
    RecordKind(
        name="tracking_catalogue",
        rows=_catalogue_rows,
        count=_count_catalogue,
        serialise=_serialise_entry,
        import_row=archive_import.import_entry,
    )
)
register(
    RecordKind(
        name="tracking_questionnaires",
        rows=_questionnaire_rows,
        count=_counter(Questionnaire, community=lambda c: c.community),
        serialise=_serialise_questionnaire,
        import_row=archive_import.import_questionnaire,
    )
)
_RECORDS = (
    ("tracking_conditions", _condition_rows, MemberCondition, _serialise_condition),
    ("tracking_symptoms", _symptom_rows, TrackedSymptom, _serialise_symptom),
    ("tracking_check_ins", _check_in_rows, CheckIn, _serialise_check_in),
    ("tracking_courses", _course_rows, TreatmentCourse, _serialise_course),
    (
        "tracking_questionnaire_responses",
        _response_rows,
        QuestionnaireResponse,
        _serialise_response,
    ),
)
for _name, _rows, _model, _serialise in _RECORDS:
    register(
        RecordKind(
            name=_name,
            rows=_rows,
            count=_counter(_model, user_id__in=_portable_users),
            serialise=_serialise,
            import_row=archive_import.IMPORTERS[_name],
        )
    )
