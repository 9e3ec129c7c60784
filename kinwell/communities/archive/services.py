"""Exporting a community as a portable archive, and importing one. Shared by
the web pages, the management commands and the background task."""

import logging
import secrets
from pathlib import Path
from typing import IO, Any
from zipfile import ZipFile

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities.archive import kinds
from kinwell.communities.archive.reader import (
    ArchiveError,
    check_archive,
    open_zip,
    read_records,
)
from kinwell.communities.archive.writer import Progress, write_archive
from kinwell.communities.models import ArchiveExport, Community
from kinwell.lib import audit

logger = logging.getLogger(__name__)
EXPORTS_DIR = "exports"


def exports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / EXPORTS_DIR


# Export ----------------------------------------------------------------------


@transaction.atomic
def request_export(actor: User, *, community: Community) -> ArchiveExport:
    """Queues an export; the worker writes it (tasks.build_export)."""
    from kinwell.communities.archive.tasks import build_export

    export = ArchiveExport.objects.create(community=community, requested_by=actor)
    audit.record(actor, "community.export", export)
    transaction.on_commit(lambda: build_export.enqueue(export.pk))
    return export


def run_export(export_id: int) -> ArchiveExport:
    """Writes the archive of a queued export, recording progress as it goes.
    The file is written under a temporary name and renamed when complete, so
    a half-written archive is never offered for download."""
    export = ArchiveExport.objects.select_related("community").get(pk=export_id)
    _set(export, status=ArchiveExport.Status.RUNNING)
    name = f"{export.community.slug}-{export.pk}-{secrets.token_hex(8)}.zip"
    path = exports_root() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    try:
        with partial.open("wb") as target:
            write_archive(export.community, target, progress=_recorder(export))
        partial.rename(path)
    except Exception:
        logger.exception("Export %s failed", export.pk)
        partial.unlink(missing_ok=True)
        _set(export, status=ArchiveExport.Status.FAILED, error="The export failed.")
        return export
    _set(
        export,
        status=ArchiveExport.Status.DONE,
        file=f"{EXPORTS_DIR}/{name}",
        finished_at=timezone.now(),
    )
    return export


def _recorder(export: ArchiveExport) -> Progress:
    def record(done: int, total: int) -> None:
        _set(export, done_records=done, total_records=total)

    return record


def _set(export: ArchiveExport, **fields: Any) -> None:
    # A plain UPDATE: the status page reads these while the export runs.
    ArchiveExport.objects.filter(pk=export.pk).update(**fields)
    for name, value in fields.items():
        setattr(export, name, value)


def export_to_file(
    actor: User | None,
    *,
    community: Community,
    target: IO[bytes],
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Writes the archive at once (the command line); returns its manifest."""
    manifest = write_archive(community, target, progress=progress)
    audit.record(actor, "community.export", community)
    return manifest


def export_file_path(export: ArchiveExport) -> Path | None:
    if export.status != ArchiveExport.Status.DONE or not export.file:
        return None
    path = Path(settings.MEDIA_ROOT) / export.file
    return path if path.is_file() else None


# Import ----------------------------------------------------------------------


def import_archive(
    actor: User | None, *, stream: IO[bytes], slug: str | None = None
) -> Community:
    """Recreates the community of an archive, after checking all of it.

    Any problem raises ArchiveError before anything is written; the writing
    then happens in one transaction. The importing administrator becomes its
    organiser; the archive's members are invited (unaddressed: the archive
    holds no addresses), never enrolled."""
    archive = open_zip(stream)
    with archive:
        checked = check_archive(archive, slug=slug or None)
        source = checked.manifest["source"]
        context = kinds.ImportContext(
            actor=actor,
            slug=checked.slug,
            provenance=_provenance(source, checked.manifest["community"]["slug"]),
            imported_at=timezone.now(),
            open_media=archive.open,
        )
        try:
            community = _write(actor, archive, context)
        except IntegrityError:  # another import took the slug meanwhile
            raise ArchiveError(
                f"A community with the slug {checked.slug!r} already exists."
            ) from None
    return community


@transaction.atomic
def _write(
    actor: User | None, archive: ZipFile, context: kinds.ImportContext
) -> Community:
    for kind in kinds.registered():
        for record in read_records(archive, kind.name):
            kind.import_row(context, record)
        context.flush()
    community = context.new_community
    audit.record(actor, "community.import", community)
    return community


def _provenance(source: dict[str, Any], slug: str) -> str:
    return f"{source['site_name']} ({source['site_url']}), community {slug}"[:300]
