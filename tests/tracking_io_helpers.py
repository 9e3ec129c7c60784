"""Helpers for the tests of tracking export, import and archives: a member
with some of everything, made through the real services, and small readers
of the files."""

import csv
import io
from datetime import date, timedelta
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from django.utils import timezone

from kinwell.accounts import services as account_services
from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities.models import Community
from kinwell.lib import ratelimit
from kinwell.tracking import questionnaires, treatments
from kinwell.tracking.io.csv_export import write_csv
from kinwell.tracking.io.records import member_records
from kinwell.tracking.models import (
    Questionnaire,
    QuestionnaireResponse,
    Symptom,
    Treatment,
    TreatmentCourse,
)
from tests import tracking_factories as tf

TODAY = timezone.localdate


def days_ago(days: int) -> date:
    return TODAY() - timedelta(days=days)


def make_questionnaire(
    organiser: User, community: Community, title: str = "Fatigue scale"
) -> Questionnaire:
    scale = [{"label": label, "value": n} for n, label in enumerate("ABCD")]
    with ratelimit.suspended():
        made = questionnaires.create_questionnaire(
            organiser, community=community, title=title, interval_days=7
        )
        for text in ("How tired?", "How often?"):
            questionnaires.add_question(
                organiser, questionnaire=made, text=text, choices=scale
            )
        questionnaires.open_questionnaire(organiser, questionnaire=made)
    made.refresh_from_db()
    return made


def answer(
    owner: User, questionnaire: Questionnaire, values: list[int]
) -> QuestionnaireResponse:
    questions = list(questionnaire.questions.order_by("position"))
    with ratelimit.suspended():
        return questionnaires.answer_questionnaire(
            owner,
            owner=owner,
            questionnaire=questionnaire,
            answers={q.pk: v for q, v in zip(questions, values, strict=True)},
        )


def make_course(
    owner: User,
    treatment: Treatment,
    *,
    started_ago: int,
    stopped_ago: int | None = None,
    reason: str = "",
    dose: str = "10 mg",
    frequency: str = "twice a day",
) -> TreatmentCourse:
    with ratelimit.suspended():
        course = treatments.start_course(
            owner,
            owner=owner,
            treatment=treatment,
            started_on=days_ago(started_ago),
            dose=dose,
            frequency=frequency,
        )
        if stopped_ago is not None:
            course = treatments.stop_course(
                owner, course=course, stopped_on=days_ago(stopped_ago), reason=reason
            )
    return course


def evaluate(
    owner: User,
    course: TreatmentCourse,
    *,
    ago: int,
    side_effects: dict[Symptom, int] | None = None,
    note: str = "",
) -> Any:
    with ratelimit.suspended():
        return treatments.evaluate_course(
            owner,
            course=course,
            effectiveness=3,
            adherence=4,
            burden=1,
            cost_band="low",
            side_effects={s.pk: v for s, v in (side_effects or {}).items()},
            note=note,
            evaluated_on=days_ago(ago),
        )


def fill_records(owner: User, community: Community, organiser: User) -> dict[str, Any]:
    """Some of everything: conditions, symptoms with check-ins over a few
    days (with a mood and a note), a current and a stopped course of a
    medicine, a therapy, evaluations with side effects, a questionnaire
    response. Returns the catalogue entries used."""
    fatigue = tf.make_symptom("Fatigue")
    headache = tf.make_symptom("Headache")
    brain_fog = tf.make_symptom("Brain fog (ours)", community=community)
    condition = tf.make_condition("Long COVID")
    tf.add_condition(
        owner, condition, onset_on=days_ago(400), diagnosed_on=days_ago(300)
    )
    tf.track(owner, fatigue, headache, brain_fog)
    for symptom in (fatigue, headache, brain_fog):
        tf.track_since(owner, symptom, days_ago(30))
    for ago in range(5, 0, -1):
        tf.check_in(
            owner,
            {fatigue: ago % 5, headache: 2, brain_fog: 1},
            days_ago=ago,
            mood=ago % 5,
            note=f"Day {ago}, quite tired" if ago == 3 else "",
        )
    tf.check_in(owner, {}, days_ago=8, mood=None, note="Only a note")
    medicine = tf.make_treatment("Ibuprofen")
    medicine.atc_code = "M01AE01"
    medicine.save(update_fields=["atc_code"])
    therapy = tf.make_treatment("Pacing", kind=Treatment.Kind.LIFESTYLE)
    stopped = make_course(
        owner, medicine, started_ago=60, stopped_ago=20, reason="side_effects"
    )
    current = make_course(owner, therapy, started_ago=50, dose="", frequency="daily")
    evaluate(owner, stopped, ago=40, side_effects={headache: 3}, note="Upset stomach")
    evaluate(owner, current, ago=10)
    questionnaire = make_questionnaire(organiser, community)
    answer(owner, questionnaire, [2, 3])
    return {
        "fatigue": fatigue,
        "headache": headache,
        "brain_fog": brain_fog,
        "condition": condition,
        "medicine": medicine,
        "therapy": therapy,
        "questionnaire": questionnaire,
    }


def export_zip(owner: User, **options: Any) -> bytes:
    out = io.BytesIO()
    write_csv(member_records(owner), out, **options)
    return out.getvalue()


def read_zip(data: bytes) -> dict[str, list[dict[str, str]]]:
    with ZipFile(io.BytesIO(data)) as archive:
        return {
            name: list(csv.DictReader(io.StringIO(archive.read(name).decode())))
            for name in archive.namelist()
        }


def make_zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with ZipFile(out, "w", compression=ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def consent(
    user: User,
    purpose: str = ConsentRecord.Purpose.PORTABILITY,
    *,
    given: bool = True,
) -> None:
    account_services.record_consent(user, user=user, purpose=purpose, given=given)
