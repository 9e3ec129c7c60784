"""The directory's management pages: a new organisation (installation
administrators), and for an organisation's admins its details, its service
tree and its staff. Every page works without JavaScript; every write is a
POST, counted by the site's write limit (kinwell.web.middleware)."""

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from kinwell.accounts.access import require_mfa
from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.lib.forms import first_message, posted
from kinwell.stories import access, directory
from kinwell.stories.forms.directory import (
    NewOrganisationForm,
    NewStaffForm,
    OrganisationForm,
    ServiceForm,
    StaffForm,
)
from kinwell.stories.models import Organisation, Service, StaffMembership

PAGE_SIZE = 50


@dataclass
class Node:
    service: Service
    children: list["Node"] = field(default_factory=list)


def _tree(organisation: Organisation) -> list[Node]:
    """The organisation's tree in one query, siblings by name."""
    services = Service.objects.filter(organisation=organisation).order_by("name")
    nodes = {service.pk: Node(service) for service in services}
    top: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.service.parent_id or 0)
        (parent.children if parent else top).append(node)
    return top


def _in_tree_order(
    nodes: list[Node], leave_out: Service | None = None
) -> list[Service]:
    """Every node, each followed by those below it; without `leave_out` and
    its subtree (a node cannot move under itself)."""
    found: list[Service] = []
    for node in nodes:
        if node.service != leave_out:
            found.append(node.service)
            found.extend(_in_tree_order(node.children, leave_out))
    return found


# Organisations -----------------------------------------------------------------


