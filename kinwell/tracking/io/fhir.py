"""A member's tracking records as FHIR R4 resources (FHIR 4.3, "R4B"), in one
Bundle of type "collection". Every resource is built with its
`fhir.resources.R4B` class, so it is validated before it is written.

What each record becomes (docs/tracking-csv.md describes it for readers):

- a symptom score: an Observation (category "survey") coded with the
  symptom's SNOMED CT code when the catalogue has one, always with its name
  as text; `valueInteger` 0-4 and the severity in words as interpretation;
- a check-in's mood: an Observation "Mood", 0-4; its note, only with
  `include_notes`: an Observation "Check-in note" with `valueString`;
- a condition: a Condition coded with ICD-10 and SNOMED CT where known,
  onset as `onsetDateTime` and the date of diagnosis as `recordedDate`
  (FHIR R4 has no separate field for it);
- a treatment course: a MedicationStatement for a medicine (status active,
  completed when the course was finished, stopped otherwise; the stop reason
  as `statusReason`; dose and frequency as dosage text, only with
  `include_notes` (the member types them); ATC and SNOMED CT
  codes), a Procedure for a therapy, device or lifestyle change (which are
  not medication), with the same period and status;
- an evaluation: an Observation "Treatment evaluation" `partOf` its course,
  with components for effectiveness, adherence and burden (0-4) and the cost
  band; each side effect: an Observation coded as the symptom, severity 0-4,
  `partOf` the course and a member (`hasMember`) of the evaluation;
- a questionnaire response: a QuestionnaireResponse (one item per question,
  `valueInteger` answers, the questionnaire's address as `questionnaire` with
  its title as display), and its score as an Observation `derivedFrom` it.

Every date moves by `shift_days`. The member appears only as a Patient
holding `patient_ref` as its identifier; resources have random ids, new with
each bundle, so that bundles cannot be linked by them."""

import secrets
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.io.records import MemberRecords
from kinwell.tracking.models import (
    CheckIn,
    Evaluation,
    Treatment,
    TreatmentCourse,
)
from kinwell.tracking.models import QuestionnaireResponse as Response
from kinwell.tracking.models.catalogue import CatalogueEntry
from kinwell.tracking.models.records import Mood, Severity

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DISPLAY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/display"
PSEUDONYM_SYSTEM = "urn:kinwell:member"
CHUNK_SIZE = 500

Resource = dict[str, Any]
SEVERITY_WORDS = dict(Severity.choices)
MOOD_WORDS = dict(Mood.choices)
STOP_WORDS = dict(TreatmentCourse.StopReason.choices)
COST_WORDS = dict(Evaluation.CostBand.choices)


def bundle_for(
    records: MemberRecords,
    *,
    patient_ref: str,
    shift_days: int = 0,
    include_notes: bool = True,
) -> dict[str, Any]:
    """All of `records` as a FHIR R4 Bundle, a JSON-ready dict."""
    build = _Builder(shift_days=shift_days, include_notes=include_notes)
    patient = build.add(Patient, _patient(patient_ref))
    build.subject = {"reference": patient}
    for make in (_conditions, _check_ins, _courses, _responses):
        make(build, records)
    shell = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": timezone.now().isoformat(),
        }
    )
    bundle: dict[str, Any] = shell.model_dump(mode="json", exclude_none=True)
    bundle["entry"] = build.entries
    return bundle


def new_patient_ref() -> str:
    """A pseudonym new with each download, for a file that names nobody."""
    return "m-" + secrets.token_hex(12)


class _Builder:
    """The entries so far; each resource validated as it is added."""

    def __init__(self, *, shift_days: int, include_notes: bool) -> None:
        self.shift = timedelta(days=shift_days)
        self.include_notes = include_notes
        self.entries: list[dict[str, Any]] = []
        self.subject: dict[str, str] = {}

    def add(self, model: Any, resource: Resource) -> str:
        """Validates `resource` with its fhir.resources class; returns the
        full URL by which other entries refer to it."""
        resource_id = str(uuid.uuid4())
        resource = {"resourceType": model.__name__, "id": resource_id, **resource}
        checked = model.model_validate(resource)
        full_url = f"urn:uuid:{resource_id}"
        self.entries.append(
            {
                "fullUrl": full_url,
                "resource": checked.model_dump(mode="json", exclude_none=True),
            }
        )
        return full_url

    def day(self, day: date | None) -> str | None:
        return (day + self.shift).isoformat() if day is not None else None

    def moment(self, moment: datetime) -> str:
        return timezone.localtime(moment + self.shift).isoformat()

    def observation(self, **fields: Any) -> str:
        return self.add(
            Observation,
            {
                "status": "final",
                "category": [_SURVEY],
                "subject": self.subject,
                **fields,
            },
        )


