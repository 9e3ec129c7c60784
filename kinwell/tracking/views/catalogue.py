"""The catalogue of a community: the generic conditions, symptoms and
treatments and the community's own, for whoever may read the community;
adding, correcting and removing its own entries, for its organisers. No
page says whether anyone records an entry (kinwell.tracking.catalogue)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.communities import access as community_access
from kinwell.lib.forms import first_message, posted
from kinwell.lib.visitor_pages import same_for_every_visitor
from kinwell.tracking import access, catalogue
from kinwell.tracking.forms.catalogue import EntryForm, entry_initial

SINGULAR = {"conditions": "condition", "symptoms": "symptom", "treatments": "treatment"}


@same_for_every_visitor
def catalogue_page(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_for_catalogue(request.user, slug)
    sections = [
        {
            "kind": kind,
            "label": label,
            "singular": SINGULAR[kind],
            "codes": catalogue.code_fields(kind),
            "entries": list(catalogue.entries_for(community, kind)),
        }
        for kind, label in catalogue.KIND_LABELS.items()
    ]
    context = {
        "community": community,
        "sections": sections,
        "is_organiser": access.is_organiser(request.user, community),
    }
    return render(request, "tracking/catalogue/catalogue.html", context)


@login_required
@mfa_gate
def add_entry(request: AuthenticatedRequest, slug: str, kind: str) -> HttpResponse:
    community, membership = community_access.get_community_for_organiser(
        request.user, slug
    )
    form = EntryForm(posted(request), kind=kind)
    if form.is_bound and form.is_valid():
        try:
            entry = catalogue.add_entry(
                request.user, community=community, kind=kind, **form.entry_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"“{entry.name}” is in the catalogue.")
            return redirect("tracking:catalogue", slug)
    context = _form_context(community, membership, kind, form, None)
    return render(request, "tracking/catalogue/entry_form.html", context)


@login_required
@mfa_gate
def edit_entry(
    request: AuthenticatedRequest, slug: str, kind: str, entry_id: int
) -> HttpResponse:
    community, membership = community_access.get_community_for_organiser(
        request.user, slug
    )
    entry = access.get_entry_for_organiser(
        community, catalogue.current_entries(kind), entry_id
    )
    initial = entry_initial(entry, kind)
    form = EntryForm(posted(request), kind=kind, adding=False, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            catalogue.update_entry(request.user, entry=entry, **form.entry_fields())
        except ValidationError as error:
            add_service_errors(form, error)
            entry.refresh_from_db()
        else:
            messages.success(request, f"“{entry.name}” is saved.")
            return redirect("tracking:catalogue", slug)
    context = _form_context(community, membership, kind, form, entry)
    return render(request, "tracking/catalogue/entry_form.html", context)


@login_required
@require_POST
@mfa_gate
def delete_entry(
    request: AuthenticatedRequest, slug: str, kind: str, entry_id: int
) -> HttpResponse:
    community, _ = community_access.get_community_for_organiser(request.user, slug)
    entry = access.get_entry_for_organiser(
        community, catalogue.current_entries(kind), entry_id
    )
    try:
        catalogue.remove_entry(request.user, entry=entry)
    except ValidationError as error:
        messages.error(request, first_message(error))
        return redirect("tracking:catalogue", slug)
    # The same words whether it was deleted or kept for members' records.
    messages.success(request, f"“{entry.name}” is removed from the catalogue.")
    return redirect("tracking:catalogue", slug)


def _form_context(
    community: Any, membership: Any, kind: str, form: EntryForm, entry: Any
) -> dict[str, Any]:
    return {
        "community": community,
        "membership": membership,
        "kind": kind,
        "singular": SINGULAR[kind],
        "form": form,
        "entry": entry,
    }