@login_required
@mfa_gate
def new_organisation(request: AuthenticatedRequest) -> HttpResponse:
    if not access.can_create_organisation(request.user):
        raise PermissionDenied
    require_mfa(request.user)
    form = NewOrganisationForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            organisation = directory.create_organisation(
                request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{organisation.name} is in the directory.")
            return redirect("stories:manage", organisation.slug)
    return render(request, "stories/manage/new_organisation.html", {"form": form})


@login_required
@mfa_gate
def edit_organisation(request: AuthenticatedRequest, org: str) -> HttpResponse:
    organisation = access.get_organisation_for_admin(request.user, org)
    initial = {
        name: getattr(organisation, name)
        for name in ("name", "code", "location", "description")
    }
    form = OrganisationForm(posted(request), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            directory.update_organisation(
                request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
            organisation.refresh_from_db()
        else:
            messages.success(request, "The organisation's details are saved.")
            return redirect("stories:manage", organisation.slug)
    context = {"organisation": organisation, "form": form}
    return render(request, "stories/manage/edit_organisation.html", context)


# The service tree --------------------------------------------------------------


@login_required
@mfa_gate
def manage(request: AuthenticatedRequest, org: str) -> HttpResponse:
    organisation = access.get_organisation_for_admin(request.user, org)
    context = {"organisation": organisation, "tree": _tree(organisation)}
    return render(request, "stories/manage/tree.html", context)


@login_required
@mfa_gate
def new_service(request: AuthenticatedRequest, org: str) -> HttpResponse:
    organisation = access.get_organisation_for_admin(request.user, org)
    places = _in_tree_order(_tree(organisation))
    form = ServiceForm(
        posted(request), places=places, initial=_new_service_initial(request)
    )
    if form.is_bound and form.is_valid():
        try:
            service = directory.add_service(
                request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{service.name} is in the tree.")
            return redirect("stories:manage", organisation.slug)
    context = {"organisation": organisation, "form": form, "service": None}
    return render(request, "stories/manage/service_form.html", context)


def _new_service_initial(request: AuthenticatedRequest) -> dict[str, Any]:
    parent = request.GET.get("parent", "")
    return {"parent": int(parent)} if parent.isdecimal() else {}


@login_required
@mfa_gate
def edit_service(
    request: AuthenticatedRequest, org: str, service_id: int
) -> HttpResponse:
    organisation = access.get_organisation_for_admin(request.user, org)
    service = access.get_service(organisation, service_id)
    places = _in_tree_order(_tree(organisation), leave_out=service)
    initial = {
        "name": service.name,
        "kind": service.kind,
        "parent": service.parent_id,
        "code": service.code,
        "location": service.location,
    }
    form = ServiceForm(posted(request), places=places, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            directory.update_service(request.user, service=service, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['name']} is saved.")
            return redirect("stories:manage", organisation.slug)
    context = {"organisation": organisation, "form": form, "service": service}
    return render(request, "stories/manage/service_form.html", context)


@login_required
@mfa_gate
def delete_service(
    request: AuthenticatedRequest, org: str, service_id: int
) -> HttpResponse:
    organisation = access.get_organisation_for_admin(request.user, org)
    service = access.get_service(organisation, service_id)
    if request.method == "POST":
        try:
            directory.remove_service(request.user, service=service)
        except ValidationError as error:
            messages.error(request, first_message(error))
        else:
            messages.success(request, f"{service.name} is no longer in the tree.")
        return redirect("stories:manage", organisation.slug)
    context = {"organisation": organisation, "service": service}
    return render(request, "stories/manage/delete_service.html", context)


# Staff -------------------------------------------------------------------------


@login_required
@mfa_gate
def manage_staff(request: AuthenticatedRequest, org: str) -> HttpResponse:
    organisation = access.get_organisation_for_admin(request.user, org)
    form = NewStaffForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            staff = directory.add_staff(
                request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{staff.user.public_name} is on the staff.")
            return redirect("stories:manage_staff", organisation.slug)
    staff_list = (
        StaffMembership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__display_name", "pk")
    )
    page = Paginator(staff_list, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"organisation": organisation, "form": form, "page": page}
    return render(request, "stories/manage/staff.html", context)


@login_required
@mfa_gate
def edit_staff(request: AuthenticatedRequest, org: str, staff_id: int) -> HttpResponse:
    organisation = access.get_organisation_for_admin(request.user, org)
    staff = _get_staff(organisation, staff_id)
    initial = {"role": staff.role, "job_title": staff.job_title}
    form = StaffForm(posted(request), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            directory.change_staff(request.user, staff=staff, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{staff.user.public_name}'s role is saved.")
            return _after_staff_change(request, organisation, staff)
    context = {"organisation": organisation, "staff": staff, "form": form}
    return render(request, "stories/manage/edit_staff.html", context)


@login_required
@mfa_gate
def remove_staff(
    request: AuthenticatedRequest, org: str, staff_id: int
) -> HttpResponse:
    organisation = access.get_organisation_for_admin(request.user, org)
    staff = _get_staff(organisation, staff_id)
    if request.method == "POST":
        try:
            directory.remove_staff(request.user, staff=staff)
        except ValidationError as error:
            messages.error(request, first_message(error))
            return redirect("stories:manage_staff", organisation.slug)
        messages.success(request, f"{staff.user.public_name} is off the staff.")
        return _after_staff_change(request, organisation, staff)
    context = {"organisation": organisation, "staff": staff}
    return render(request, "stories/manage/remove_staff.html", context)


def _get_staff(organisation: Organisation, staff_id: int) -> StaffMembership:
    return get_object_or_404(
        StaffMembership.objects.select_related("user"),
        organisation=organisation,
        pk=staff_id,
    )


def _after_staff_change(
    request: AuthenticatedRequest, organisation: Organisation, staff: StaffMembership
) -> HttpResponse:
    """Back to the staff list, unless the admin just gave up their own right
    to see it."""
    gave_up = (
        staff.user_id == request.user.pk
        and not request.user.is_staff
        and not StaffMembership.objects.filter(
            pk=staff.pk, role=StaffMembership.Role.ADMIN
        ).exists()
    )
    if gave_up:
        return redirect(organisation)
    return redirect("stories:manage_staff", organisation.slug)
