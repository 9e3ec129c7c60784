"""Releasing a dataset from an approved request, and downloading it.

A release is built at the moment it is made, from the members included
then (kinwell.tracking.research.members), and kept under the private data
directory with its SHA-256. It is recorded three ways: a DataRelease for the
community's public register, one audit event per included member for their
"Access to my data" page, and an audit event per download.

The file is built first, reading only, outside any transaction: on SQLite a
transaction that writes holds the database's one write lock, and a build
may take minutes. One short transaction then checks the request again (it
may have been ended, or its budget spent, meanwhile), puts the file in
place and records the release. A file whose release is not recorded is
removed. Call it outside a transaction, as the views do."""

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.lib import audit, ratelimit
from kinwell.tracking.io.csv_export import CsvMember, write_csv_set
from kinwell.tracking.io.fhir import bundle_for
from kinwell.tracking.models import DataRelease, DatasetRequest
from kinwell.tracking.research import deid, files, privacy
from kinwell.tracking.research.access import (
    get_release_for_researcher,
    require_researcher,
)
from kinwell.tracking.research.members import Included, included_members, records_for

Kind = DataRelease.Kind
RELEASE_ACTION = "research.release"
RELEASES_PER_HOUR = 10
NOTHING_TO_RELEASE = (
    "No member of the community has consented to research datasets, so "
    "there is nothing to release."
)


def release_dataset(
    researcher: User,
    *,
    request: DatasetRequest,
    kind: str,
    epsilon: Decimal | None = None,
) -> DataRelease:
    """Builds and records a release of an approved request. Counts with
    differential privacy spend `epsilon` from the request's budget, which
    they may never exceed; nothing is written if anything is refused."""
    require_researcher(researcher)
    if kind not in Kind.values:
        raise ValidationError({"kind": "Choose CSV, FHIR or private counts."})
    current = _approved(researcher, _read(request))
    if kind == Kind.PRIVATE_COUNTS:
        epsilon = privacy.check_spend(current, epsilon)
    ratelimit.check(
        "research-release", researcher.pk, limit=RELEASES_PER_HOUR, period=3600
    )
    members = included_members(current)
    if not members:
        raise ValidationError(NOTHING_TO_RELEASE)
    release = DataRelease(
        request=current,
        community=current.community,
        kind=kind,
        released_to=researcher,
        released_at=timezone.now(),
        member_count=len(members),
        epsilon=epsilon,
    )
    built, release.record_count = _build(release, members)
    release.sha256 = built.sha256
    try:
        _place_and_record(researcher, release, members, built)
    except BaseException:
        files.discard_release_file(built)
        raise
    request.privacy_spent = release.request.privacy_spent
    return release


def _place_and_record(
    researcher: User,
    release: DataRelease,
    members: list[Included],
    built: files.BuiltFile,
) -> None:
    """Checks the request again under a row lock, so that two releases at
    once cannot both spend the last of a privacy budget, and records the
    release with its file: all of it, or nothing."""
    with transaction.atomic():
        locked = _approved(researcher, _read(release.request, locked=True))
        if release.epsilon is not None:
            privacy.check_spend(locked, release.epsilon)
        release.request = locked
        release.file = files.place_release_file(built)
        _record(researcher, release, members)


def _read(request: DatasetRequest, *, locked: bool = False) -> DatasetRequest:
    requests = DatasetRequest.objects.select_related("community")
    if locked:
        requests = requests.select_for_update(of=("self",))
    return requests.get(pk=request.pk)


def _approved(researcher: User, request: DatasetRequest) -> DatasetRequest:
    if request.researcher_id != researcher.pk:
        raise ValidationError("Only the researcher who asked can release this.")
    if request.status != DatasetRequest.Status.APPROVED:
        raise ValidationError(
            "Only an approved request can be released; this one is "
            f"{request.get_status_display().lower()}."
        )
    return request


def _record(researcher: User, release: DataRelease, members: list[Included]) -> None:
    release.save()
    request = release.request
    if release.epsilon is not None:
        DatasetRequest.objects.filter(pk=request.pk).update(
            privacy_spent=F("privacy_spent") + release.epsilon
        )
        request.refresh_from_db(fields=["privacy_spent"])
    _record_inclusions(researcher, release, members)


