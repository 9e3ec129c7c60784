"""Every change to the directory: organisations, their service trees and
their staff. Shared by the management pages, the API, the CSV import, the
demo data and the seeding.

A service's `path` lists the ids from the top of its tree down to itself
("/4/17/"), so a subtree is one `startswith`. It is written right after the
insert (the id is part of it) and rewritten for a whole subtree, in the same
transaction, when a node moves. Changes to an organisation's staff lock the
organisation's row first, so two admins demoting each other at once cannot
leave it without an admin."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.text import slugify

from kinwell.accounts.models import User
from kinwell.lib import audit
from kinwell.stories import access
from kinwell.stories.models import (
    Organisation,
    Service,
    StaffMembership,
    StoryService,
)

# Slugs that would shadow the directory's own pages (services/new/).
RESERVED_SLUGS = frozenset({"new"})
MAX_SLUG_LENGTH = 70
MAX_PATH_LENGTH = 255  # Service.path
LAST_ADMIN_MESSAGE = (
    "An organisation always needs an admin. Make someone else an admin first."
)


# Organisations ---------------------------------------------------------------


@transaction.atomic
def create_organisation(
    actor: User,
    *,
    name: str,
    code: str = "",
    location: str = "",
    description: str = "",
    admin_email: str = "",
    admin_job_title: str = "",
) -> Organisation:
    """A new organisation, made by an installation administrator; with its
    first admin when `admin_email` names an existing account."""
    if not access.can_create_organisation(actor):
        raise PermissionDenied
    organisation = insert_organisation(
        name=name, code=code, location=location, description=description
    )
    audit.record(actor, "organisation.create", organisation)
    if admin_email.strip():
        try:
            admin = _account(admin_email)
            _grant(
                actor, organisation, admin, StaffMembership.Role.ADMIN, admin_job_title
            )
        except ValidationError as error:
            # The form names these fields admin_email and admin_job_title.
            raise ValidationError(
                {f"admin_{field}": m for field, m in error.message_dict.items()}
            ) from None
    return organisation


@transaction.atomic
def insert_organisation(
    *, name: str, code: str = "", location: str = "", description: str = ""
) -> Organisation:
    """Writes a checked organisation with a free slug; no permission check
    and no audit record (callers do both: the services above, the import)."""
    organisation = Organisation(
        name=name.strip(),
        slug=free_slug(name),
        code=code.strip(),
        location=location.strip(),
        description=description.strip(),
    )
    _check_organisation(organisation)
    organisation.save()
    return organisation


@transaction.atomic
def update_organisation(
    actor: User,
    *,
    organisation: Organisation,
    name: str,
    code: str,
    location: str,
    description: str,
) -> Organisation:
    """Its admins change the organisation's details. The slug stays, so links
    to its pages keep working."""
    _require_manager(actor, organisation)
    organisation.name = name.strip()
    organisation.code = code.strip()
    organisation.location = location.strip()
    organisation.description = description.strip()
    _check_organisation(organisation)
    organisation.save(update_fields=["name", "code", "location", "description"])
    audit.record(actor, "organisation.update", organisation)
    return organisation


def free_slug(name: str) -> str:
    """A slug from `name` that no organisation has: "-2", "-3"… appended."""
    base = slugify(name)[: MAX_SLUG_LENGTH - 4].strip("-") or "organisation"
    slug, number = base, 1
    while slug in RESERVED_SLUGS or Organisation.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def _check_organisation(organisation: Organisation) -> None:
    if not organisation.name:
        raise ValidationError({"name": "Give the organisation a name."})
    if organisation.code and (
        Organisation.objects.filter(code__iexact=organisation.code)
        .exclude(pk=organisation.pk)
        .exists()
    ):
        raise ValidationError(
            {"code": f"Another organisation has the code {organisation.code}."}
        )
    organisation.full_clean(validate_constraints=False)


# Service trees ---------------------------------------------------------------


@transaction.atomic
def add_service(
    actor: User,
    *,
    organisation: Organisation,
    parent: Service | None,
    name: str,
    kind: str,
    code: str = "",
    location: str = "",
) -> Service:
    """A new node of the organisation's tree, under `parent` (or at the top)."""
    _require_manager(actor, organisation)
    service = insert_service(
        organisation=organisation,
        parent=parent,
        name=name,
        kind=kind,
        code=code,
        location=location,
    )
    audit.record(actor, "service.add", service)
    return service


@transaction.atomic
def insert_service(
    *,
    organisation: Organisation,
    parent: Service | None,
    name: str,
    kind: str,
    code: str = "",
    location: str = "",
) -> Service:
    """Writes a checked node and its path; no permission check and no audit
    record (callers do both: the services above, the import)."""
    service = Service(
        organisation=organisation,
        parent=parent,
        name=name.strip(),
        kind=kind,
        code=code.strip(),
        location=location.strip(),
        path="/",
    )
    _check_service(service)
    if len(_path_under(parent, 10**9)) > MAX_PATH_LENGTH:
        raise ValidationError({"parent": "The tree is too deep to add a node here."})
    service.save()
    service.path = _path_under(parent, service.pk)
    service.save(update_fields=["path"])
    return service


@transaction.atomic
def update_service(
    actor: User,
    *,
    service: Service,
    name: str,
    kind: str,
    code: str,
    location: str,
    parent: Service | None,
) -> Service:
    """Changes a node; a new `parent` moves it with everything below it."""
    _require_manager(actor, service.organisation)
    service = Service.objects.select_for_update().get(pk=service.pk)
    moved = parent != service.parent
    if moved:
        _check_move(service, parent)
    service.name = name.strip()
    service.kind = kind
    service.code = code.strip()
    service.location = location.strip()
    service.parent = parent
    _check_service(service)
    service.save(update_fields=["name", "kind", "code", "location", "parent"])
    if moved:
        _repath_subtree(service, _path_under(parent, service.pk))
    audit.record(actor, "service.move" if moved else "service.update", service)
    return service


