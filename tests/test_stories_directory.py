"""The directory: organisations, their service trees and their staff, through
the services and through the management pages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from kinwell.accounts.models import AuditEvent, User
from kinwell.stories import directory
from kinwell.stories import services as story_services
from kinwell.stories.models import Organisation, Service, StaffMembership
from tests import factories
from tests.helpers import assert_bounded_queries

SITE, DEPARTMENT, SERVICE = "site", "department", "service"


@pytest.fixture
def organisation(administrator: User, service_staff: User) -> Organisation:
    """Leeds Teaching Hospitals, with service_staff as its admin."""
    return directory.create_organisation(
        administrator,
        name="Leeds Teaching Hospitals",
        code="RR8",
        location="Leeds",
        admin_email=service_staff.email,
        admin_job_title="Patient experience lead",
    )


@pytest.fixture
def other_admin(administrator: User) -> User:
    """The admin of another organisation."""
    user = factories.make_user("Oona Otheradmin")
    factories.give_totp(user)
    directory.create_organisation(
        administrator,
        name="Calder Hospice",
        admin_email=user.email,
        admin_job_title="Director of care",
    )
    return user


def _add(
    actor: User,
    organisation: Organisation,
    name: str,
    kind: str = SERVICE,
    parent: Service | None = None,
) -> Service:
    return directory.add_service(
        actor, organisation=organisation, parent=parent, name=name, kind=kind
    )


def _move(actor: User, service: Service, parent: Service | None) -> Service:
    return directory.update_service(
        actor,
        service=service,
        name=service.name,
        kind=service.kind,
        code=service.code,
        location=service.location,
        parent=parent,
    )


def _fresh(service: Service) -> Service:
    return Service.objects.get(pk=service.pk)


def _url(name: str, organisation: Organisation, *args: int) -> str:
    return reverse(f"stories:{name}", args=[organisation.slug, *args])


# Organisations -----------------------------------------------------------------


def test_an_organisation_starts_with_its_first_admin(organisation, service_staff):
    staff = StaffMembership.objects.get(organisation=organisation)
    assert staff.user == service_staff
    assert staff.role == StaffMembership.Role.ADMIN
    assert staff.job_title == "Patient experience lead"
    assert organisation.slug == "leeds-teaching-hospitals"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"organisation.create", "staff.add"} <= actions


def test_slugs_stay_unique(administrator):
    slugs = [
        directory.create_organisation(administrator, name=name).slug
        for name in ("Airedale", "Airedale", "Airedale", "New")
    ]
    assert slugs == ["airedale", "airedale-2", "airedale-3", "new-2"]


def test_only_installation_administrators_create_organisations(member, organisation):
    with pytest.raises(PermissionDenied):
        directory.create_organisation(member, name="Rogue Trust")


def test_the_first_admin_needs_an_account_and_nothing_is_half_made(administrator):
    with pytest.raises(ValidationError) as refused:
        directory.create_organisation(
            administrator,
            name="Wakefield",
            admin_email="nobody@example.org",
            admin_job_title="Lead",
        )
    assert "admin_email" in refused.value.message_dict
    assert not Organisation.objects.filter(name="Wakefield").exists()


def test_two_organisations_cannot_share_a_code(administrator, organisation):
    with pytest.raises(ValidationError) as refused:
        directory.create_organisation(administrator, name="Copy", code="rr8")
    assert refused.value.message_dict["code"] == [
        "Another organisation has the code rr8."
    ]


# Service trees -----------------------------------------------------------------


def test_paths_run_from_the_top_of_the_tree(service_staff, organisation):
    site = _add(service_staff, organisation, "St James's", SITE)
    ward = _add(service_staff, organisation, "Maternity", DEPARTMENT, site)
    clinic = _add(service_staff, organisation, "Antenatal clinic", SERVICE, ward)
    assert site.path == f"/{site.pk}/"
    assert ward.path == f"/{site.pk}/{ward.pk}/"
    assert _fresh(clinic).path == f"/{site.pk}/{ward.pk}/{clinic.pk}/"
    assert list(site.subtree().order_by("path")) == [site, ward, clinic]


def test_moving_a_node_repaths_its_whole_subtree(service_staff, organisation):
    first = _add(service_staff, organisation, "St James's", SITE)
    second = _add(service_staff, organisation, "Chapel Allerton", SITE)
    ward = _add(service_staff, organisation, "Maternity", DEPARTMENT, first)
    clinic = _add(service_staff, organisation, "Scans", SERVICE, ward)
    deeper = _add(service_staff, organisation, "Night scans", SERVICE, clinic)
    _move(service_staff, ward, second)
    assert _fresh(ward).path == f"/{second.pk}/{ward.pk}/"
    assert _fresh(deeper).path == f"/{second.pk}/{ward.pk}/{clinic.pk}/{deeper.pk}/"
    assert _fresh(first).path == f"/{first.pk}/"
    _move(service_staff, _fresh(ward), None)
    assert _fresh(deeper).path == f"/{ward.pk}/{clinic.pk}/{deeper.pk}/"
    assert AuditEvent.objects.filter(action="service.move").count() == 2


def test_a_node_cannot_move_under_itself(service_staff, organisation):
    site = _add(service_staff, organisation, "St James's", SITE)
    ward = _add(service_staff, organisation, "Maternity", DEPARTMENT, site)
    for target in (site, ward):
        with pytest.raises(ValidationError, match="under itself"):
            _move(service_staff, site, target)
    assert _fresh(ward).path == f"/{site.pk}/{ward.pk}/"


def test_a_node_cannot_move_to_another_organisation(
    service_staff, organisation, other_admin, administrator
):
    site = _add(service_staff, organisation, "St James's", SITE)
    hospice = Organisation.objects.get(name="Calder Hospice")
    elsewhere = _add(administrator, hospice, "Main house", SITE)
    with pytest.raises(ValidationError, match="another organisation"):
        _move(service_staff, site, elsewhere)
    with pytest.raises(ValidationError):
        _add(administrator, organisation, "Ward", DEPARTMENT, elsewhere)
    assert _fresh(site).parent is None


def test_names_are_unique_under_one_parent_only(service_staff, organisation):
    first = _add(service_staff, organisation, "St James's", SITE)
    second = _add(service_staff, organisation, "Chapel Allerton", SITE)
    _add(service_staff, organisation, "Outpatients", DEPARTMENT, first)
    _add(service_staff, organisation, "Outpatients", DEPARTMENT, second)
    with pytest.raises(ValidationError, match="already a Outpatients under"):
        _add(service_staff, organisation, "Outpatients", SERVICE, first)
    with pytest.raises(ValidationError, match="at the top of the tree"):
        _add(service_staff, organisation, "St James's", SITE)


def test_a_node_with_children_or_stories_stays(service_staff, organisation, member):
    site = _add(service_staff, organisation, "St James's", SITE)
    ward = _add(service_staff, organisation, "Maternity", DEPARTMENT, site)
    with pytest.raises(ValidationError, match="services below it"):
        directory.remove_service(service_staff, service=site)
    story_services.tell_story(
        member,
        services=[ward],
        title="Kind midwives",
        what_happened="They listened.",
        author_role="patient",
    )
    with pytest.raises(ValidationError, match="There are stories about"):
        directory.remove_service(service_staff, service=ward)
    assert Service.objects.count() == 2


def test_only_its_admins_change_a_tree(member, other_admin, organisation):
    for outsider in (member, other_admin):
        with pytest.raises(PermissionDenied):
            _add(outsider, organisation, "Rogue ward")
    assert not Service.objects.exists()


# Staff ---------------------------------------------------------------------------


def test_an_organisation_always_keeps_an_admin(service_staff, organisation, member):
    own = StaffMembership.objects.get(user=service_staff)
    with pytest.raises(ValidationError, match="always needs an admin"):
        directory.change_staff(service_staff, staff=own, role="reader", job_title="X")
    with pytest.raises(ValidationError, match="always needs an admin"):
        directory.remove_staff(service_staff, staff=own)
    second = directory.add_staff(
        service_staff,
        organisation=organisation,
        email=member.email,
        role="admin",
        job_title="Matron",
    )
    directory.change_staff(service_staff, staff=own, role="reader", job_title="Lead")
    with pytest.raises(ValidationError, match="always needs an admin"):
        directory.remove_staff(member, staff=second)
    assert StaffMembership.objects.get(pk=own.pk).role == "reader"


def test_staff_are_existing_accounts_added_once(service_staff, organisation, member):
    with pytest.raises(ValidationError, match="no account with this email"):
        directory.add_staff(
            service_staff,
            organisation=organisation,
            email="ghost@example.org",
            role="reader",
            job_title="Nurse",
        )
    directory.add_staff(
        service_staff,
        organisation=organisation,
        email=member.email.upper(),
        role="reader",
        job_title="Nurse",
    )
    with pytest.raises(ValidationError, match="already on the staff"):
        directory.add_staff(
            service_staff,
            organisation=organisation,
            email=member.email,
            role="responder",
            job_title="Nurse",
        )


# The management pages: who gets in ---------------------------------------------------


MANAGE_PAGES = ("manage", "manage_staff", "edit_organisation", "new_service")


@pytest.mark.parametrize("page", MANAGE_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(organisation, page):
    response = Client().get(_url(page, organisation))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", MANAGE_PAGES)
@pytest.mark.parametrize("who", ["member", "outsider", "other_admin"])
def test_people_who_do_not_run_it_get_403(request, client_for, organisation, page, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(_url(page, organisation)).status_code == 403


@pytest.mark.parametrize("who", ["member", "other_admin"])
def test_people_who_do_not_run_it_change_nothing(
    request, client_for, organisation, outsider, who
):
    client = client_for(request.getfixturevalue(who))
    response = client.post(
        _url("manage_staff", organisation),
        {"email": outsider.email, "role": "admin", "job_title": "Boss"},
    )
    assert response.status_code == 403
    staff = StaffMembership.objects.filter(organisation=organisation, user=outsider)
    assert not staff.exists()


@pytest.mark.parametrize("page", MANAGE_PAGES)
@pytest.mark.parametrize("who", ["service_staff", "administrator"])
def test_its_admins_and_installation_administrators_get_in(
    request, client_for, organisation, page, who
):
    client = client_for(request.getfixturevalue(who))
    assert client.get(_url(page, organisation)).status_code == 200


def test_an_admin_without_two_factor_is_sent_to_set_it_up(
    administrator, client_for, member
):
    organisation = directory.create_organisation(
        administrator,
        name="Airedale",
        admin_email=member.email,
        admin_job_title="Matron",
    )
    response = client_for(member).get(_url("manage", organisation))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_installation_administrators_add_organisations(administrator, client_for):
    client = client_for(administrator)
    response = client.post(
        reverse("stories:new_organisation"),
        {"name": "Airedale NHS", "code": "RCF", "location": "Keighley"},
    )
    organisation = Organisation.objects.get(code="RCF")
    assert response["Location"] == _url("manage", organisation)


def test_nobody_else_adds_organisations(client_for, member, service_staff):
    for user in (member, service_staff):
        client = client_for(user)
        assert client.get(reverse("stories:new_organisation")).status_code == 403
        response = client.post(reverse("stories:new_organisation"), {"name": "X"})
        assert response.status_code == 403
    response = Client().get(reverse("stories:new_organisation"))
    assert response["Location"].startswith("/accounts/login/")
    assert not Organisation.objects.exists()


def test_a_new_organisation_form_shows_what_is_wrong(administrator, client_for):
    response = client_for(administrator).post(
        reverse("stories:new_organisation"),
        {"name": "Airedale", "admin_email": "nobody@example.org"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["admin_job_title"] == ["Give the first admin's job title."]
    assert not Organisation.objects.exists()


# The management pages: the tree ------------------------------------------------------


def test_the_tree_page_shows_each_node_with_its_actions(
    service_staff, organisation, client_for
):
    site = _add(service_staff, organisation, "St James's", SITE)
    directory.add_service(
        service_staff,
        organisation=organisation,
        parent=site,
        name="Maternity",
        kind=DEPARTMENT,
        code="RR8M1",
        location="Gledhow wing",
    )
    page = client_for(service_staff).get(_url("manage", organisation)).content.decode()
    assert "St James&#x27;s" in page
    assert "(Department, code RR8M1, Gledhow wing)" in page
    assert page.index("St James") < page.index("Maternity")
    assert _url("edit_service", organisation, site.pk) in page
    assert f"{_url('new_service', organisation)}?parent={site.pk}" in page


def test_the_tree_page_runs_a_bounded_number_of_queries(
    service_staff, organisation, client_for
):
    client = client_for(service_staff)
    top = _add(service_staff, organisation, "St James's", SITE)
    made = iter(range(1000))

    def add_rows(count: int) -> None:
        for _ in range(count):
            number = next(made)
            ward = _add(service_staff, organisation, f"Ward {number}", DEPARTMENT, top)
            _add(service_staff, organisation, f"Bay {number}", SERVICE, ward)

    assert_bounded_queries(
        lambda: client.get(_url("manage", organisation)), add_rows, max_queries=12
    )


def test_admins_add_a_node_under_a_parent(service_staff, organisation, client_for):
    site = _add(service_staff, organisation, "St James's", SITE)
    client = client_for(service_staff)
    form_page = client.get(f"{_url('new_service', organisation)}?parent={site.pk}")
    assert form_page.context["form"].initial == {"parent": site.pk}
    response = client.post(
        _url("new_service", organisation),
        {"name": "Maternity", "kind": DEPARTMENT, "parent": site.pk, "code": "M1"},
    )
    assert response["Location"] == _url("manage", organisation)
    ward = Service.objects.get(name="Maternity")
    assert (ward.parent, ward.code, ward.path) == (site, "M1", f"/{site.pk}/{ward.pk}/")


def test_bad_input_shows_errors_and_changes_nothing(
    service_staff, organisation, client_for, other_admin, administrator
):
    elsewhere = _add(
        administrator, Organisation.objects.get(name="Calder Hospice"), "House", SITE
    )
    client = client_for(service_staff)
    response = client.post(
        _url("new_service", organisation),
        {"name": "", "kind": "castle", "parent": elsewhere.pk},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["name"] == ["Give the service a name."]
    assert set(errors) == {"name", "kind", "parent"}
    assert 'aria-describedby="id_name_error' in response.content.decode()
    assert Service.objects.filter(organisation=organisation).count() == 0


def test_admins_move_a_node_through_its_edit_page(
    service_staff, organisation, client_for
):
    first = _add(service_staff, organisation, "St James's", SITE)
    second = _add(service_staff, organisation, "Chapel Allerton", SITE)
    ward = _add(service_staff, organisation, "Maternity", DEPARTMENT, first)
    bay = _add(service_staff, organisation, "Bay 1", SERVICE, ward)
    client = client_for(service_staff)
    page = client.get(_url("edit_service", organisation, ward.pk))
    offered = [value for value, _ in page.context["form"].fields["parent"].choices]
    assert offered == ["", second.pk, first.pk]  # not itself nor Bay 1
    data = {"name": "Maternity unit", "kind": DEPARTMENT, "parent": second.pk}
    response = client.post(_url("edit_service", organisation, ward.pk), data)
    assert response["Location"] == _url("manage", organisation)
    assert _fresh(ward).name == "Maternity unit"
    assert _fresh(bay).path == f"/{second.pk}/{ward.pk}/{bay.pk}/"
    under_itself = {"name": "Maternity", "kind": DEPARTMENT, "parent": bay.pk}
    response = client.post(_url("edit_service", organisation, ward.pk), under_itself)
    assert response.context["form"].errors["parent"] == ["Choose a place in this tree."]
    assert _fresh(ward).parent == second


def test_deleting_asks_first_and_refuses_a_node_with_children(
    service_staff, organisation, client_for
):
    site = _add(service_staff, organisation, "St James's", SITE)
    ward = _add(service_staff, organisation, "Maternity", DEPARTMENT, site)
    client = client_for(service_staff)
    assert client.get(_url("delete_service", organisation, ward.pk)).status_code == 200
    assert Service.objects.filter(pk=ward.pk).exists()
    response = client.post(_url("delete_service", organisation, site.pk), follow=True)
    assert "has services below it" in response.content.decode()
    client.post(_url("delete_service", organisation, ward.pk))
    assert list(Service.objects.all()) == [site]


def test_a_node_of_another_organisation_is_not_found(
    service_staff, organisation, client_for, other_admin, administrator
):
    hospice = Organisation.objects.get(name="Calder Hospice")
    house = _add(administrator, hospice, "House", SITE)
    client = client_for(service_staff)
    assert client.get(_url("edit_service", organisation, house.pk)).status_code == 404
    response = client.post(_url("delete_service", organisation, house.pk))
    assert response.status_code == 404
    assert Service.objects.filter(pk=house.pk).exists()


def test_writes_need_the_csrf_token(service_staff, organisation):
    client = Client(enforce_csrf_checks=True)
    client.force_login(service_staff)
    response = client.post(
        _url("new_service", organisation), {"name": "Ward", "kind": SITE}
    )
    assert response.status_code == 403
    assert not Service.objects.exists()


def test_writes_are_rate_limited(service_staff, organisation, client_for, settings):
    settings.KINWELL_WRITES_PER_MINUTE = 2
    client = client_for(service_staff)
    answers = [
        client.post(
            _url("new_service", organisation), {"name": f"W{n}", "kind": SITE}
        ).status_code
        for n in range(3)
    ]
    assert answers == [302, 302, 429]
    assert Service.objects.count() == 2


# The management pages: staff ---------------------------------------------------------


def test_admins_add_staff_by_email(service_staff, organisation, client_for, member):
    client = client_for(service_staff)
    response = client.post(
        _url("manage_staff", organisation),
        {"email": member.email, "role": "responder", "job_title": "Ward manager"},
    )
    assert response["Location"] == _url("manage_staff", organisation)
    staff = StaffMembership.objects.get(user=member)
    assert (staff.role, staff.job_title, staff.granted_by) == (
        "responder",
        "Ward manager",
        service_staff,
    )
    page = client.get(_url("manage_staff", organisation)).content.decode()
    assert "Ward manager" in page
    assert "Responder" in page


def test_adding_an_unknown_email_shows_an_error(
    service_staff, organisation, client_for
):
    response = client_for(service_staff).post(
        _url("manage_staff", organisation),
        {"email": "ghost@example.org", "role": "reader", "job_title": "Nurse"},
    )
    assert response.status_code == 200
    assert "no account with this email" in response.context["form"].errors["email"][0]
    assert StaffMembership.objects.count() == 1


def test_the_staff_page_runs_a_bounded_number_of_queries(
    service_staff, organisation, client_for
):
    client = client_for(service_staff)

    def add_rows(count: int) -> None:
        for _ in range(count):
            person = factories.make_user()
            directory.add_staff(
                service_staff,
                organisation=organisation,
                email=person.email,
                role="reader",
                job_title="Nurse",
            )

    assert_bounded_queries(
        lambda: client.get(_url("manage_staff", organisation)),
        add_rows,
        max_queries=12,
    )


def test_admins_change_and_remove_staff(
    service_staff, organisation, client_for, member
):
    staff = directory.add_staff(
        service_staff,
        organisation=organisation,
        email=member.email,
        role="reader",
        job_title="Nurse",
    )
    client = client_for(service_staff)
    response = client.post(
        _url("edit_staff", organisation, staff.pk),
        {"role": "responder", "job_title": "Senior nurse"},
    )
    assert response["Location"] == _url("manage_staff", organisation)
    staff.refresh_from_db()
    assert (staff.role, staff.job_title) == ("responder", "Senior nurse")
    assert client.get(_url("remove_staff", organisation, staff.pk)).status_code == 200
    assert StaffMembership.objects.filter(pk=staff.pk).exists()
    client.post(_url("remove_staff", organisation, staff.pk))
    assert not StaffMembership.objects.filter(pk=staff.pk).exists()
    assert AuditEvent.objects.filter(action="staff.remove", subject=member).exists()


def test_the_last_admin_cannot_step_down_through_the_pages(
    service_staff, organisation, client_for
):
    own = StaffMembership.objects.get(user=service_staff)
    client = client_for(service_staff)
    response = client.post(
        _url("edit_staff", organisation, own.pk),
        {"role": "reader", "job_title": "Lead"},
    )
    assert response.status_code == 200
    assert "always needs an admin" in str(response.context["form"].non_field_errors())
    response = client.post(_url("remove_staff", organisation, own.pk), follow=True)
    assert "always needs an admin" in response.content.decode()
    assert StaffMembership.objects.get(pk=own.pk).role == "admin"


def test_an_admin_who_steps_down_goes_to_the_public_page(
    service_staff, organisation, client_for, clinician
):
    directory.add_staff(
        service_staff,
        organisation=organisation,
        email=clinician.email,
        role="admin",
        job_title="Matron",
    )
    own = StaffMembership.objects.get(user=service_staff)
    response = client_for(service_staff).post(
        _url("edit_staff", organisation, own.pk),
        {"role": "reader", "job_title": "Lead"},
    )
    assert response["Location"] == organisation.get_absolute_url()


def test_staff_of_another_organisation_are_not_found(
    service_staff, organisation, client_for, other_admin
):
    theirs = StaffMembership.objects.get(user=other_admin)
    client = client_for(service_staff)
    assert client.get(_url("edit_staff", organisation, theirs.pk)).status_code == 404
    response = client.post(_url("remove_staff", organisation, theirs.pk))
    assert response.status_code == 404
    assert StaffMembership.objects.filter(pk=theirs.pk).exists()


def test_installation_administrators_manage_any_staff(
    administrator, organisation, client_for, member
):
    response = client_for(administrator).post(
        _url("manage_staff", organisation),
        {"email": member.email, "role": "admin", "job_title": "Matron"},
    )
    assert response.status_code == 302
    assert StaffMembership.objects.get(user=member).is_admin


def test_the_organisation_details_are_saved(service_staff, organisation, client_for):
    response = client_for(service_staff).post(
        _url("edit_organisation", organisation),
        {"name": "Leeds Hospitals", "code": "RR8", "location": "West Yorkshire"},
    )
    assert response["Location"] == _url("manage", organisation)
    organisation.refresh_from_db()
    assert (organisation.name, organisation.location, organisation.slug) == (
        "Leeds Hospitals",
        "West Yorkshire",
        "leeds-teaching-hospitals",
    )
