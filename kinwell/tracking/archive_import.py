"""Importing the tracking kinds of a community archive (see archive.py).

The catalogue and questionnaires are written as the new community's. Each
member's records are held as rows of the tracking CSV format, under their
pseudonym, until they take them in through the ordinary import (which
checks every row and names catalogue entries by name) or discard them."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from kinwell.communities.archive.kinds import ExportContext, ImportContext
from kinwell.communities.archive.reader import ArchiveError
from kinwell.communities.models import MemberInvitation
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.io import csv_format as fmt
from kinwell.tracking.models import (
    Condition,
    HeldTracking,
    HeldTrackingRow,
    Question,
    Questionnaire,
    Symptom,
    Treatment,
)
from kinwell.tracking.models.catalogue import CatalogueEntry

CsvRow = dict[str, str]


def memo[T](
    context: ExportContext | ImportContext, key: str, make: Callable[[], T]
) -> T:
    """State for one export or import, living exactly as long as the run."""
    store = vars(context)
    if key not in store:
        store[key] = make()
    found: T = store[key]
    return found


@dataclass
class _Member:
    held_pk: int
    courses: int = 0
    evaluations: int = 0
    responses: int = 0


@dataclass
class _Importing:
    names: set[tuple[str, str]] = field(default_factory=set)
    # Archive questionnaire id -> its title (responses name it so).
    questionnaires: dict[int, str] = field(default_factory=dict)
    members: dict[str, _Member] = field(default_factory=dict)


def _importing(context: ImportContext) -> _Importing:
    return memo(context, "tracking_import", _Importing)


# The catalogue and questionnaires -------------------------------------------------


def import_entry(context: ImportContext, record: dict[str, Any]) -> None:
    state = _importing(context)
    key = (record["kind"], record["name"].lower())
    if key in state.names:
        raise ArchiveError(
            f"records/tracking_catalogue.jsonl: the {record['kind']} "
            f"{record['name'][:80]!r} twice."
        )
    state.names.add(key)
    context.save_later(_entry(context, record))


def _entry(context: ImportContext, record: dict[str, Any]) -> CatalogueEntry:
    common = {
        "community": context.new_community,
        "name": record["name"],
        "description": record["description"],
        "snomed_code": record["snomed_code"],
        "created_at": datetime.fromisoformat(record["created_at"]),
    }
    if record["kind"] == "treatment":
        if record["treatment_kind"] not in Treatment.Kind.values:
            raise ArchiveError(
                "records/tracking_catalogue.jsonl: a treatment needs a "
                f"treatment_kind of {', '.join(Treatment.Kind.values)}."
            )
        return Treatment(
            **common, kind=record["treatment_kind"], atc_code=record["atc_code"]
        )
    if record["kind"] == "condition":
        return Condition(**common, icd10_code=record["icd10_code"])
    return Symptom(**common, icd10_code=record["icd10_code"])


def import_questionnaire(context: ImportContext, record: dict[str, Any]) -> None:
    state = _importing(context)
    if record["id"] in state.questionnaires:
        raise ArchiveError(
            "records/tracking_questionnaires.jsonl: questionnaire "
            f"{record['id']} twice."
        )
    state.questionnaires[record["id"]] = record["title"]
    questionnaire = Questionnaire.objects.create(
        community=context.new_community,
        title=record["title"],
        description=record["description"],
        scoring=record["scoring"],
        score_bands=_checked(scales.clean_bands, record["score_bands"], record),
        interval_days=record["interval_days"],
        status=record["status"],
        created_at=datetime.fromisoformat(record["created_at"]),
        opened_at=_moment(record["opened_at"]),
    )
    positions = [question["position"] for question in record["questions"]]
    if len(set(positions)) != len(positions):
        raise ArchiveError(
            "records/tracking_questionnaires.jsonl: two questions of questionnaire "
            f"{record['id']} have the same position."
        )
    for question in record["questions"]:
        context.save_later(
            Question(
                questionnaire=questionnaire,
                community=context.new_community,
                position=question["position"],
                text=question["text"],
                choices=_checked(scales.clean_choices, question["choices"], record),
            )
        )


def _checked(
    clean: Callable[[Any], list[dict[str, Any]]], value: Any, record: dict[str, Any]
) -> list[dict[str, Any]]:
    """`value` as the questionnaire pages would accept it, or ArchiveError."""
    try:
        return clean(value)
    except ValidationError as error:
        raise ArchiveError(
            f"records/tracking_questionnaires.jsonl: questionnaire {record['id']}: "
            f"{' '.join(error.messages)}"
        ) from None


def _moment(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


# Members' records, held -----------------------------------------------------------


def _member(context: ImportContext, ref: str, entry: str) -> _Member:
    """The held set of the member `ref`: only members who consented to
    portability carry records, and only they can be invited back."""
    state = _importing(context)
    if ref in state.members:
        return state.members[ref]
    email = context.invite_emails.get(ref)
    if not email:
        raise ArchiveError(
            f"records/{entry}.jsonl: the member {ref[:14]}… has records but did not "
            "consent to portability in records/members.jsonl."
        )
    held = HeldTracking(community=context.new_community, member_ref=ref)
    if context.actor is not None and email == context.actor.email.lower():
        held.user = context.actor  # the importing organiser is here already
    else:
        held.invitation = (
            MemberInvitation.objects.filter(
                community=context.new_community, email=email
            )
            .order_by("pk")
            .first()
        )
    held.save()
    state.members[ref] = _Member(held.pk)
    return state.members[ref]


def _hold(
    context: ImportContext, member: _Member, file: str, rows: Iterator[CsvRow]
) -> None:
    for row in rows:
        context.save_later(
            HeldTrackingRow(
                held_id=member.held_pk,
                community=context.new_community,
                file=file,
                data=row,
            )
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _codes(ref: dict[str, Any], *names: str) -> CsvRow:
    return {name: _text(ref.get(name)) for name in names}


def import_condition(context: ImportContext, record: dict[str, Any]) -> None:
    member = _member(context, record["member"], "tracking_conditions")
    row = {
        "condition": record["condition"]["name"],
        "onset_on": _text(record["onset_on"]),
        "diagnosed_on": _text(record["diagnosed_on"]),
        **_codes(record["condition"], "icd10_code", "snomed_code"),
    }
    _hold(context, member, fmt.CONDITIONS.name, iter([row]))


def import_symptom(context: ImportContext, record: dict[str, Any]) -> None:
    member = _member(context, record["member"], "tracking_symptoms")
    row = {
        "symptom": record["symptom"]["name"],
        "started_on": _text(record["started_on"]),
        "stopped_on": _text(record["stopped_on"]),
        **_codes(record["symptom"], "snomed_code"),
    }
    _hold(context, member, fmt.SYMPTOMS.name, iter([row]))


def import_check_in(context: ImportContext, record: dict[str, Any]) -> None:
    member = _member(context, record["member"], "tracking_check_ins")
    _hold(context, member, fmt.CHECK_INS.name, _check_in_rows(record))


def _check_in_rows(record: dict[str, Any]) -> Iterator[CsvRow]:
    day = {"mood": _text(record["mood"]), "note": record["note"]}
    if not record["scores"]:
        yield {"day": record["day"], "symptom": "", "severity": "", **day}
    for index, score in enumerate(record["scores"]):
        yield {
            "day": record["day"],
            "symptom": score["symptom"]["name"],
            "severity": str(score["severity"]),
            **(day if index == 0 else {}),
        }


def import_course(context: ImportContext, record: dict[str, Any]) -> None:
    member = _member(context, record["member"], "tracking_courses")
    member.courses += 1
    treatment = record["treatment"]
    course = {
        "course": str(member.courses),
        "treatment": treatment["name"],
        "started_on": record["started_on"],
        "stopped_on": _text(record["stopped_on"]),
        "dose": record["dose"],
        "frequency": record["frequency"],
        "stop_reason": record["stop_reason"],
        **_codes(treatment, "atc_code", "snomed_code"),
    }
    _hold(context, member, fmt.COURSES.name, iter([course]))
    for evaluation in record["evaluations"]:
        member.evaluations += 1
        _hold(
            context,
            member,
            fmt.EVALUATIONS.name,
            iter([_evaluation(member, evaluation)]),
        )
        _hold(
            context,
            member,
            fmt.SIDE_EFFECTS.name,
            (
                {
                    "evaluation": str(member.evaluations),
                    "symptom": effect["symptom"]["name"],
                    "severity": str(effect["severity"]),
                }
                for effect in evaluation["side_effects"]
            ),
        )


def _evaluation(member: _Member, evaluation: dict[str, Any]) -> CsvRow:
    return {
        "evaluation": str(member.evaluations),
        "course": str(member.courses),
        "evaluated_on": evaluation["evaluated_on"],
        "effectiveness": _text(evaluation["effectiveness"]),
        "adherence": _text(evaluation["adherence"]),
        "burden": _text(evaluation["burden"]),
        "cost_band": evaluation["cost_band"],
        "note": evaluation["note"],
    }


def import_response(context: ImportContext, record: dict[str, Any]) -> None:
    entry = "tracking_questionnaire_responses"
    member = _member(context, record["member"], entry)
    title = _importing(context).questionnaires.get(record["questionnaire"])
    if title is None:
        raise ArchiveError(
            f"records/{entry}.jsonl: questionnaire {record['questionnaire']} is not "
            "in records/tracking_questionnaires.jsonl."
        )
    member.responses += 1
    rows = (
        {
            "response": str(member.responses),
            "community": context.new_community.slug,
            "questionnaire": title,
            "answered_at": record["answered_at"],
            "question": str(answer["question"]),
            "answer": str(answer["value"]),
        }
        for answer in record["answers"]
    )
    _hold(context, member, fmt.RESPONSES.name, rows)


IMPORTERS: dict[str, Callable[[ImportContext, dict[str, Any]], None]] = {
    "tracking_conditions": import_condition,
    "tracking_symptoms": import_symptom,
    "tracking_check_ins": import_check_in,
    "tracking_courses": import_course,
    "tracking_questionnaire_responses": import_response,
}
