"""Personal tracking through the website: the daily check-in, its history,
the tracking home, conditions and tracked symptoms, for a member, a carer
acting for them (with and without each scope) and everyone else."""

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.models import AuditEvent, Delegation, User
from kinwell.tracking import checkins
from kinwell.tracking.models import CheckIn, Symptom, SymptomScore, TrackedSymptom
from tests import factories
from tests import tracking_factories as tf
from tests.helpers import assert_bounded_queries

ClientFor = Callable[[User], Client]

CHECK_IN = reverse("tracking:check_in")
HOME = reverse("tracking:home")
HISTORY = reverse("tracking:check_ins")
CANARY_NOTE = "Canary note nobody else may read"


def today() -> date:
    return timezone.localdate()


def field(symptom: Symptom) -> str:
    return f"symptom_{symptom.pk}"


@pytest.fixture
def fatigue(db: None) -> object:
    return tf.make_symptom("Fatigue")


@pytest.fixture
def headache(db: None) -> object:
    return tf.make_symptom("Headache")


@pytest.fixture
def tracking_member(member: User, fatigue: Symptom, headache: Symptom) -> User:
    tf.track(member, fatigue, headache)
    return member


def acting_client(client_for: ClientFor, carer: User, member: User) -> Client:
    client = client_for(carer)
    delegation = Delegation.objects.get(carer=carer, member=member)
    response = client.post(reverse("accounts:start_acting", args=[delegation.pk]))
    assert response.status_code == 302
    return client


def carer_with(member: User, scopes: list[str]) -> User:
    carer = factories.make_user("Tam Trackonly")
    factories.make_delegation(member, carer, scopes)
    return carer


# Checking in ------------------------------------------------------------------------


