"""Who may export a community and fetch its archives, and who may import one.

Exports are for the community's organisers (with two-factor authentication);
an archive holds everything the community is. Imports are for
administrators; everyone else is told the page does not exist."""

from pathlib import Path
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from kinwell.accounts.access import require_mfa
from kinwell.communities.access import get_community_for_organiser
from kinwell.communities.archive.services import export_file_path
from kinwell.communities.models import ArchiveExport
from kinwell.lib import audit


def get_export_for_organiser(user: Any, slug: str, export_id: int) -> ArchiveExport:
    community, _ = get_community_for_organiser(user, slug)
    return get_object_or_404(
        ArchiveExport.objects.select_related("community", "requested_by"),
        pk=export_id,
        community=community,
    )


def get_export_file_for_organiser(user: Any, slug: str, export_id: int) -> Path:
    """The finished archive's file. Taking a copy of a whole community is
    recorded in the audit log."""
    export = get_export_for_organiser(user, slug, export_id)
    path = export_file_path(export)
    if path is None:
        raise Http404("This export has no file to download")
    audit.record(user, "community.export.download", export)
    return path


def require_importer(user: Any) -> None:
    if not getattr(user, "is_staff", False):
        raise Http404("Not found")
    require_mfa(user)
