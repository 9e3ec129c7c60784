"""Tracking records that came with an imported community archive, waiting
for their member (kinwell.tracking.archive holds them). Once the member has
joined through the invitation addressed to them, they may take the records
into their tracking, through the same check and confirmation as any upload,
or discard them."""

import csv
import io
from zipfile import ZIP_DEFLATED, ZipFile

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from kinwell.accounts.models import User
from kinwell.communities.models import MemberInvitation
from kinwell.tracking.io import csv_format as fmt
from kinwell.tracking.io.csv_import import ImportReport
from kinwell.tracking.io.pending import check_and_hold
from kinwell.tracking.models import HeldTracking, HeldTrackingRow, PendingImport

CHUNK_SIZE = 2000
HELD_FILE_NAME = "carried-over.zip"


def held_for(user: User) -> QuerySet[HeldTracking]:
    """The sets `user` may take in: addressed to them through an invitation
    they accepted, or held for them as the importing organiser."""
    accepted = Q(
        invitation__user=user,
        invitation__status=MemberInvitation.Status.ACCEPTED,
    )
    return (
        HeldTracking.objects.filter(Q(user=user) | accepted)
        .select_related("community")
        .annotate(row_count=Count("rows"))
        .order_by("created_at", "pk")
    )


def get_held_for_user(user: User, held_id: int) -> HeldTracking:
    held = held_for(user).filter(pk=held_id).first()
    if held is None:
        raise Http404("Not found")
    return held


def held_as_csv(held: HeldTracking) -> bytes:
    """The held rows as a zip of the format's CSV files."""
    out = io.BytesIO()
    with ZipFile(out, "w", compression=ZIP_DEFLATED) as archive:
        for spec in fmt.FILES.values():
            rows = HeldTrackingRow.objects.filter(held=held, file=spec.name)
            if not rows.exists():
                continue
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(spec.columns)
            for data in (
                rows.order_by("pk")
                .values_list("data", flat=True)
                .iterator(chunk_size=CHUNK_SIZE)
            ):
                writer.writerow([str(data.get(column, "")) for column in spec.columns])
            archive.writestr(spec.name, text.getvalue().encode())
    return out.getvalue()


def review_held(
    actor: User, *, held: HeldTracking
) -> tuple[ImportReport, PendingImport | None]:
    """The import report on the held records, for `actor` (whose they are)."""
    return check_and_hold(
        actor, owner=actor, name=HELD_FILE_NAME, data=held_as_csv(held), held=held
    )


@transaction.atomic
def purge_unclaimable() -> int:
    """Deletes held sets nobody can take in any more: their invitation was
    declined or is gone (and they are not the importing organiser's).
    Returns how many went."""
    declined = Q(invitation__status=MemberInvitation.Status.DECLINED)
    orphaned = Q(invitation__isnull=True, user__isnull=True)
    _, by_model = HeldTracking.objects.filter(declined | orphaned).delete()
    return by_model.get(HeldTracking._meta.label, 0)


@transaction.atomic
def discard_held(actor: User, *, held: HeldTracking) -> None:
    if not held_for(actor).filter(pk=held.pk).exists():
        raise Http404("Not found")
    HeldTracking.objects.filter(pk=held.pk).delete()
