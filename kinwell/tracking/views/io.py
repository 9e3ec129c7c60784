"""Export (CSV and FHIR downloads) and import (upload, report, confirm) of a
member's tracking records, and the records carried over from an imported
community archive.

A carer exports with "read my private data" and imports with both it and
"track for me" (the import's report tells what the member has already);
both are shown to the member on "Access to my data". Records carried
over from an archive are decided on by the member themselves."""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kinwell.accounts.http import AuthenticatedRequest
from kinwell.accounts.models import User
from kinwell.lib.forms import first_message, posted
from kinwell.tracking import access
from kinwell.tracking.forms.io import DiscardForm, ImportForm
from kinwell.tracking.io import held as held_records
from kinwell.tracking.io import pending as pending_imports
from kinwell.tracking.io.csv_export import csv_file
from kinwell.tracking.io.csv_format import FILES
from kinwell.tracking.io.csv_import import ImportRejected, ImportReport
from kinwell.tracking.io.fhir import bundle_for, new_patient_ref
from kinwell.tracking.io.records import member_records
from kinwell.tracking.models import (
    CheckIn,
    MemberCondition,
    PendingImport,
    TreatmentCourse,
)

# Export ---------------------------------------------------------------------------


@login_required
@require_GET
def export(request: AuthenticatedRequest) -> HttpResponse:
    owner = access.reading_owner(request.user, request.acting_for, page="export")
    context = {
        "owner": owner,
        "is_self": owner.pk == request.user.pk,
        "check_in_count": CheckIn.objects.filter(user=owner).count(),
        "condition_count": MemberCondition.objects.filter(user=owner).count(),
        "course_count": TreatmentCourse.objects.filter(user=owner).count(),
    }
    return render(request, "tracking/io/export.html", context)


def _exporting(request: AuthenticatedRequest, kind: str) -> User:
    owner = access.records_owner(request.user, request.acting_for, scope=access.READ)
    access.record_carer_access(request.user, owner, f"tracking.export_{kind}", owner)
    return owner


def _file_name(extension: str) -> str:
    return f"tracking-{timezone.localdate().isoformat()}.{extension}"


@never_cache
@login_required
@require_GET
def export_csv(request: AuthenticatedRequest) -> HttpResponse:
    owner = _exporting(request, "csv")
    response = FileResponse(
        csv_file(member_records(owner)),
        as_attachment=True,
        filename=_file_name("zip"),
        content_type="application/zip",
    )
    return response  # type: ignore[return-value]


@never_cache
@login_required
@require_GET
def export_fhir(request: AuthenticatedRequest) -> HttpResponse:
    owner = _exporting(request, "fhir")
    bundle = bundle_for(member_records(owner), patient_ref=new_patient_ref())
    response = HttpResponse(
        json.dumps(bundle, indent=1), content_type="application/fhir+json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{_file_name("fhir.json")}"'
    )
    return response


# Import ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_records(request: AuthenticatedRequest) -> HttpResponse:
    owner = access.changing_owner(request.user, request.acting_for)
    form = ImportForm(
        posted(request), request.FILES if request.method == "POST" else None
    )
    report: ImportReport | None = None
    pending: PendingImport | None = None
    if form.is_bound and form.is_valid():
        name, data = form.name_and_data()
        report, pending = pending_imports.check_and_hold(
            request.user, owner=owner, name=name, data=data
        )
    return _import_page(request, owner, form, report, pending)


def _import_page(
    request: AuthenticatedRequest,
    owner: User,
    form: ImportForm | None,
    report: ImportReport | None,
    pending: PendingImport | None,
) -> HttpResponse:
    is_self = owner.pk == request.user.pk
    context: dict[str, Any] = {
        "owner": owner,
        "is_self": is_self,
        "form": form or ImportForm(),
        "report": report,
        "pending": pending,
        "held_count": held_records.held_for(request.user).count() if is_self else 0,
    }
    status = 400 if report is not None and not report.ok else 200
    return render(request, "tracking/io/import.html", context, status=status)


@login_required
@require_POST
def confirm_import(request: AuthenticatedRequest, pending_id: int) -> HttpResponse:
    pending = _pending_for(request, pending_id)
    owner = pending.owner
    try:
        report = pending_imports.confirm_import(request.user, pending=pending)
    except ImportRejected as rejected:
        messages.error(request, first_message(rejected))
        return _import_page(request, owner, None, rejected.report, None)
    except ValidationError as error:
        messages.error(request, first_message(error))
        return redirect("tracking:import")
    messages.success(request, _imported_message(report))
    return redirect("tracking:home")


def _pending_for(request: AuthenticatedRequest, pending_id: int) -> PendingImport:
    """The caller's waiting upload: into their own records, or into those of
    the member they act for now with both scopes (see import_records)."""
    pending = pending_imports.get_pending_import(request.user, pending_id)
    if pending.owner_id != request.user.pk:
        owner = access.changing_owner(request.user, request.acting_for)
        if owner.pk != pending.owner_id:
            raise Http404("Not found")
    return pending


def _imported_message(report: ImportReport) -> str:
    parts = [f"{count} {label}" for label, count in report.summary]
    return "Imported: " + ", ".join(parts) + "."


@login_required
@require_POST
def cancel_import(request: AuthenticatedRequest, pending_id: int) -> HttpResponse:
    pending = _pending_for(request, pending_id)
    pending_imports.cancel_import(request.user, pending=pending)
    messages.info(request, "Nothing was imported.")
    return redirect("tracking:import")


# Records carried over from an imported community -----------------------------------


@login_required
@require_GET
def held(request: AuthenticatedRequest) -> HttpResponse:
    """Always the signed-in person's own: whether to take in records from an
    old community is theirs to decide, even while acting for someone."""
    return _held_page(request, None)


def _held_page(
    request: AuthenticatedRequest, failed: tuple[int, DiscardForm] | None
) -> HttpResponse:
    sets = [
        (found, _discard_form(found.pk, failed))
        for found in held_records.held_for(request.user)
    ]
    status = 400 if failed else 200
    return render(request, "tracking/io/held.html", {"held_sets": sets}, status=status)


def _discard_form(held_id: int, failed: tuple[int, DiscardForm] | None) -> DiscardForm:
    if failed is not None and failed[0] == held_id:
        return failed[1]
    return DiscardForm(prefix=f"held-{held_id}")


@login_required
@require_POST
def review_held(request: AuthenticatedRequest, held_id: int) -> HttpResponse:
    found = held_records.get_held_for_user(request.user, held_id)
    report, pending = held_records.review_held(request.user, held=found)
    context: dict[str, Any] = {
        "owner": request.user,
        "is_self": True,
        "report": report,
        "pending": pending,
        "held_set": found,
    }
    return render(request, "tracking/io/import.html", context)


@login_required
@require_POST
def discard_held(request: AuthenticatedRequest, held_id: int) -> HttpResponse:
    found = held_records.get_held_for_user(request.user, held_id)
    form = DiscardForm(request.POST, prefix=f"held-{held_id}")
    if not form.is_valid():
        return _held_page(request, (held_id, form))
    held_records.discard_held(request.user, held=found)
    messages.success(request, "Those records are deleted.")
    return redirect("tracking:held")


@require_GET
def import_format(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/io/format.html", {"files": list(FILES.values())})
