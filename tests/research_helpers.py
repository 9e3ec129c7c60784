"""Small helpers for the research tests: researchers, consents, requests and
members with records, all made through the real services."""

import io
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zipfile import ZipFile

from django.utils import timezone

from kinwell.accounts import services as account_services
from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities.models import Community, Membership
from kinwell.tracking import treatments
from kinwell.tracking.models import DataRelease, DatasetRequest, Symptom, Treatment
from kinwell.tracking.research import files, services
from tests import factories
from tests import tracking_factories as tf

Purpose = ConsentRecord.Purpose
PURPOSE_TEXT = (
    "To learn how fatigue and breathlessness change over a year of Long "
    "COVID, and which treatments members find helpful."
)


def make_researcher(name: str = "Rae Researcher", *, totp: bool = True) -> User:
    user = factories.make_user(name, is_researcher=True)
    if totp:
        factories.give_totp(user)
    return user


def consent(user: User, purpose: str = Purpose.RESEARCH, *, given: bool = True) -> None:
    account_services.record_consent(user, user=user, purpose=purpose, given=given)


def join(user: User, community: Community) -> None:
    Membership.objects.create(community=community, user=user)


def make_request(
    researcher: User, community: Community, **fields: Any
) -> DatasetRequest:
    values: dict[str, Any] = {
        "title": "Fatigue over a year",
        "institution": "University of Leeds",
        "purpose": PURPOSE_TEXT,
    }
    return services.request_dataset(
        researcher, community=community, **(values | fields)
    )


def approved_request(
    researcher: User, community: Community, organiser: User, **fields: Any
) -> DatasetRequest:
    found = make_request(researcher, community, **fields)
    return services.approve_request(organiser, request=found, note="Thank you.")


class Tracked:
    """A member with a year's worth of a few records, and the catalogue they
    used."""

    def __init__(
        self,
        community: Community,
        name: str,
        *,
        note: str = "",
        symptom: Symptom | None = None,
        treatment: Treatment | None = None,
    ) -> None:
        self.user = factories.make_user(name)
        join(self.user, community)
        self.symptom = symptom or tf.make_symptom("Fatigue")
        self.treatment = treatment or tf.make_treatment("Pacing plan")
        self.days = [timezone.localdate() - timedelta(days=n) for n in (40, 20, 5)]
        self._record(note)

    def _record(self, note: str) -> None:
        tf.track(self.user, self.symptom)
        tf.track_since(self.user, self.symptom, self.days[0] - timedelta(days=1))
        for number, day in enumerate(self.days):
            tf.check_in(
                self.user, {self.symptom: number % 5}, day=day, note=note, mood=2
            )
        self.course = treatments.start_course(
            self.user,
            owner=self.user,
            treatment=self.treatment,
            started_on=self.days[0],
            dose="1",
            frequency="daily",
        )
        treatments.evaluate_course(
            self.user,
            course=self.course,
            effectiveness=3,
            adherence=4,
            burden=1,
            cost_band="",
            side_effects={},
            note=note,
            evaluated_on=self.days[1],
        )


def release_zip(release: DataRelease) -> ZipFile:
    path = files.release_file_path(release)
    assert path is not None
    return ZipFile(io.BytesIO(path.read_bytes()))


def csv_rows(release: DataRelease, name: str) -> list[dict[str, str]]:
    import csv

    with release_zip(release) as archive:
        text = archive.read(name).decode()
    return list(csv.DictReader(io.StringIO(text)))


def fhir_bundles(release: DataRelease) -> dict[str, dict[str, Any]]:
    with release_zip(release) as archive:
        return {
            name: json.loads(archive.read(name))
            for name in archive.namelist()
            if name.startswith("fhir/")
        }


def release_json(release: DataRelease) -> dict[str, Any]:
    path = files.release_file_path(release)
    assert path is not None
    return dict(json.loads(path.read_text()))


def shift_of(original: date, shifted: str) -> int:
    return (date.fromisoformat(shifted) - original).days


BUDGET = Decimal("1.000")