_SURVEY = {
    "coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]
}


def _patient(patient_ref: str) -> Resource:
    return {"identifier": [{"system": PSEUDONYM_SYSTEM, "value": patient_ref}]}


def _concept(entry: CatalogueEntry, *extra: tuple[str, str]) -> dict[str, Any]:
    """A catalogue entry as a CodeableConcept: its codes where known, its
    name always."""
    pairs = [*extra, (SNOMED, entry.snomed_code)]
    coding = [
        {"system": system, "code": code, "display": entry.name}
        for system, code in pairs
        if code
    ]
    return {"coding": coding, "text": entry.name} if coding else {"text": entry.name}


def _words(text: str) -> list[dict[str, str]]:
    return [{"text": text}]


# Conditions ----------------------------------------------------------------------


def _conditions(build: _Builder, records: MemberRecords) -> None:
    for row in records.conditions.iterator(chunk_size=CHUNK_SIZE):
        condition = row.condition
        resource: Resource = {
            "code": _concept(condition, (ICD10, condition.icd10_code)),
            "subject": build.subject,
            "onsetDateTime": build.day(row.onset_on),
            "recordedDate": build.day(row.diagnosed_on),
        }
        build.add(Condition, resource)


# Check-ins -----------------------------------------------------------------------


def _check_ins(build: _Builder, records: MemberRecords) -> None:
    for check_in in records.check_ins.iterator(chunk_size=CHUNK_SIZE):
        day = build.day(check_in.day)
        for score in check_in.scores.all():
            build.observation(
                code=_concept(score.symptom),
                effectiveDateTime=day,
                valueInteger=score.severity,
                interpretation=_words(str(SEVERITY_WORDS[score.severity])),
            )
        _mood_and_note(build, check_in, day)


def _mood_and_note(build: _Builder, check_in: CheckIn, day: str | None) -> None:
    if check_in.mood is not None:
        build.observation(
            code={"text": "Mood"},
            effectiveDateTime=day,
            valueInteger=check_in.mood,
            interpretation=_words(str(MOOD_WORDS[check_in.mood])),
        )
    if check_in.note and build.include_notes:
        build.observation(
            code={"text": "Check-in note"},
            effectiveDateTime=day,
            valueString=check_in.note,
        )


# Treatment courses and evaluations -----------------------------------------------


def _courses(build: _Builder, records: MemberRecords) -> None:
    for course in records.courses.iterator(chunk_size=CHUNK_SIZE):
        is_medicine = course.treatment.kind == Treatment.Kind.MEDICINE
        make = _medication_statement if is_medicine else _procedure
        course_url = make(build, course)
        for evaluation in course.evaluations.all():
            _evaluation(build, evaluation, course_url)


def _period(build: _Builder, course: TreatmentCourse) -> dict[str, str]:
    period = {"start": build.day(course.started_on)}
    if course.stopped_on is not None:
        period["end"] = build.day(course.stopped_on)
    return {key: value for key, value in period.items() if value}


def _status(course: TreatmentCourse, *, current: str) -> str:
    """Completed when the course ran its length (or no reason was given for
    stopping), stopped when it was cut short, `current` while it runs."""
    if course.stopped_on is None:
        return current
    finished = course.stop_reason in ("", TreatmentCourse.StopReason.FINISHED)
    return "completed" if finished else "stopped"


def _stop_reason(course: TreatmentCourse) -> list[dict[str, str]] | None:
    return _words(str(STOP_WORDS[course.stop_reason])) if course.stop_reason else None


