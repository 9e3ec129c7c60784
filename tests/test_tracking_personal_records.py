"""A member's conditions and tracked symptoms through the website, and the
catalogue entries a member may use."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.models import Delegation, User
from kinwell.communities.models import Community
from kinwell.tracking import checkins
from kinwell.tracking.models import (
    Condition,
    MemberCondition,
    Symptom,
    SymptomScore,
    TrackedSymptom,
    Treatment,
)
from tests import factories
from tests import tracking_factories as tf
from tests.helpers import assert_bounded_queries

ClientFor = Callable[[User], Client]

CONDITIONS = reverse("tracking:conditions")
SYMPTOMS = reverse("tracking:symptoms")
TRACK = reverse("tracking:track_symptoms")


def today() -> date:
    return timezone.localdate()


# What a member may use ------------------------------------------------------------


def test_a_member_sees_the_generic_set_and_their_communities_additions(
    member: User, community: Community, organiser: User
) -> None:
    other = factories.make_community(organiser, name="Another place")
    generic = tf.make_symptom("Generic ache")
    own = tf.make_symptom("Our ache", community=community)
    theirs = tf.make_symptom("Their ache", community=other)
    visible = set(checkins.visible_symptoms(member))
    assert {generic, own} <= visible
    assert theirs not in visible
    condition = tf.make_condition("Their condition", community=other)
    assert condition not in checkins.visible_catalogue(member, Condition)
    treatment = tf.make_treatment("Their treatment", community=other)
    assert treatment not in checkins.visible_catalogue(member, Treatment)
    ours = tf.make_treatment("Our treatment", community=community)
    assert ours in checkins.visible_catalogue(member, Treatment)


def test_another_communitys_symptom_cannot_be_tracked(
    member: User, organiser: User
) -> None:
    other = factories.make_community(organiser, name="Another place")
    theirs = tf.make_symptom("Their ache", community=other)
    with pytest.raises(ValidationError, match="from the list"):
        tf.track(member, theirs)
    assert not TrackedSymptom.objects.exists()


# Conditions ----------------------------------------------------------------------


def test_member_adds_a_condition_with_its_dates(
    client_for: ClientFor, member: User
) -> None:
    condition = tf.make_condition("Long COVID")
    response = client_for(member).post(
        CONDITIONS,
        {
            "condition": condition.pk,
            "onset_on": "2022-03-01",
            "diagnosed_on": "2022-09-15",
        },
        follow=True,
    )
    assert "Long COVID is on the list" in response.content.decode()
    record = MemberCondition.objects.get(user=member)
    assert record.onset_on == date(2022, 3, 1)
    assert record.diagnosed_on == date(2022, 9, 15)
    assert "15 September 2022" in response.content.decode()


def test_finding_a_condition_narrows_the_list_and_saves_nothing(
    client_for: ClientFor, member: User
) -> None:
    tf.make_condition("Long COVID")
    tf.make_condition("Asthma")
    response = client_for(member).post(
        CONDITIONS, {"find": "1", "q": "covid", "onset_on": "2022-03-01"}
    )
    page = response.content.decode()
    assert ">Long COVID</option>" in page
    assert ">Asthma</option>" not in page
    assert 'value="2022-03-01"' in page
    assert not MemberCondition.objects.exists()


def test_a_future_onset_is_a_form_error(client_for: ClientFor, member: User) -> None:
    condition = tf.make_condition()
    future = (today() + timedelta(days=3)).isoformat()
    response = client_for(member).post(
        CONDITIONS, {"condition": condition.pk, "onset_on": future}
    )
    assert response.status_code == 200
    assert "This date is in the future" in response.content.decode()
    assert not MemberCondition.objects.exists()


def test_a_condition_is_added_once(member: User) -> None:
    condition = tf.make_condition("Asthma")
    tf.add_condition(member, condition)
    with pytest.raises(ValidationError, match="already on the list"):
        tf.add_condition(member, condition)


def test_a_condition_added_twice_at_once_is_refused_not_an_error(
    monkeypatch: pytest.MonkeyPatch, member: User
) -> None:
    condition = tf.make_condition("Canary condition")
    cleaned = checkins._clean_condition_dates

    def then_the_other_submission_lands(*dates: date | None) -> dict[str, Any]:
        # The double submission wins between the check and the insert.
        MemberCondition.objects.create(user=member, condition=condition)
        return cleaned(*dates)

    monkeypatch.setattr(
        checkins, "_clean_condition_dates", then_the_other_submission_lands
    )
    with pytest.raises(ValidationError, match="already on the list"):
        tf.add_condition(member, condition)


def test_another_communitys_condition_is_not_offered(
    client_for: ClientFor, member: User, organiser: User
) -> None:
    other = factories.make_community(organiser, name="Another place")
    theirs = tf.make_condition("Their condition", community=other)
    response = client_for(member).post(CONDITIONS, {"condition": theirs.pk})
    assert "Choose a condition from the list" in response.content.decode()
    assert not MemberCondition.objects.exists()


def test_member_changes_the_dates_and_removes_a_condition(
    client_for: ClientFor, member: User
) -> None:
    record = tf.add_condition(member, tf.make_condition("Migraine"))
    client = client_for(member)
    edit = reverse("tracking:edit_condition", args=[record.pk])
    assert "The dates of Migraine" in client.get(edit).content.decode()
    client.post(edit, {"onset_on": "2010-05-01", "diagnosed_on": ""})
    record.refresh_from_db()
    assert (record.onset_on, record.diagnosed_on) == (date(2010, 5, 1), None)
    bad = client.post(edit, {"onset_on": "1850-01-01"})
    assert "from 1900 on" in bad.content.decode()
    client.post(reverse("tracking:remove_condition", args=[record.pk]))
    assert not MemberCondition.objects.exists()


def test_conditions_page_runs_a_bounded_number_of_queries(
    client_for: ClientFor, member: User
) -> None:
    client = client_for(member)

    def add_rows(count: int) -> None:
        for _ in range(count):
            tf.add_condition(member)

    assert_bounded_queries(lambda: client.get(CONDITIONS), add_rows, max_queries=14)


def test_a_carer_with_both_scopes_adds_a_condition_for_the_member(
    client_for: ClientFor, carer: User, member: User
) -> None:
    client = client_for(carer)
    delegation = Delegation.objects.get(carer=carer, member=member)
    client.post(reverse("accounts:start_acting", args=[delegation.pk]))
    condition = tf.make_condition("Asthma")
    client.post(CONDITIONS, {"condition": condition.pk})
    assert MemberCondition.objects.filter(user=member, condition=condition).exists()
    assert not MemberCondition.objects.filter(user=carer).exists()


def test_a_read_only_carer_sees_conditions_without_the_forms(
    client_for: ClientFor, member: User
) -> None:
    reader = factories.make_user("Rita Reader")
    delegation = factories.make_delegation(member, reader, [Delegation.Scope.READ])
    record = tf.add_condition(member, tf.make_condition("Asthma"))
    client = client_for(reader)
    client.post(reverse("accounts:start_acting", args=[delegation.pk]))
    page = client.get(CONDITIONS).content.decode()
    assert "Asthma" in page
    assert "Add a condition" not in page
    assert (
        client.post(CONDITIONS, {"condition": record.condition_id}).status_code == 403
    )
    remove = reverse("tracking:remove_condition", args=[record.pk])
    assert client.post(remove).status_code == 403
    assert MemberCondition.objects.filter(pk=record.pk).exists()


# Tracked symptoms ------------------------------------------------------------------


def test_member_tracks_and_stops_symptoms(client_for: ClientFor, member: User) -> None:
    fatigue, cough = tf.make_symptom("Fatigue"), tf.make_symptom("Cough")
    client = client_for(member)
    response = client.post(TRACK, {"symptoms": [fatigue.pk, cough.pk]}, follow=True)
    assert "Now rated at each check-in: Cough, Fatigue" in response.content.decode()
    tracked = TrackedSymptom.objects.get(user=member, symptom=fatigue)
    tf.check_in(member, {fatigue: 2})
    client.post(reverse("tracking:stop_tracking", args=[tracked.pk]))
    tracked.refresh_from_db()
    assert tracked.stopped_on == today()
    assert SymptomScore.objects.filter(user=member, symptom=fatigue).exists()
    page = client.get(SYMPTOMS).content.decode()
    assert "Rated before" in page
    assert "Rate again" in page


def test_tracking_again_the_day_it_stopped_carries_on(member: User) -> None:
    fatigue = tf.make_symptom("Fatigue")
    tf.track(member, fatigue)
    tf.track(member, fatigue)
    tracked = TrackedSymptom.objects.get(user=member)
    checkins.stop_tracking(member, tracked=tracked)
    tf.track(member, fatigue)
    assert TrackedSymptom.objects.filter(user=member).count() == 1
    tracked.refresh_from_db()
    assert tracked.stopped_on is None


def test_a_symptom_tracked_twice_at_once_answers_with_the_first(
    monkeypatch: pytest.MonkeyPatch, member: User
) -> None:
    fatigue = tf.make_symptom("Canary fatigue")
    counted = checkins._open_count
    first: list[TrackedSymptom] = []

    def then_the_other_submission_lands(owner: User) -> int:
        # The double submission wins between the check and the insert.
        first.append(TrackedSymptom.objects.create(user=owner, symptom=fatigue))
        return counted(owner)

    monkeypatch.setattr(checkins, "_open_count", then_the_other_submission_lands)
    tracked = checkins.track_symptom(member, owner=member, symptom=fatigue)
    assert tracked == first[0]
    assert TrackedSymptom.objects.filter(user=member).count() == 1


def test_ticking_nothing_is_a_calm_error(client_for: ClientFor, member: User) -> None:
    response = client_for(member).post(TRACK, {"symptoms": []}, follow=True)
    assert "Tick at least one symptom" in response.content.decode()
    assert not TrackedSymptom.objects.exists()


def test_finding_a_symptom_is_posted_not_put_in_the_url(
    client_for: ClientFor, member: User
) -> None:
    cough = tf.make_symptom("Cough")
    client = client_for(member)
    page = client.post(SYMPTOMS, {"find": "1", "q": "cou"}).content.decode()
    assert f'value="{cough.pk}"' in page
    assert "?q=" not in page


def test_a_track_only_carer_may_choose_symptoms_from_the_check_in_page(
    client_for: ClientFor, member: User
) -> None:
    carer = factories.make_user("Tam Trackonly")
    delegation = factories.make_delegation(member, carer, [Delegation.Scope.TRACK])
    fatigue = tf.make_symptom("Fatigue")
    client = client_for(carer)
    client.post(reverse("accounts:start_acting", args=[delegation.pk]))
    response = client.post(TRACK, {"symptoms": [fatigue.pk], "next": "check_in"})
    assert response["Location"] == reverse("tracking:check_in")
    assert TrackedSymptom.objects.filter(user=member, symptom=fatigue).exists()
    assert client.get(SYMPTOMS).status_code == 403


def test_too_many_symptoms_are_refused(member: User) -> None:
    symptoms = [
        Symptom.objects.create(name=f"Many {n}") for n in range(checkins.MAX_TRACKED)
    ]
    checkins.track_symptoms(member, owner=member, symptoms=symptoms)
    with pytest.raises(ValidationError, match="up to"):
        tf.track(member, tf.make_symptom("One more"))