def _record_inclusions(
    researcher: User, release: DataRelease, members: list[Included]
) -> None:
    audit.record_for_each(
        researcher,
        RELEASE_ACTION,
        release,
        subjects=(member.user for member in members),
        reason=release.request.title,
    )


# Building the file -------------------------------------------------------------


def _build(
    release: DataRelease, members: list[Included]
) -> tuple[files.BuiltFile, int]:
    """Writes the release's file under a temporary name; returns it and how
    many records (rows, resources or counts) it holds."""
    request, kind = release.request, release.kind
    stem = f"request-{request.pk}-{kind}"
    if kind == Kind.PRIVATE_COUNTS:
        payload = _counts_payload(release, members)
        built = files.build_release_file(stem, ".json", _json(payload))
        return built, sum(len(t["rows"]) for t in payload["tables"])
    readme = _readme(release)
    written = {"records": 0}

    def write(out: IO[bytes]) -> None:
        if kind == Kind.RECORDS_CSV:
            written["records"] = _csv_zip(request, members, out)
        else:
            written["records"] = _fhir_zip(request, members, out)
        out.seek(0)
        with ZipFile(out, "a", compression=ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", readme)

    built = files.build_release_file(stem, ".zip", write)
    return built, written["records"]


def _csv_zip(request: DatasetRequest, members: list[Included], out: IO[bytes]) -> int:
    chosen = [
        CsvMember(
            records_for(request, member.user),
            member_ref=deid.pseudonym(request, member.user.pk),
            shift_days=deid.shift_days(request, member.user.pk),
            include_notes=member.notes_allowed,
        )
        for member in members
    ]
    return sum(write_csv_set(out, chosen, with_member=True).values())


def _fhir_zip(request: DatasetRequest, members: list[Included], out: IO[bytes]) -> int:
    resources = 0
    with ZipFile(out, "w", compression=ZIP_DEFLATED) as archive:
        for member in members:
            ref = deid.pseudonym(request, member.user.pk)
            bundle = bundle_for(
                records_for(request, member.user),
                patient_ref=ref,
                shift_days=deid.shift_days(request, member.user.pk),
                include_notes=member.notes_allowed,
            )
            archive.writestr(f"fhir/{ref}.json", json.dumps(bundle, indent=1))
            resources += len(bundle.get("entry", []))
    return resources


def _readme(release: DataRelease) -> str:
    return render_to_string(
        "tracking/research/release_readme.txt",
        {
            "dataset_request": release.request,
            "kind": release.get_kind_display(),
            "member_count": release.member_count,
            "released_at": release.released_at,
            "max_shift": deid.MAX_SHIFT_DAYS,
        },
    )


def _counts_payload(release: DataRelease, members: list[Included]) -> dict[str, Any]:
    request = release.request
    assert release.epsilon is not None
    counts = privacy.private_counts(
        request, [member.user.pk for member in members], epsilon=release.epsilon
    )
    return {
        "dataset": request.title,
        "community": request.community.name,
        "released_at": release.released_at.isoformat(),
        "period": {
            "from": request.period_from.isoformat() if request.period_from else None,
            "to": request.period_to.isoformat() if request.period_to else None,
        },
        **counts,
    }


def _json(payload: dict[str, Any]) -> Callable[[IO[bytes]], None]:
    def write(out: IO[bytes]) -> None:
        out.write(json.dumps(payload, indent=2, ensure_ascii=False).encode())

    return write


# Downloading ----------------------------------------------------------------------


def open_release_for_download(researcher: Any, release_id: int) -> tuple[Path, str]:
    """The release's file and the name to save it as, for the researcher it
    was released to. Each download is recorded (on the release, not on each
    member: their page shows the release itself)."""
    release = get_release_for_researcher(researcher, release_id)
    path = files.release_file_path(release)
    if path is None:
        raise Http404("This release has no file")
    audit.record(researcher, "research.download", release)
    return path, files.download_name(release)