def _medication_statement(build: _Builder, course: TreatmentCourse) -> str:
    treatment = course.treatment
    # Dose and frequency are typed by the member: free text, like notes.
    typed = (course.dose, course.frequency) if build.include_notes else ()
    dosage = ", ".join(part for part in typed if part)
    resource: Resource = {
        "status": _status(course, current="active"),
        "statusReason": _stop_reason(course),
        "medicationCodeableConcept": _concept(treatment, (ATC, treatment.atc_code)),
        "subject": build.subject,
        "effectivePeriod": _period(build, course),
        "dosage": [{"text": dosage}] if dosage else None,
    }
    return build.add(MedicationStatement, resource)


def _procedure(build: _Builder, course: TreatmentCourse) -> str:
    treatment = course.treatment
    reasons = _stop_reason(course)
    resource: Resource = {
        "status": _status(course, current="in-progress"),
        "statusReason": reasons[0] if reasons else None,
        "category": {"text": str(Treatment.Kind(treatment.kind).label)},
        "code": _concept(treatment),
        "subject": build.subject,
        "performedPeriod": _period(build, course),
    }
    return build.add(Procedure, resource)


def _evaluation(build: _Builder, evaluation: Evaluation, course_url: str) -> None:
    day = build.day(evaluation.evaluated_on)
    members = [
        build.observation(
            code=_concept(side_effect.symptom),
            effectiveDateTime=day,
            valueInteger=side_effect.severity,
            interpretation=_words(str(SEVERITY_WORDS[side_effect.severity])),
            partOf=[{"reference": course_url}],
        )
        for side_effect in evaluation.side_effects.all()
    ]
    note = evaluation.note if build.include_notes else ""
    build.observation(
        code={"text": "Treatment evaluation"},
        effectiveDateTime=day,
        partOf=[{"reference": course_url}],
        component=_evaluation_components(evaluation) or None,
        hasMember=[{"reference": url} for url in members] or None,
        note=[{"text": note}] if note else None,
    )


def _evaluation_components(evaluation: Evaluation) -> list[Resource]:
    scales: list[tuple[str, int | None, Callable[[int], Any]]] = [
        ("Effectiveness", evaluation.effectiveness, Evaluation.Effectiveness),
        ("Adherence", evaluation.adherence, Evaluation.Adherence),
        ("Burden", evaluation.burden, Evaluation.Burden),
    ]
    components: list[Resource] = [
        {
            "code": {"text": name},
            "valueInteger": value,
            "interpretation": _words(str(choices(value).label)),
        }
        for name, value, choices in scales
        if value is not None
    ]
    if evaluation.cost_band:
        components.append(
            {
                "code": {"text": "Cost band"},
                "valueString": str(COST_WORDS[evaluation.cost_band]),
            }
        )
    return components


# Questionnaires ------------------------------------------------------------------


def _responses(build: _Builder, records: MemberRecords) -> None:
    for response in records.responses.iterator(chunk_size=CHUNK_SIZE):
        response_url = build.add(QuestionnaireResponse, _response(build, response))
        _score(build, response, response_url)


def questionnaire_url(response: Response) -> str:
    questionnaire = response.questionnaire
    slug = questionnaire.community.slug
    return f"{settings.SITE_URL}/c/{slug}/questionnaires/{questionnaire.pk}/"


def _response(build: _Builder, response: Response) -> Resource:
    return {
        "questionnaire": questionnaire_url(response),
        "_questionnaire": {
            "extension": [
                {
                    "url": DISPLAY_EXTENSION,
                    "valueString": response.questionnaire.title,
                }
            ]
        },
        "status": "completed",
        "subject": build.subject,
        "authored": build.moment(response.answered_at),
        "item": list(_items(response)),
    }


def _items(response: Response) -> Iterator[Resource]:
    for answer in response.answers.all():
        yield {
            "linkId": str(answer.question.position),
            "text": answer.question.text,
            "answer": [{"valueInteger": answer.value}],
        }


def _score(build: _Builder, response: Response, response_url: str) -> None:
    questionnaire = response.questionnaire
    band = scales.band_for(response.score, questionnaire.score_bands)
    build.observation(
        code={"text": f"{questionnaire.title}: score"},
        effectiveDateTime=build.moment(response.answered_at),
        valueQuantity={
            "value": response.score,
            "unit": "score",
            "system": UCUM,
            "code": "{score}",
        },
        interpretation=_words(band) if band else None,
        derivedFrom=[{"reference": response_url}],
    )