@transaction.atomic
def remove_service(actor: User, *, service: Service) -> None:
    """Deletes a node with nothing below it and no stories about it."""
    _require_manager(actor, service.organisation)
    if Service.objects.filter(parent=service).exists():
        raise ValidationError(
            f"{service.name} has services below it. Move or remove them first."
        )
    if StoryService.objects.filter(service=service).exists():
        raise ValidationError(
            f"There are stories about {service.name}, so it stays in the "
            "directory. You can rename it instead."
        )
    audit.record(actor, "service.remove", service)
    service.delete()


def _check_service(service: Service) -> None:
    if not service.name:
        raise ValidationError({"name": "Give the service a name."})
    parent = service.parent
    if parent is not None and parent.organisation_id != service.organisation_id:
        raise ValidationError(
            {"parent": "Choose a place in this organisation's own tree."}
        )
    siblings = Service.objects.filter(
        organisation_id=service.organisation_id, parent=parent, name=service.name
    ).exclude(pk=service.pk)
    if siblings.exists():
        where = f"under {parent.name}" if parent else "at the top of the tree"
        raise ValidationError(
            {"name": f"There is already a {service.name} {where}. Choose another name."}
        )
    service.full_clean(exclude=["path"], validate_constraints=False)


def _check_move(service: Service, parent: Service | None) -> None:
    if parent is None:
        return
    if parent.organisation_id != service.organisation_id:
        raise ValidationError(
            {"parent": "A service cannot move to another organisation."}
        )
    if parent.path.startswith(service.path):
        raise ValidationError(
            {"parent": "A service cannot move under itself or anything below it."}
        )


def _path_under(parent: Service | None, pk: int) -> str:
    return f"{parent.path if parent else '/'}{pk}/"


def _repath_subtree(service: Service, new_path: str) -> None:
    """Rewrites the paths of `service` and everything below it in one UPDATE,
    after checking the deepest of them still fits."""
    old_path = service.path
    subtree = Service.objects.filter(path__startswith=old_path)
    longest = subtree.aggregate(longest=Max(Length("path")))["longest"] or 0
    if longest - len(old_path) + len(new_path) > MAX_PATH_LENGTH:
        raise ValidationError({"parent": "The tree would be too deep there."})
    subtree.update(path=Concat(Value(new_path), Substr("path", len(old_path) + 1)))
    service.path = new_path


# Staff -----------------------------------------------------------------------


@transaction.atomic
def add_staff(
    actor: User, *, organisation: Organisation, email: str, role: str, job_title: str
) -> StaffMembership:
    """Puts an existing account on the organisation's staff."""
    organisation = _locked(organisation)
    _require_manager(actor, organisation)
    user = _account(email)
    if StaffMembership.objects.filter(organisation=organisation, user=user).exists():
        raise ValidationError(
            {"email": "This person is already on the staff. Change their role instead."}
        )
    return _grant(actor, organisation, user, role, job_title)


@transaction.atomic
def change_staff(
    actor: User, *, staff: StaffMembership, role: str, job_title: str
) -> StaffMembership:
    """Changes someone's role or job title; the last admin stays an admin."""
    organisation = _locked(staff.organisation)
    _require_manager(actor, organisation)
    staff = StaffMembership.objects.get(pk=staff.pk)
    if staff.is_admin and role != StaffMembership.Role.ADMIN:
        _keep_an_admin(organisation)
    staff.role = role
    staff.job_title = job_title.strip()
    _check_staff(staff)
    staff.save(update_fields=["role", "job_title"])
    audit.record(actor, "staff.change", staff, subject=staff.user, reason=role)
    return staff


@transaction.atomic
def remove_staff(actor: User, *, staff: StaffMembership) -> None:
    """Takes someone off the staff; never the last admin."""
    organisation = _locked(staff.organisation)
    _require_manager(actor, organisation)
    staff = StaffMembership.objects.select_related("user").get(pk=staff.pk)
    if staff.is_admin:
        _keep_an_admin(organisation)
    audit.record(actor, "staff.remove", staff, subject=staff.user)
    staff.delete()


def _grant(
    actor: User, organisation: Organisation, user: User, role: str, job_title: str
) -> StaffMembership:
    staff = StaffMembership(
        organisation=organisation,
        user=user,
        role=role,
        job_title=job_title.strip(),
        granted_by=actor,
    )
    _check_staff(staff)
    staff.save()
    audit.record(actor, "staff.add", staff, subject=user, reason=role)
    return staff


def _check_staff(staff: StaffMembership) -> None:
    if staff.role not in StaffMembership.Role.values:
        raise ValidationError({"role": "Choose reader, responder or admin."})
    if not staff.job_title:
        raise ValidationError({"job_title": "Give their job title."})
    staff.full_clean(exclude=["user", "granted_by"], validate_constraints=False)


def _keep_an_admin(organisation: Organisation) -> None:
    admins = StaffMembership.objects.filter(
        organisation=organisation, role=StaffMembership.Role.ADMIN
    )
    if admins.count() < 2:
        raise ValidationError(LAST_ADMIN_MESSAGE)


def _account(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise ValidationError(
            {
                "email": "There is no account with this email address. Ask them "
                "to sign up first."
            }
        )
    return user


# Shared ----------------------------------------------------------------------


def _require_manager(actor: Any, organisation: Organisation) -> None:
    if not access.can_manage_organisation(actor, organisation):
        raise PermissionDenied


def _locked(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)
