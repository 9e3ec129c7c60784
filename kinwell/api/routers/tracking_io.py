"""Export and import of a member's tracking records (docs/tracking-csv.md).
Each operation makes the same access and service calls as the website
(kinwell.tracking.views.io).

`?delegation=<id>`: a carer acting for a member. Exporting needs the
delegation's "read my private data" scope, importing both it and "track for
me" (the report tells what the member has already); the member sees either
on "Access to my data"."""

import json
from typing import Annotated, Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import File, Query, Router, Status, UploadedFile

from kinwell.accounts.models import User
from kinwell.api.auth import current_user
from kinwell.api.errors import error_body, errors
from kinwell.api.schemas.fields import DelegationId
from kinwell.api.schemas.tracking_io import ImportReportOut
from kinwell.tracking import access
from kinwell.tracking.io.csv_export import csv_file
from kinwell.tracking.io.csv_import import (
    ImportRejected,
    ImportReport,
    check_import,
    import_tracking,
)
from kinwell.tracking.io.fhir import bundle_for, new_patient_ref
from kinwell.tracking.io.records import member_records
from kinwell.tracking.io.upload import limit

router = Router(tags=["tracking"])

ExportFormat = Annotated[
    str,
    Query(
        pattern=r"^(csv|fhir)$",
        description="csv: a zip of CSV files; fhir: a FHIR R4 Bundle (JSON).",
    ),
]
DryRun = Annotated[
    bool, Query(description="Check the file and return the report; write nothing.")
]


def _owner(request: HttpRequest, delegation: int | None, scope: str) -> User:
    user = current_user(request)
    acting_for = access.delegation_for_api(user, delegation)
    return access.records_owner(user, acting_for, scope=scope)


@router.get(
    "/me/tracking/export",
    response={200: None, **errors(401, 403, 404, 422)},
    summary="All of the member's tracking records, as CSV files or FHIR R4",
)
def export_tracking(
    request: HttpRequest, format: ExportFormat = "csv", delegation: DelegationId = None
) -> HttpResponseBase:
    user = current_user(request)
    owner = _owner(request, delegation, access.READ)
    access.record_carer_access(user, owner, f"tracking.export_{format}", owner)
    day = timezone.localdate().isoformat()
    response: HttpResponseBase
    if format == "fhir":
        bundle = bundle_for(member_records(owner), patient_ref=new_patient_ref())
        response = HttpResponse(
            json.dumps(bundle), content_type="application/fhir+json"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="tracking-{day}.fhir.json"'
        )
    else:
        response = FileResponse(
            csv_file(member_records(owner)),
            as_attachment=True,
            filename=f"tracking-{day}.zip",
            content_type="application/zip",
        )
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/me/tracking/import",
    response={200: ImportReportOut, **errors(400, 401, 403, 404, 422, 429)},
    summary="Import tracking records from the CSV format (multipart field 'file')",
)
def import_tracking_records(
    request: HttpRequest,
    # Optional here so that a part without a file (or one the client sent
    # empty) gets the import's own clear answer, not a generic 422.
    file: File[UploadedFile | None] = None,
    dry_run: DryRun = False,
    delegation: DelegationId = None,
) -> Status[Any]:
    user = current_user(request)
    # The report tells what the member has already: a carer needs both scopes.
    owner = access.changing_owner(user, access.delegation_for_api(user, delegation))
    if file is None:
        return Status(400, error_body("invalid", "Choose a file to import."))
    name = str(file.name or "")
    data = file.read(limit("KINWELL_TRACKING_IMPORT_MAX_BYTES") + 1)
    if dry_run:
        return Status(
            200, _report_out(check_import(user, owner=owner, name=name, data=data))
        )
    try:
        report = import_tracking(user, owner=owner, name=name, data=data)
    except ImportRejected as rejected:
        return Status(400, _rejected(rejected))
    return Status(200, _report_out(report))


def _report_out(report: ImportReport) -> dict[str, Any]:
    return {**vars(report), "ok": report.ok}


def _rejected(rejected: ImportRejected) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    for problem in rejected.report.problems:
        where = problem.file
        if problem.line is not None:
            where += f" line {problem.line}"
        if problem.column:
            where += f", {problem.column}"
        fields.setdefault(where, []).append(problem.message)
    return error_body("invalid", str(rejected.message), fields)
