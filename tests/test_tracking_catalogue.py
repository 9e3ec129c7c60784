"""The catalogue: the generic set loaded by its migration, a community's
catalogue page, organisers' own entries (web and API), and what nobody
else may do or see."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.models import AuditEvent, User
from kinwell.communities.models import Community
from kinwell.tracking import catalogue, checkins, generic_catalogue, treatments
from kinwell.tracking.models import (
    Condition,
    MemberCondition,
    Symptom,
    SymptomScore,
    TrackedSymptom,
    Treatment,
    TreatmentCourse,
)
from tests import factories
from tests import tracking_factories as tf
from tests.helpers import assert_bounded_queries, assert_error, send

ClientFor = Callable[[User], Client]


def catalogue_url(community: Community) -> str:
    return reverse("tracking:catalogue", args=[community.slug])


def add_url(community: Community, kind: str) -> str:
    return reverse("tracking:add_entry", args=[community.slug, kind])


def edit_url(community: Community, kind: str, entry: Any) -> str:
    return reverse("tracking:edit_entry", args=[community.slug, kind, entry.pk])


def delete_url(community: Community, kind: str, entry: Any) -> str:
    return reverse("tracking:delete_entry", args=[community.slug, kind, entry.pk])


def add_symptom(organiser: User, community: Community, name: str) -> Any:
    return catalogue.add_entry(
        organiser, community=community, kind="symptoms", name=name
    )


@pytest.fixture
def other_community(db: None) -> Community:
    other_organiser = factories.make_user("Ola Otherorganiser")
    factories.give_totp(other_organiser)
    return factories.make_community(other_organiser, name="Other Place")


# The generic set --------------------------------------------------------------------


def test_the_generic_set_is_loaded_with_plain_names_and_well_formed_codes(
    db: None,
) -> None:
    assert Condition.objects.generic().count() >= 12
    assert Symptom.objects.generic().count() >= 30
    assert Treatment.objects.generic().count() >= 25
    kinds = set(Treatment.objects.generic().values_list("kind", flat=True))
    assert kinds == set(Treatment.Kind.values)
    for kind, model in catalogue.KINDS.items():
        names = [
            name.casefold() for name in model.objects.values_list("name", flat=True)
        ]
        assert len(names) == len(set(names))
        for entry in model.objects.generic():
            for field in catalogue.code_fields(kind):
                code = getattr(entry, field)
                pattern, _ = catalogue.CODE_PATTERNS[field]
                assert not code or pattern.fullmatch(code), (entry.name, code)
    assert Condition.objects.get(name="Asthma").icd10_code == "J45"
    assert Treatment.objects.get(name="Paracetamol").atc_code == "N02BE01"


def test_loading_the_generic_set_again_adds_nothing_and_restores_entries(
    db: None,
) -> None:
    counts = [model.objects.count() for model in catalogue.KINDS.values()]
    fatigue = Symptom.objects.get(name="Fatigue", community__isnull=True)
    fatigue.icd10_code = ""
    fatigue.save(update_fields=["icd10_code"])
    created = generic_catalogue.load(lambda name: apps.get_model("tracking", name))
    assert created == 0
    assert [model.objects.count() for model in catalogue.KINDS.values()] == counts
    fatigue.refresh_from_db()
    assert fatigue.icd10_code == "R53"


# The catalogue page ---------------------------------------------------------------


def test_members_see_the_generic_set_and_their_communitys_own_only(
    client_for: ClientFor,
    member: User,
    organiser: User,
    community: Community,
    other_community: Community,
) -> None:
    add_symptom(organiser, community, "Canary own symptom")
    other = other_community.memberships.get().user
    add_symptom(other, other_community, "Canary other symptom")
    response = client_for(member).get(catalogue_url(community))
    assert response.status_code == 200
    assert b"Canary own symptom" in response.content
    assert b"Fatigue" in response.content
    assert b"Canary other symptom" not in response.content
    assert b"Add a symptom" not in response.content


def test_visitors_read_a_public_communitys_catalogue(
    visitor_client: Client, community: Community
) -> None:
    response = visitor_client.get(catalogue_url(community))
    assert response.status_code == 200
    assert b"Paracetamol" in response.content


def test_a_hidden_communitys_catalogue_does_not_exist_for_outsiders(
    client_for: ClientFor,
    outsider: User,
    member: User,
    visitor_client: Client,
    hidden_community: Community,
) -> None:
    assert client_for(outsider).get(catalogue_url(hidden_community)).status_code == 404
    assert visitor_client.get(catalogue_url(hidden_community)).status_code == 404
    assert client_for(member).get(catalogue_url(hidden_community)).status_code == 200


def test_a_members_only_communitys_catalogue_is_for_its_members(
    client_for: ClientFor, organiser: User, outsider: User
) -> None:
    listed = factories.make_community(organiser, visibility="listed")
    assert client_for(outsider).get(catalogue_url(listed)).status_code == 403


def test_the_catalogue_page_takes_a_bounded_number_of_queries(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    client = client_for(organiser)
    made = iter(range(1000))

    def add_rows(count: int) -> None:
        for _ in range(count):
            add_symptom(organiser, community, f"Symptom {next(made)}")

    assert_bounded_queries(
        lambda: client.get(catalogue_url(community)), add_rows, max_queries=12
    )


# Organisers' own entries, on the website ------------------------------------------


def test_an_organiser_adds_changes_and_deletes_their_communitys_entry(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    client = client_for(organiser)
    response = client.post(
        add_url(community, "treatments"),
        {"name": "Canary pacing app", "treatment_kind": "device", "atc_code": ""},
    )
    assert response.status_code == 302
    entry = Treatment.objects.get(name="Canary pacing app")
    assert (entry.community, entry.kind, entry.added_by) == (
        community,
        "device",
        organiser,
    )
    assert AuditEvent.objects.filter(action="catalogue.add").exists()
    response = client.post(
        edit_url(community, "treatments", entry),
        {
            "name": "Canary pacing watch",  # not a field any more: ignored
            "description": "Counts steps",
            "treatment_kind": "device",
            "snomed_code": "",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.name, entry.description) == ("Canary pacing app", "Counts steps")
    page = client_for(organiser).get(catalogue_url(community))
    assert edit_url(community, "treatments", entry).encode() in page.content
    response = client.post(delete_url(community, "treatments", entry))
    assert response.status_code == 302
    assert not Treatment.objects.filter(pk=entry.pk).exists()


def test_names_are_unique_without_regard_to_case_among_generic_and_own(
    client_for: ClientFor,
    organiser: User,
    community: Community,
    other_community: Community,
) -> None:
    client = client_for(organiser)
    response = client.post(add_url(community, "symptoms"), {"name": "fatigue"})
    assert response.status_code == 200
    assert b"is already in the catalogue" in response.content
    add_symptom(organiser, community, "Canary twitch")
    with pytest.raises(ValidationError):
        add_symptom(organiser, community, "CANARY TWITCH")
    other = other_community.memberships.get().user
    add_symptom(other, other_community, "Canary twitch")  # another community's own
    assert Symptom.objects.filter(name__iexact="canary twitch").count() == 2


def test_codes_are_checked_for_their_shape_and_kept_upper_case(
    organiser: User, community: Community
) -> None:
    with pytest.raises(ValidationError) as caught:
        catalogue.add_entry(
            organiser,
            community=community,
            kind="conditions",
            name="Canary syndrome",
            icd10_code="not a code",
        )
    assert "icd10_code" in caught.value.message_dict
    entry = catalogue.add_entry(
        organiser,
        community=community,
        kind="treatments",
        name="Canary tablets",
        treatment_kind="medicine",
        atc_code="n02be01",
    )
    assert isinstance(entry, Treatment)
    assert entry.atc_code == "N02BE01"
    with pytest.raises(ValidationError):
        catalogue.add_entry(
            organiser,
            community=community,
            kind="symptoms",
            name="Canary ache",
            atc_code="N02BE01",
        )


def test_generic_entries_are_read_only(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    fatigue = Symptom.objects.get(name="Fatigue", community__isnull=True)
    client = client_for(organiser)
    assert client.get(edit_url(community, "symptoms", fatigue)).status_code == 404
    assert client.post(delete_url(community, "symptoms", fatigue)).status_code == 404
    with pytest.raises(PermissionDenied):
        catalogue.update_entry(organiser, entry=fatigue, name="Tiredness")
    with pytest.raises(PermissionDenied):
        catalogue.remove_entry(organiser, entry=fatigue)
    assert Symptom.objects.filter(name="Fatigue").exists()


def test_another_communitys_entries_are_out_of_reach(
    client_for: ClientFor,
    organiser: User,
    community: Community,
    other_community: Community,
) -> None:
    other = other_community.memberships.get().user
    theirs = add_symptom(other, other_community, "Canary theirs")
    client = client_for(organiser)
    assert client.get(edit_url(community, "symptoms", theirs)).status_code == 404
    assert client.post(delete_url(community, "symptoms", theirs)).status_code == 404
    with pytest.raises(PermissionDenied):
        catalogue.update_entry(organiser, entry=theirs, name="Mine now")


# What differs from one page to the next whatever it shows.
EVERY_TIME = re.compile(
    rb'(name="csrfmiddlewaretoken" value="|nonce="|"X-CSRFToken": ")[^"]*"'
)


def _removal_as_organisers_see_it(
    client: Client, community: Community, entry: Any
) -> tuple[bytes, int, list[str], int, bool]:
    """What an organiser sees of removing `entry`, with its name and id
    taken out so that two entries can be compared."""
    form = client.get(edit_url(community, "symptoms", entry)).content
    form = EVERY_TIME.sub(rb"\1", form).replace(entry.name.encode(), b"NAME")
    form = form.replace(edit_url(community, "symptoms", entry).encode(), b"URL")
    response = client.post(delete_url(community, "symptoms", entry), follow=True)
    said = [
        str(message).replace(entry.name, "NAME")
        for message in response.context["messages"]
    ]
    after = client.get(edit_url(community, "symptoms", entry)).status_code
    listed = entry.name.encode() in client.get(catalogue_url(community)).content
    return form, response.status_code, said, after, listed


def test_removing_looks_the_same_whether_or_not_anyone_records_the_entry(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    used = add_symptom(organiser, community, "Canary tingle")
    unused = add_symptom(organiser, community, "Canary prickle")
    # A member who does not consent to being counted records it.
    TrackedSymptom.objects.create(user=member, symptom=used)
    client = client_for(organiser)
    seen_used = _removal_as_organisers_see_it(client, community, used)
    seen_unused = _removal_as_organisers_see_it(client, community, unused)
    assert seen_used == seen_unused
    _, status, said, after, listed = seen_used
    assert (status, said, after, listed) == (
        200,
        ["\u201cNAME\u201d is removed from the catalogue."],
        404,
        False,
    )
    # Behind the scenes: kept for the member's records, or deleted.
    used.refresh_from_db()
    assert used.retired_at is not None
    assert TrackedSymptom.objects.filter(user=member, symptom=used).exists()
    assert not Symptom.objects.filter(pk=unused.pk).exists()
    actions = AuditEvent.objects.filter(action__startswith="catalogue.remove")
    assert {event.action for event in actions} == {"catalogue.remove"}


def test_a_removed_entry_is_offered_for_no_new_record(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    symptom = add_symptom(organiser, community, "Canary tingle")
    condition = catalogue.add_entry(
        organiser, community=community, kind="conditions", name="Canary condition"
    )
    treatment = catalogue.add_entry(
        organiser,
        community=community,
        kind="treatments",
        name="Canary tablets",
        treatment_kind="medicine",
    )
    checkins.track_symptom(member, owner=member, symptom=symptom)
    assert isinstance(condition, Condition)
    assert isinstance(treatment, Treatment)
    MemberCondition.objects.create(user=member, condition=condition)
    TreatmentCourse.objects.create(
        user=member, treatment=treatment, started_on=timezone.localdate()
    )
    for entry in (symptom, condition, treatment):
        catalogue.remove_entry(organiser, entry=entry)
        assert type(entry).objects.get(pk=entry.pk).retired_at is not None
    for model, entry in ((Symptom, symptom), (Condition, condition)):
        assert entry not in checkins.visible_catalogue(member, model)
    assert treatment not in checkins.visible_catalogue(member, Treatment)
    for kind in ("symptoms", "conditions", "treatments"):
        listed = send(client_for(member), "get", f"/me/tracking/catalogue/{kind}")
        assert "Canary" not in listed.content.decode()
        public = send(client_for(member), "get", api_path(community, kind))
        assert "Canary" not in public.content.decode()
    other = factories.make_user("Otto Other")
    community.memberships.create(user=other)
    with pytest.raises(ValidationError):
        checkins.add_condition(other, owner=other, condition=condition)
    with pytest.raises(ValidationError):
        checkins.track_symptom(other, owner=other, symptom=symptom)
    with pytest.raises(ValidationError):
        treatments.start_course(
            other, owner=other, treatment=treatment, started_on=timezone.localdate()
        )
    # What the member already records goes on: they rate the symptom still.
    tf.check_in(member, {symptom: 2}, day=timezone.localdate())
    assert SymptomScore.objects.filter(user=member, symptom=symptom).exists()
    assert (
        b"Canary tingle" in client_for(member).get(reverse("tracking:symptoms")).content
    )


def test_a_removed_entrys_name_may_be_taken_again(
    organiser: User, member: User, community: Community
) -> None:
    old = add_symptom(organiser, community, "Canary twinge")
    TrackedSymptom.objects.create(user=member, symptom=old)
    catalogue.remove_entry(organiser, entry=old)
    new = add_symptom(organiser, community, "canary TWINGE")
    assert new.pk != old.pk
    assert list(catalogue.entries_for(community, "symptoms").filter(pk=old.pk)) == []
    with pytest.raises(ValidationError):
        add_symptom(organiser, community, "Canary twinge")
    with pytest.raises(ValidationError):
        catalogue.update_entry(organiser, entry=old, description="Back again")


def test_names_cannot_be_changed(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    entry = add_symptom(organiser, community, "Canary flicker")
    with pytest.raises(ValidationError) as caught:
        catalogue.update_entry(organiser, entry=entry, name="Canary flutter")
    assert "name" in caught.value.message_dict
    catalogue.update_entry(organiser, entry=entry, name=" Canary  flicker ")
    page = client_for(organiser).get(edit_url(community, "symptoms", entry))
    assert b'name="name"' not in page.content
    path = f"{api_path(community, 'symptoms')}/{entry.pk}"
    client = client_for(organiser)
    assert_error(send(client, "patch", path, {"name": "Other"}), 400, "invalid")
    same = send(client, "patch", path, {"name": "Canary flicker", "description": "D"})
    assert same.status_code == 200
    entry.refresh_from_db()
    assert (entry.name, entry.description) == ("Canary flicker", "D")


def test_a_double_submitted_entry_is_refused_not_an_error(
    monkeypatch: pytest.MonkeyPatch, organiser: User, community: Community
) -> None:
    checked = catalogue._clean_name

    def then_someone_else_adds_it(kind: str, place: Community, name: str) -> str:
        found = checked(kind, place, name)
        # The other submission wins the race between the check and the insert.
        Symptom.objects.create(community=place, name=found)
        return found

    monkeypatch.setattr(catalogue, "_clean_name", then_someone_else_adds_it)
    with pytest.raises(ValidationError) as caught:
        add_symptom(organiser, community, "Canary double")
    assert "already in the catalogue" in str(caught.value)
    # Refused, not broken: the transaction goes on (the competing row was
    # this test's own, so it went back with the refused addition).
    assert not Symptom.objects.filter(name="Canary double").exists()


@pytest.mark.parametrize("persona", ["member", "moderator", "outsider"])
def test_only_organisers_change_the_catalogue(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    organiser: User,
    community: Community,
    persona: str,
) -> None:
    own = add_symptom(organiser, community, "Canary flutter")
    client = client_for(request.getfixturevalue(persona))
    assert client.get(add_url(community, "symptoms")).status_code == 403
    response = client.post(add_url(community, "symptoms"), {"name": "Canary new"})
    assert response.status_code == 403
    assert client.post(delete_url(community, "symptoms", own)).status_code == 403
    assert not Symptom.objects.filter(name="Canary new").exists()
    with pytest.raises(PermissionDenied):
        add_symptom(request.getfixturevalue(persona), community, "Canary service")


def test_organisers_without_two_factor_are_sent_to_set_it_up(
    client_for: ClientFor, community: Community
) -> None:
    plain = factories.make_user("Pat Plainorganiser")
    community.memberships.create(user=plain, role="organiser")
    response = client_for(plain).get(add_url(community, "conditions"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_bad_input_shows_errors_and_saves_nothing(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    before = Treatment.objects.count()
    response = client_for(organiser).post(
        add_url(community, "treatments"), {"name": "", "treatment_kind": "potion"}
    )
    assert response.status_code == 200
    assert b"Give it a name." in response.content
    assert Treatment.objects.count() == before


def test_an_unknown_kind_is_not_a_page(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    response = client_for(organiser).get(f"/c/{community.slug}/catalogue/potions/new/")
    assert response.status_code == 404


# The API ----------------------------------------------------------------------------


def api_path(community: Community, kind: str) -> str:
    return f"/communities/{community.slug}/catalogue/{kind}"


def test_api_lists_generic_and_own_entries_paged(
    visitor_client: Client,
    organiser: User,
    community: Community,
    other_community: Community,
) -> None:
    add_symptom(organiser, community, "Canary own symptom")
    other = other_community.memberships.get().user
    add_symptom(other, other_community, "Canary other symptom")
    response = send(
        visitor_client, "get", api_path(community, "symptoms") + "?limit=100"
    )
    assert response.status_code == 200
    body = response.json()
    names = {item["name"]: item for item in body["items"]}
    assert body["count"] == Symptom.objects.for_community(community).count()
    assert names["Canary own symptom"]["community"] == community.slug
    assert names["Fatigue"]["community"] is None
    assert names["Fatigue"]["icd10_code"] == "R53"
    assert "Canary other symptom" not in names
    assert_error(
        send(visitor_client, "get", api_path(community, "potions")), 422, "invalid"
    )


def test_api_hides_a_hidden_communitys_catalogue(
    client_for: ClientFor, outsider: User, member: User, hidden_community: Community
) -> None:
    path = api_path(hidden_community, "conditions")
    assert_error(send(client_for(outsider), "get", path), 404, "not_found")
    assert send(client_for(member), "get", path).status_code == 200


def test_api_organisers_add_change_and_delete_own_entries(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    client = client_for(organiser)
    path = api_path(community, "treatments")
    created = send(
        client,
        "post",
        path,
        {"name": "Canary brace", "treatment_kind": "device", "snomed_code": ""},
    )
    assert created.status_code == 201, created.content
    entry = created.json()
    assert (entry["community"], entry["kind"]) == (community.slug, "device")
    changed = send(
        client, "patch", f"{path}/{entry['id']}", {"description": "Worn at night"}
    )
    assert changed.status_code == 200
    assert changed.json()["description"] == "Worn at night"
    assert changed.json()["name"] == "Canary brace"
    assert_error(
        send(
            client, "post", path, {"name": "canary BRACE", "treatment_kind": "device"}
        ),
        400,
        "invalid",
    )
    assert_error(send(client, "post", path, {"name": "Canary pill"}), 400, "invalid")
    assert_error(
        send(
            client_for(member), "post", path, {"name": "X", "treatment_kind": "device"}
        ),
        403,
        "forbidden",
    )
    assert send(client, "delete", f"{path}/{entry['id']}").status_code == 204
    assert not Treatment.objects.filter(pk=entry["id"]).exists()


def test_api_generic_and_other_communities_entries_are_not_found_for_changes(
    client_for: ClientFor,
    organiser: User,
    community: Community,
    other_community: Community,
) -> None:
    client = client_for(organiser)
    fatigue = Symptom.objects.get(name="Fatigue", community__isnull=True)
    other = other_community.memberships.get().user
    theirs = add_symptom(other, other_community, "Canary theirs")
    for entry in (fatigue, theirs):
        path = f"{api_path(community, 'symptoms')}/{entry.pk}"
        assert_error(send(client, "patch", path, {"name": "Mine"}), 404, "not_found")
        assert_error(send(client, "delete", path), 404, "not_found")
    assert_error(
        send(
            client,
            "post",
            api_path(community, "symptoms"),
            {"name": "Canary", "atc_code": "N02BE01"},
        ),
        400,
        "invalid",
    )


def test_api_removes_an_entry_in_use_like_any_other(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    own = add_symptom(organiser, community, "Canary in use")
    TrackedSymptom.objects.create(user=member, symptom=own)
    client = client_for(organiser)
    path = f"{api_path(community, 'symptoms')}/{own.pk}"
    removed = send(client, "delete", path)
    assert (removed.status_code, removed.content) == (204, b"")
    assert_error(send(client, "delete", path), 404, "not_found")
    assert_error(send(client, "patch", path, {"description": "X"}), 404, "not_found")
    listed = send(client, "get", api_path(community, "symptoms") + "?limit=100")
    assert own.pk not in {item["id"] for item in listed.json()["items"]}
    assert TrackedSymptom.objects.filter(user=member, symptom=own).exists()


def test_api_list_takes_a_bounded_number_of_queries(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    client = client_for(organiser)
    made = iter(range(1000))

    def add_rows(count: int) -> None:
        for _ in range(count):
            add_symptom(organiser, community, f"Symptom {next(made)}")

    assert_bounded_queries(
        lambda: send(client, "get", api_path(community, "symptoms") + "?limit=100"),
        add_rows,
        max_queries=10,
    )
