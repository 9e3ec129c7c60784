"""The archive pages: organisers export their community and follow the
export's progress; administrators import an archive."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.communities.access import get_community_for_organiser
from kinwell.communities.archive import access, services
from kinwell.communities.archive.forms import ImportForm
from kinwell.communities.archive.reader import ArchiveError
from kinwell.lib.htmx import render_page_or_partial

RECENT_EXPORTS = 20


@login_required
@mfa_gate
@require_http_methods(["GET", "POST"])
def export(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, _ = get_community_for_organiser(request.user, slug)
    if request.method == "POST":
        job = services.request_export(request.user, community=community)
        return redirect("communities:export_status", community.slug, job.pk)
    exports = community.exports.select_related("requested_by").order_by(
        "-created_at", "-pk"
    )[:RECENT_EXPORTS]
    context = {"community": community, "exports": exports}
    return render(request, "communities/archive/export.html", context)


@login_required
@mfa_gate
@require_GET
def export_status(
    request: AuthenticatedRequest, slug: str, export_id: int
) -> HttpResponse:
    job = access.get_export_for_organiser(request.user, slug, export_id)
    context = {"community": job.community, "export": job}
    return render_page_or_partial(
        request, "communities/archive/export_status.html", "progress", context
    )


@login_required
@mfa_gate
@require_GET
def export_download(
    request: AuthenticatedRequest, slug: str, export_id: int
) -> HttpResponse:
    path = access.get_export_file_for_organiser(request.user, slug, export_id)
    filename = f"{slug}-archive-{export_id}.zip"
    # Streamed from disk, however big; mfa_gate is typed for HttpResponse only.
    response = FileResponse(path.open("rb"), as_attachment=True, filename=filename)
    return response  # type: ignore[return-value]


@login_required
@mfa_gate
@require_http_methods(["GET", "POST"])
def import_community(request: AuthenticatedRequest) -> HttpResponse:
    access.require_importer(request.user)
    posted = request.method == "POST"
    # Bound on every POST, so an empty submission gets its errors too.
    form = ImportForm(
        request.POST if posted else None, request.FILES if posted else None
    )
    if form.is_bound and form.is_valid():
        try:
            community = services.import_archive(
                request.user,
                stream=form.archive_stream(),
                slug=form.cleaned_data["slug"] or None,
            )
        except ArchiveError as error:
            form.add_error(None, f"This archive cannot be imported: {error}")
        else:
            messages.success(
                request,
                "The community is imported, with you as its organiser. The archive "
                "holds no email addresses, so its members' invitations wait to be "
                "addressed.",
            )
            return redirect(community)
    return render(request, "communities/archive/import.html", {"form": form})