def test_check_in_page_has_a_scale_per_symptom_and_mood(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    page = client_for(tracking_member).get(CHECK_IN).content.decode()
    assert page.count('<fieldset class="scale"') == 3
    assert "<legend>Fatigue</legend>" in page
    assert "<legend>Mood</legend>" in page
    for label in ("None (0)", "Mild (1)", "Moderate (2)", "Severe (3)"):
        assert label in page
    assert "Very severe (4)" in page
    assert "<details" in page
    assert "Add a note" in page
    assert page.count('type="submit" class="check-in-save"') == 1


def test_member_checks_in_and_sees_a_calm_confirmation(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom, headache: Symptom
) -> None:
    client = client_for(tracking_member)
    data = {
        "day": today().isoformat(),
        field(fatigue): "3",
        field(headache): "1",
        "mood": "2",
        "note": "  A slow day.  ",
    }
    response = client.post(CHECK_IN, data, follow=True)
    assert response.redirect_chain[-1][0] == HOME
    assert "Your check-in for today is saved" in response.content.decode()
    saved = CheckIn.objects.get(user=tracking_member, day=today())
    assert (saved.mood, saved.note, saved.recorded_by) == (
        2,
        "A slow day.",
        tracking_member,
    )
    assert dict(saved.scores.values_list("symptom__name", "severity")) == {
        "Fatigue": 3,
        "Headache": 1,
    }
    assert "Checked in today" in response.content.decode()


def test_checking_in_again_the_same_day_replaces_it(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom, headache: Symptom
) -> None:
    client = client_for(tracking_member)
    first = {"day": today().isoformat(), field(fatigue): "3", field(headache): "2"}
    client.post(CHECK_IN, {**first, "mood": "1"})
    client.post(CHECK_IN, {"day": today().isoformat(), field(fatigue): "1", "mood": ""})
    saved = CheckIn.objects.get(user=tracking_member)
    assert saved.mood is None
    assert list(saved.scores.values_list("symptom_id", "severity")) == [(fatigue.pk, 1)]
    assert SymptomScore.objects.filter(user=tracking_member).count() == 1


def test_the_page_is_prefilled_with_the_days_check_in(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    tf.check_in(tracking_member, {fatigue: 3}, days_ago=2, mood=4, note=CANARY_NOTE)
    day = (today() - timedelta(days=2)).isoformat()
    page = client_for(tracking_member).get(CHECK_IN, {"day": day}).content.decode()
    assert re.search(rf'name="{field(fatigue)}" value="3"[^>]*checked', page)
    assert re.search(r'name="mood" value="4"[^>]*checked', page)
    assert CANARY_NOTE in page
    assert '<details class="check-in-note" open>' in page
    assert "This day's check-in is saved" in page


def test_a_future_day_is_refused(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    client = client_for(tracking_member)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = client.get(CHECK_IN, {"day": tomorrow}, follow=True)
    assert "today or an earlier day" in response.content.decode()
    client.post(CHECK_IN, {"day": tomorrow, field(fatigue): "2"})
    assert not CheckIn.objects.exists()
    with pytest.raises(ValidationError, match="future"):
        tf.check_in(tracking_member, {fatigue: 1}, day=today() + timedelta(days=1))


def test_a_day_before_1900_is_refused(tracking_member: User) -> None:
    with pytest.raises(ValidationError, match="1900"):
        tf.check_in(tracking_member, day=date(1899, 12, 31))


def test_a_bad_severity_is_a_form_error_and_writes_nothing(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    response = client_for(tracking_member).post(
        CHECK_IN, {"day": today().isoformat(), field(fatigue): "7", "mood": "2"}
    )
    assert response.status_code == 200
    assert "Choose one of the five steps" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_an_empty_check_in_is_refused(
    client_for: ClientFor, tracking_member: User
) -> None:
    response = client_for(tracking_member).post(CHECK_IN, {"day": today().isoformat()})
    assert "Rate at least one symptom" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_scores_of_an_untracked_symptom_write_nothing(
    tracking_member: User, fatigue: Symptom
) -> None:
    before = tf.check_in(tracking_member, {fatigue: 2}, mood=3)
    other = tf.make_symptom("Cough")
    with pytest.raises(ValidationError, match="only the symptoms you track"):
        tf.check_in(tracking_member, {fatigue: 4, other: 1}, mood=0)
    before.refresh_from_db()
    assert before.mood == 3
    assert list(before.scores.values_list("severity", flat=True)) == [2]


def test_a_symptom_tracked_on_a_past_day_may_be_rated_for_it(
    tracking_member: User, fatigue: Symptom
) -> None:
    tf.track_since(tracking_member, fatigue, today() - timedelta(days=30))
    stopped = TrackedSymptom.objects.get(user=tracking_member, symptom=fatigue)
    checkins.stop_tracking(tracking_member, tracked=stopped)
    tf.check_in(tracking_member, {fatigue: 2}, days_ago=10)
    assert SymptomScore.objects.filter(user=tracking_member, severity=2).exists()


def test_severities_outside_the_scale_are_refused(
    tracking_member: User, fatigue: Symptom
) -> None:
    for bad in (5, -1, True):
        with pytest.raises(ValidationError):
            tf.check_in(tracking_member, {fatigue: bad})
    assert not CheckIn.objects.exists()


def test_without_symptoms_the_page_helps_to_choose_some(
    client_for: ClientFor, member: User, fatigue: Symptom
) -> None:
    client = client_for(member)
    page = client.get(CHECK_IN).content.decode()
    assert "First, choose what to rate" in page
    found = client.post(CHECK_IN, {"find": "1", "q": "fatig", "day": today()})
    assert found.status_code == 200
    assert f'value="{fatigue.pk}"' in found.content.decode()
    response = client.post(
        reverse("tracking:track_symptoms"),
        {"symptoms": [fatigue.pk], "next": "check_in"},
    )
    assert response["Location"] == CHECK_IN
    assert "<legend>Fatigue</legend>" in client.get(CHECK_IN).content.decode()


def test_mood_alone_is_a_check_in(client_for: ClientFor, member: User) -> None:
    client_for(member).post(CHECK_IN, {"day": today().isoformat(), "mood": "3"})
    assert CheckIn.objects.get(user=member).mood == 3


# Home and history ---------------------------------------------------------------


def test_home_shows_whether_today_is_done(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    client = client_for(tracking_member)
    page = client.get(HOME).content.decode()
    assert "Not checked in yet today" in page
    assert "Check in now" in page
    tf.check_in(tracking_member, {fatigue: 1}, note=CANARY_NOTE)
    page = client.get(HOME).content.decode()
    assert "Checked in today" in page
    assert "Change today's check-in" in page
    assert CANARY_NOTE in page
    assert "Fatigue" in page


def test_home_lists_conditions_and_current_treatments(
    client_for: ClientFor, member: User
) -> None:
    from kinwell.tracking.models import TreatmentCourse

    tf.add_condition(member, tf.make_condition("Long COVID"))
    treatment = tf.make_treatment("Pacing diary")
    TreatmentCourse.objects.create(
        user=member, treatment=treatment, started_on=today(), dose="daily"
    )
    page = client_for(member).get(HOME).content.decode()
    assert "Long COVID" in page
    assert "Pacing diary" in page


def test_history_is_paged_newest_first(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    for days_ago in range(35):
        tf.check_in(tracking_member, {fatigue: days_ago % 5}, days_ago=days_ago)
    client = client_for(tracking_member)
    first = client.get(HISTORY).content.decode()
    assert "Page 1 of 2" in first
    assert first.index("Today") < first.index(
        (today() - timedelta(days=1)).strftime("%A")
    )
    second = client.get(HISTORY, {"page": 2}).content.decode()
    assert (today() - timedelta(days=34)).strftime("%-d %B %Y") in second


def test_history_runs_a_bounded_number_of_queries(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom, headache: Symptom
) -> None:
    client = client_for(tracking_member)
    made = [0]

    def add_rows(count: int) -> None:
        for _ in range(count):
            made[0] += 1
            scores = {fatigue: made[0] % 5, headache: 1}
            tf.check_in(tracking_member, scores, days_ago=made[0])

    assert_bounded_queries(
        lambda: client.get(HISTORY), add_rows, max_queries=12, rows=5
    )


def test_home_runs_a_bounded_number_of_queries(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    client = client_for(tracking_member)
    made = [0]

    def add_rows(count: int) -> None:
        for _ in range(count):
            made[0] += 1
            tf.check_in(tracking_member, {fatigue: 2}, days_ago=made[0])
            tf.add_condition(tracking_member)

    assert_bounded_queries(lambda: client.get(HOME), add_rows, max_queries=16)


def test_a_member_deletes_a_check_in(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    saved = tf.check_in(tracking_member, {fatigue: 2}, days_ago=3)
    response = client_for(tracking_member).post(
        reverse("tracking:delete_check_in", args=[saved.pk])
    )
    assert response["Location"] == HISTORY
    assert not CheckIn.objects.exists()
    assert not SymptomScore.objects.exists()


def test_no_symptom_or_condition_goes_in_a_url(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    tf.check_in(tracking_member, {fatigue: 2})
    tf.add_condition(tracking_member, tf.make_condition("Long COVID"))
    client = client_for(tracking_member)
    pages = [HOME, CHECK_IN, HISTORY, reverse("tracking:conditions")]
    pages.append(reverse("tracking:symptoms"))
    for url in pages:
        page = client.get(url).content.decode()
        for target in re.findall(r'(?:href|action|formaction)="([^"]*)"', page):
            query = target.partition("?")[2]
            assert not query or re.fullmatch(r"(day=[0-9-]+|page=[0-9]+)", query), (
                url,
                target,
            )
        assert 'method="get"' not in page.replace(
            f'method="get" action="{CHECK_IN}"', ""
        )


# Carers ------------------------------------------------------------------------------


def test_a_carer_with_the_track_scope_checks_in_for_the_member(
    client_for: ClientFor, carer: User, tracking_member: User, fatigue: Symptom
) -> None:
    client = acting_client(client_for, carer, tracking_member)
    page = client.get(CHECK_IN).content.decode()
    assert "Checking in for Mo Member" in page
    assert "How is Mo Member today?" in page
    response = client.post(
        CHECK_IN, {"day": today().isoformat(), field(fatigue): "2"}, follow=True
    )
    assert "Mo Member&#x27;s check-in for today is saved" in response.content.decode()
    saved = CheckIn.objects.get(user=tracking_member)
    assert saved.recorded_by == carer
    assert not CheckIn.objects.filter(user=carer).exists()
    assert AuditEvent.objects.filter(
        actor=carer, subject=tracking_member, action="tracking.check_in"
    ).exists()


def test_a_carers_reads_are_on_the_members_access_list(
    client_for: ClientFor, carer: User, tracking_member: User
) -> None:
    client = acting_client(client_for, carer, tracking_member)
    for url in (HOME, HISTORY, reverse("tracking:conditions")):
        assert client.get(url).status_code == 200
    actions = set(
        AuditEvent.objects.filter(actor=carer, subject=tracking_member).values_list(
            "action", flat=True
        )
    )
    assert {
        "tracking.view_home",
        "tracking.view_check_ins",
        "tracking.view_conditions",
    } <= actions


def test_a_carer_not_acting_sees_only_their_own_records(
    client_for: ClientFor, carer: User, tracking_member: User, fatigue: Symptom
) -> None:
    tf.check_in(tracking_member, {fatigue: 3}, note=CANARY_NOTE)
    page = client_for(carer).get(HOME).content.decode()
    assert "Your tracking" in page
    assert CANARY_NOTE not in page


def test_track_only_carer_records_and_reads_nothing(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    carer = carer_with(tracking_member, [Delegation.Scope.TRACK])
    tf.check_in(tracking_member, {fatigue: 4}, days_ago=3, note=CANARY_NOTE)
    tf.check_in(tracking_member, {fatigue: 1}, days_ago=20)
    client = acting_client(client_for, carer, tracking_member)
    home = client.get(HOME).content.decode()
    assert "Checking in for Mo Member" in home
    assert CANARY_NOTE not in home
    for url in (HISTORY, reverse("tracking:conditions"), reverse("tracking:symptoms")):
        assert client.get(url).status_code == 403
    old = (today() - timedelta(days=20)).isoformat()
    assert client.get(CHECK_IN, {"day": old}).status_code == 403
    assert client.post(CHECK_IN, {"day": old, field(fatigue): "2"}).status_code == 403
    client.post(CHECK_IN, {"day": today().isoformat(), field(fatigue): "2"})
    assert CheckIn.objects.get(user=tracking_member, day=today()).recorded_by == carer


def test_track_only_carer_gets_an_empty_form_with_the_symptom_names(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    carer = carer_with(tracking_member, [Delegation.Scope.TRACK])
    client = acting_client(client_for, carer, tracking_member)
    page = client.get(CHECK_IN).content.decode()
    assert "<legend>Fatigue</legend>" in page
    assert "<legend>Headache</legend>" in page
    # Only "Skip" (value "") is chosen: no step of any scale.
    assert not re.search(r'<input[^>]*value="[0-9]"[^>]* checked', page)
    assert "not see or change it afterwards" in page


def test_track_only_carer_cannot_see_or_overwrite_a_checked_in_day(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    carer = carer_with(tracking_member, [Delegation.Scope.TRACK])
    saved = tf.check_in(tracking_member, {fatigue: 4}, days_ago=3, note=CANARY_NOTE)
    tf.check_in(tracking_member, {fatigue: 3}, mood=1)
    client = acting_client(client_for, carer, tracking_member)
    recent = (today() - timedelta(days=3)).isoformat()
    page = client.get(CHECK_IN, {"day": recent}).content.decode()
    assert CANARY_NOTE not in page
    assert "Mo Member already has a check-in for" in page
    assert "not see or change what is recorded" in page
    assert '<fieldset class="scale"' not in page
    posted = {"day": recent, field(fatigue): "0", "note": "Overwritten"}
    assert client.post(CHECK_IN, posted).status_code == 200
    saved.refresh_from_db()
    assert (saved.note, saved.recorded_by) == (CANARY_NOTE, tracking_member)
    assert saved.scores.get().severity == 4
    home = client.get(HOME).content.decode()
    assert "already has a check-in for today" in home
    assert "Change today" not in home
    assert not AuditEvent.objects.filter(
        actor=carer, action="tracking.view_check_in"
    ).exists()


def test_the_service_refuses_a_track_only_carer_an_existing_day(
    tracking_member: User, fatigue: Symptom
) -> None:
    carer = carer_with(tracking_member, [Delegation.Scope.TRACK])
    saved = tf.check_in(tracking_member, {fatigue: 4}, note=CANARY_NOTE)
    with pytest.raises(ValidationError, match="not see or change"):
        tf.check_in(tracking_member, {fatigue: 0}, actor=carer, note="Overwritten")
    # Not even what they recorded themselves: they may not see it either.
    mine = tf.check_in(tracking_member, {fatigue: 1}, days_ago=1, actor=carer)
    with pytest.raises(ValidationError):
        tf.check_in(tracking_member, {fatigue: 2}, days_ago=1, actor=carer)
    saved.refresh_from_db()
    mine.refresh_from_db()
    assert saved.note == CANARY_NOTE
    assert mine.scores.get().severity == 1


def test_track_only_carer_may_not_delete_a_check_in(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    from django.core.exceptions import PermissionDenied

    carer = carer_with(tracking_member, [Delegation.Scope.TRACK])
    saved = tf.check_in(tracking_member, {fatigue: 2}, actor=carer)
    client = acting_client(client_for, carer, tracking_member)
    delete = reverse("tracking:delete_check_in", args=[saved.pk])
    assert client.post(delete).status_code == 403
    with pytest.raises(PermissionDenied):
        checkins.delete_check_in(carer, check_in=saved)
    assert CheckIn.objects.filter(pk=saved.pk).exists()


def test_a_carer_with_both_scopes_changes_and_deletes_a_day(
    client_for: ClientFor, carer: User, tracking_member: User, fatigue: Symptom
) -> None:
    saved = tf.check_in(tracking_member, {fatigue: 4}, days_ago=3, note=CANARY_NOTE)
    client = acting_client(client_for, carer, tracking_member)
    day = saved.day.isoformat()
    page = client.get(CHECK_IN, {"day": day}).content.decode()
    assert CANARY_NOTE in page
    client.post(CHECK_IN, {"day": day, field(fatigue): "1", "note": "Better"})
    saved.refresh_from_db()
    assert (saved.note, saved.recorded_by) == ("Better", carer)
    delete = reverse("tracking:delete_check_in", args=[saved.pk])
    assert client.post(delete)["Location"] == HISTORY
    assert not CheckIn.objects.exists()


def test_read_only_carer_reads_but_may_not_record(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    carer = carer_with(tracking_member, [Delegation.Scope.READ])
    saved = tf.check_in(tracking_member, {fatigue: 2}, note=CANARY_NOTE)
    client = acting_client(client_for, carer, tracking_member)
    page = client.get(HISTORY).content.decode()
    assert CANARY_NOTE in page
    assert "Delete" not in page
    assert "Check in now" not in client.get(HOME).content.decode()
    assert client.get(CHECK_IN).status_code == 403
    delete = reverse("tracking:delete_check_in", args=[saved.pk])
    assert client.post(delete).status_code == 403
    assert CheckIn.objects.filter(pk=saved.pk).exists()


def test_a_revoked_carer_falls_back_to_their_own_records(
    client_for: ClientFor, carer: User, tracking_member: User, fatigue: Symptom
) -> None:
    from kinwell.accounts import services as account_services

    tf.check_in(tracking_member, {fatigue: 3}, note=CANARY_NOTE)
    client = acting_client(client_for, carer, tracking_member)
    delegation = Delegation.objects.get(carer=carer, member=tracking_member)
    account_services.revoke_delegation(tracking_member, delegation=delegation)
    assert CANARY_NOTE not in client.get(HISTORY).content.decode()


def test_the_service_refuses_a_carer_without_the_scope(
    tracking_member: User, fatigue: Symptom
) -> None:
    from django.core.exceptions import PermissionDenied

    reader = carer_with(tracking_member, [Delegation.Scope.READ])
    with pytest.raises(PermissionDenied):
        tf.check_in(tracking_member, {fatigue: 1}, actor=reader)
    assert not CheckIn.objects.exists()


# Everyone else ------------------------------------------------------------------------


def test_others_ids_are_404(
    client_for: ClientFor,
    outsider: User,
    carer: User,
    tracking_member: User,
    fatigue: Symptom,
) -> None:
    saved = tf.check_in(tracking_member, {fatigue: 2})
    record = tf.add_condition(tracking_member)
    tracked = TrackedSymptom.objects.filter(user=tracking_member).first()
    assert tracked is not None
    posts = [
        reverse("tracking:delete_check_in", args=[saved.pk]),
        reverse("tracking:remove_condition", args=[record.pk]),
        reverse("tracking:stop_tracking", args=[tracked.pk]),
        reverse("tracking:edit_condition", args=[record.pk]),
    ]
    # The carer fixture is not acting for anyone: their own records only.
    for user in (outsider, carer):
        client = client_for(user)
        for url in posts:
            assert client.post(url).status_code == 404, (user, url)
        assert client.get(posts[-1]).status_code == 404
    assert CheckIn.objects.filter(pk=saved.pk).exists()
    tracked.refresh_from_db()
    assert tracked.stopped_on is None


def test_visitors_are_sent_to_log_in(visitor_client: Client) -> None:
    for url in (HOME, CHECK_IN, HISTORY, reverse("tracking:conditions")):
        response = visitor_client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_every_change_tells_the_insights_computation(
    monkeypatch: pytest.MonkeyPatch,
    carer: User,
    tracking_member: User,
    fatigue: Symptom,
) -> None:
    told: list[int] = []
    monkeypatch.setattr(checkins, "note_change", told.append)
    saved = tf.check_in(tracking_member, {fatigue: 1}, actor=carer)
    record = tf.add_condition(tracking_member)
    checkins.update_condition(
        tracking_member, member_condition=record, onset_on=None, diagnosed_on=None
    )
    checkins.remove_condition(tracking_member, member_condition=record)
    tracked = TrackedSymptom.objects.get(user=tracking_member, symptom=fatigue)
    checkins.stop_tracking(tracking_member, tracked=tracked)
    checkins.delete_check_in(tracking_member, check_in=saved)
    assert told == [tracking_member.pk] * 6
