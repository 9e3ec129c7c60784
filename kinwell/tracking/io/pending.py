"""An upload between its check and the member's "Import these records": kept
in the database (any web process may answer the confirmation), for a day at
most, and checked again when confirmed."""

from datetime import timedelta

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.tracking.io.csv_import import ImportReport, check_import, import_tracking
from kinwell.tracking.models import HeldTracking, PendingImport

KEPT_FOR = timedelta(days=1)


@transaction.atomic
def check_and_hold(
    actor: User,
    *,
    owner: User,
    name: str,
    data: bytes,
    held: HeldTracking | None = None,
) -> tuple[ImportReport, PendingImport | None]:
    """The report on an upload and, if it can be imported, the upload kept
    for the confirmation. Replaces whatever `actor` had waiting."""
    report = check_import(actor, owner=owner, name=name, data=data)
    PendingImport.objects.filter(uploaded_by=actor).delete()
    PendingImport.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    if not report.ok or report.total == 0:
        return report, None
    pending = PendingImport.objects.create(
        owner=owner, uploaded_by=actor, name=name[:200], data=data, held=held
    )
    return report, pending


def get_pending_import(actor: User, pending_id: int) -> PendingImport:
    """`actor`'s waiting upload, or Http404. Whose records it goes into is
    for the caller to check again (a carer's delegation may have ended)."""
    pending = (
        PendingImport.objects.filter(
            pk=pending_id,
            uploaded_by=actor,
            created_at__gte=timezone.now() - KEPT_FOR,
        )
        .select_related("owner")
        .first()
    )
    if pending is None:
        raise Http404("No such import")
    return pending


@transaction.atomic
def confirm_import(actor: User, *, pending: PendingImport) -> ImportReport:
    """Imports the waiting upload (ImportRejected if it no longer passes);
    records carried over from an archive are then no longer held."""
    report = import_tracking(
        actor, owner=pending.owner, name=pending.name, data=bytes(pending.data)
    )
    if pending.held_id is not None:
        HeldTracking.objects.filter(pk=pending.held_id).delete()
    PendingImport.objects.filter(pk=pending.pk).delete()
    return report


@transaction.atomic
def cancel_import(actor: User, *, pending: PendingImport) -> None:
    PendingImport.objects.filter(pk=pending.pk, uploaded_by=actor).delete()
