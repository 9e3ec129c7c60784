"""A member's tracking in the API (/api/v1/me/tracking/...): check-ins,
conditions, tracked symptoms and the catalogue they may use, for the member,
a carer passing `?delegation=` with and without each scope, and others."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kinwell.accounts.models import AuditEvent, Delegation, User
from kinwell.communities.models import Community
from kinwell.tracking.models import CheckIn, MemberCondition, Symptom, TrackedSymptom
from tests import factories
from tests import tracking_factories as tf
from tests.helpers import assert_bounded_queries, assert_error, send

ClientFor = Callable[[User], Client]

CHECK_INS = "/me/tracking/check-ins"
CANARY_NOTE = "Canary note nobody else may read"


def day_text(days_ago: int = 0) -> str:
    return (timezone.localdate() - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def fatigue(db: None) -> Symptom:
    return tf.make_symptom("Fatigue")


@pytest.fixture
def cough(db: None) -> Symptom:
    return tf.make_symptom("Cough")


@pytest.fixture
def tracking_member(member: User, fatigue: Symptom, cough: Symptom) -> User:
    tf.track(member, fatigue, cough)
    return member


def scores(*pairs: tuple[Symptom, int]) -> list[dict[str, int]]:
    return [{"symptom": s.pk, "severity": severity} for s, severity in pairs]


def delegation_of(member: User, carer: User) -> Delegation:
    return Delegation.objects.get(member=member, carer=carer)


def carer_with(member: User, scopes: list[str]) -> tuple[User, Delegation]:
    carer = factories.make_user("Tam Trackonly")
    return carer, factories.make_delegation(member, carer, scopes)


# Check-ins ------------------------------------------------------------------------


def test_member_checks_in_then_replaces_the_day(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom, cough: Symptom
) -> None:
    client = client_for(tracking_member)
    body: dict[str, Any] = {
        "day": day_text(),
        "scores": scores((fatigue, 3), (cough, 1)),
        "mood": 2,
        "note": "Slow day",
    }
    created = send(client, "post", CHECK_INS, body)
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["day"] == day_text()
    assert out["mood"] == 2
    assert [(s["symptom"]["name"], s["severity"]) for s in out["scores"]] == [
        ("Cough", 1),
        ("Fatigue", 3),
    ]
    assert out["recorded_by"] is None
    again = send(client, "post", CHECK_INS, {**body, "scores": scores((fatigue, 0))})
    assert again.status_code == 200
    assert [s["severity"] for s in again.json()["scores"]] == [0]
    assert CheckIn.objects.count() == 1


def test_check_ins_by_day(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    client = client_for(tracking_member)
    path = f"{CHECK_INS}/{day_text(2)}"
    assert_error(send(client, "get", path), 404, "not_found")
    put = send(client, "put", path, {"scores": scores((fatigue, 2)), "mood": None})
    assert put.status_code == 201
    assert send(client, "put", path, {"mood": 4}).status_code == 200
    got = send(client, "get", path).json()
    assert (got["mood"], got["scores"]) == (4, [])
    assert send(client, "delete", path).status_code == 204
    assert not CheckIn.objects.exists()
    assert_error(send(client, "delete", path), 404, "not_found")


def test_check_ins_list_is_paged_newest_first(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    for days_ago in range(5):
        tf.check_in(tracking_member, {fatigue: 1}, days_ago=days_ago)
    page = send(client_for(tracking_member), "get", f"{CHECK_INS}?limit=2").json()
    assert page["count"] == 5
    assert [row["day"] for row in page["items"]] == [day_text(0), day_text(1)]


def test_check_ins_list_runs_a_bounded_number_of_queries(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom, cough: Symptom
) -> None:
    client = client_for(tracking_member)
    made = [0]

    def add_rows(count: int) -> None:
        for _ in range(count):
            made[0] += 1
            tf.check_in(tracking_member, {fatigue: 1, cough: 2}, days_ago=made[0])

    assert_bounded_queries(
        lambda: send(client, "get", f"{CHECK_INS}?limit=100"), add_rows, max_queries=8
    )


def test_a_future_day_is_refused(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    client = client_for(tracking_member)
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = {"day": future, "scores": scores((fatigue, 1))}
    error = assert_error(send(client, "post", CHECK_INS, body), 400, "invalid")
    assert "future" in error["message"]
    put = send(client, "put", f"{CHECK_INS}/{future}", {"mood": 1})
    assert_error(put, 400, "invalid")
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "day", ["2024-02-30", "1899-12-31"], ids=["no-such-date", "before-1900"]
)
def test_impossible_days_are_refused(
    client_for: ClientFor, tracking_member: User, day: str
) -> None:
    response = send(
        client_for(tracking_member), "put", f"{CHECK_INS}/{day}", {"mood": 1}
    )
    assert_error(response, 400, "invalid")


@pytest.mark.parametrize(
    "body",
    [
        {"day": "yesterday", "mood": 1},
        {"day": 1700000000, "mood": 1},
        {"day": "2024-01-01", "mood": 5},
        {"day": "2024-01-01", "scores": [{"symptom": 1, "severity": 9}]},
        {"day": "2024-01-01", "note": "x" * 2001},
        {"day": "2024-01-01", "mood": 1, "extra": True},
    ],
)
def test_malformed_check_ins_are_422(
    client_for: ClientFor, tracking_member: User, body: dict[str, Any]
) -> None:
    assert_error(
        send(client_for(tracking_member), "post", CHECK_INS, body), 422, "invalid"
    )
    assert not CheckIn.objects.exists()


def test_bad_scores_write_nothing(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    saved = tf.check_in(tracking_member, {fatigue: 2}, mood=3)
    client = client_for(tracking_member)
    untracked = tf.make_symptom("Rash")
    for bad in (
        scores((fatigue, 4), (untracked, 1)),
        scores((fatigue, 4), (fatigue, 1)),
    ):
        body = {"day": day_text(), "scores": bad, "mood": 0}
        assert_error(send(client, "post", CHECK_INS, body), 400, "invalid")
    saved.refresh_from_db()
    assert saved.mood == 3
    assert list(saved.scores.values_list("severity", flat=True)) == [2]


def test_visitors_get_401(client: Client) -> None:
    assert_error(send(client, "get", CHECK_INS), 401, "unauthenticated")


def test_writes_are_rate_limited(
    client_for: ClientFor, tracking_member: User, settings: Any
) -> None:
    settings.KINWELL_WRITES_PER_MINUTE = 2
    client = client_for(tracking_member)
    for days_ago in range(2):
        assert send(client, "put", f"{CHECK_INS}/{day_text(days_ago)}", {"mood": 1})
    limited = send(client, "put", f"{CHECK_INS}/{day_text(3)}", {"mood": 1})
    assert_error(limited, 429, "rate_limited")


# Carers --------------------------------------------------------------------------


def test_a_carer_checks_in_and_reads_under_their_delegation(
    client_for: ClientFor, carer: User, tracking_member: User, fatigue: Symptom
) -> None:
    client = client_for(carer)
    ref = f"?delegation={delegation_of(tracking_member, carer).pk}"
    body = {"day": day_text(), "scores": scores((fatigue, 2))}
    created = send(client, "post", f"{CHECK_INS}{ref}", body)
    assert created.status_code == 201
    assert created.json()["recorded_by"] == "Cass Carer"
    assert CheckIn.objects.get().user == tracking_member
    listed = send(client, "get", f"{CHECK_INS}{ref}").json()
    assert listed["count"] == 1
    # Without the parameter, the carer's own (empty) records.
    assert send(client, "get", CHECK_INS).json()["count"] == 0
    actions = set(
        AuditEvent.objects.filter(actor=carer, subject=tracking_member).values_list(
            "action", flat=True
        )
    )
    assert {"tracking.check_in", "tracking.view_check_ins"} <= actions


def test_a_track_only_carer_records_and_reads_nothing(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    tf.check_in(tracking_member, {fatigue: 3}, days_ago=2, note=CANARY_NOTE)
    tf.check_in(tracking_member, {fatigue: 1}, days_ago=30)
    carer, delegation = carer_with(tracking_member, [Delegation.Scope.TRACK])
    client = client_for(carer)
    ref = f"?delegation={delegation.pk}"
    assert_error(send(client, "get", f"{CHECK_INS}{ref}"), 403, "forbidden")
    for days_ago in (2, 30, 1):
        day = send(client, "get", f"{CHECK_INS}/{day_text(days_ago)}{ref}")
        assert_error(day, 403, "forbidden")
        assert CANARY_NOTE not in day.content.decode()
    tracked = send(client, "get", f"/me/tracking/symptoms{ref}").json()
    names = [row["symptom"]["name"] for row in tracked["items"]]
    assert names == ["Cough", "Fatigue"]
    # Which symptoms to rate, not since when the member rates them.
    assert [row["started_on"] for row in tracked["items"]] == [None, None]
    again = send(client, "post", f"/me/tracking/symptoms{ref}", {"symptom": fatigue.pk})
    assert (again.status_code, again.json()["started_on"]) == (200, None)
    everything = f"/me/tracking/symptoms{ref}&include_stopped=true"
    assert_error(send(client, "get", everything), 403, "forbidden")
    assert_error(send(client, "get", f"/me/tracking/conditions{ref}"), 403, "forbidden")
    put = send(client, "put", f"{CHECK_INS}/{day_text()}{ref}", {"mood": 2})
    assert put.status_code == 201
    old = send(client, "put", f"{CHECK_INS}/{day_text(30)}{ref}", {"mood": 2})
    assert_error(old, 403, "forbidden")
    added = {"condition": tf.make_condition().pk}
    post = send(client, "post", f"/me/tracking/conditions{ref}", added)
    assert_error(post, 403, "forbidden")
    record = tf.add_condition(tracking_member)
    for method in ("patch", "delete"):
        path = f"/me/tracking/conditions/{record.pk}{ref}"
        answer = send(client, method, path, {"onset_on": None})
        assert_error(answer, 403, "forbidden")


def test_a_track_only_carer_cannot_overwrite_or_delete_a_day(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    saved = tf.check_in(tracking_member, {fatigue: 3}, days_ago=2, note=CANARY_NOTE)
    carer, delegation = carer_with(tracking_member, [Delegation.Scope.TRACK])
    client = client_for(carer)
    ref = f"?delegation={delegation.pk}"
    path = f"{CHECK_INS}/{day_text(2)}{ref}"
    put = send(client, "put", path, {"mood": 0, "note": "Overwritten"})
    assert_error(put, 400, "invalid")
    assert "not see or change" in put.json()["error"]["message"]
    assert CANARY_NOTE not in put.content.decode()
    body = {"day": day_text(2), "mood": 0, "note": "Overwritten"}
    assert_error(send(client, "post", f"{CHECK_INS}{ref}", body), 400, "invalid")
    assert_error(send(client, "delete", path), 403, "forbidden")
    # Not even a day they recorded themselves.
    send(client, "put", f"{CHECK_INS}/{day_text()}{ref}", {"mood": 2})
    mine = f"{CHECK_INS}/{day_text()}{ref}"
    assert_error(send(client, "put", mine, {"mood": 3}), 400, "invalid")
    assert_error(send(client, "delete", mine), 403, "forbidden")
    saved.refresh_from_db()
    assert (saved.note, saved.mood) == (CANARY_NOTE, 2)
    assert CheckIn.objects.get(day=timezone.localdate()).mood == 2


def test_a_carer_with_both_scopes_reads_replaces_and_deletes_a_day(
    client_for: ClientFor, carer: User, tracking_member: User, fatigue: Symptom
) -> None:
    tf.check_in(tracking_member, {fatigue: 3}, days_ago=2, note=CANARY_NOTE)
    client = client_for(carer)
    ref = f"?delegation={delegation_of(tracking_member, carer).pk}"
    path = f"{CHECK_INS}/{day_text(2)}{ref}"
    assert send(client, "get", path).json()["note"] == CANARY_NOTE
    assert send(client, "put", path, {"mood": 4, "note": "Better"}).status_code == 200
    assert send(client, "get", path).json()["note"] == "Better"
    assert send(client, "delete", path).status_code == 204
    assert not CheckIn.objects.exists()


def test_a_read_only_carer_may_not_record(
    client_for: ClientFor, tracking_member: User, fatigue: Symptom
) -> None:
    carer, delegation = carer_with(tracking_member, [Delegation.Scope.READ])
    client = client_for(carer)
    ref = f"?delegation={delegation.pk}"
    assert send(client, "get", f"{CHECK_INS}{ref}").status_code == 200
    put = send(client, "put", f"{CHECK_INS}/{day_text()}{ref}", {"mood": 2})
    assert_error(put, 403, "forbidden")
    condition = tf.make_condition()
    body = {"condition": condition.pk}
    post = send(client, "post", f"/me/tracking/conditions{ref}", body)
    assert_error(post, 403, "forbidden")
    assert not CheckIn.objects.exists()
    assert not MemberCondition.objects.exists()


def test_someone_elses_delegation_is_404(
    client_for: ClientFor, carer: User, outsider: User, tracking_member: User
) -> None:
    ref = f"?delegation={delegation_of(tracking_member, carer).pk}"
    response = send(client_for(outsider), "get", f"{CHECK_INS}{ref}")
    assert_error(response, 404, "not_found")


# Conditions ----------------------------------------------------------------------


def test_member_adds_changes_and_removes_a_condition(
    client_for: ClientFor, member: User
) -> None:
    client = client_for(member)
    condition = tf.make_condition("Asthma")
    body = {"condition": condition.pk, "onset_on": "2020-01-01"}
    created = send(client, "post", "/me/tracking/conditions", body)
    assert created.status_code == 201
    out = created.json()
    assert out["condition"]["name"] == "Asthma"
    assert out["onset_on"] == "2020-01-01"
    path = f"/me/tracking/conditions/{out['id']}"
    patched = send(client, "patch", path, {"diagnosed_on": "2021-06-01"}).json()
    assert (patched["onset_on"], patched["diagnosed_on"]) == (
        "2020-01-01",
        "2021-06-01",
    )
    cleared = send(client, "patch", path, {"onset_on": None}).json()
    assert (cleared["onset_on"], cleared["diagnosed_on"]) == (None, "2021-06-01")
    assert send(client, "get", "/me/tracking/conditions").json()["count"] == 1
    duplicate = send(client, "post", "/me/tracking/conditions", body)
    assert_error(duplicate, 400, "invalid")
    assert send(client, "delete", path).status_code == 204
    assert not MemberCondition.objects.exists()


def test_condition_errors(client_for: ClientFor, member: User, organiser: User) -> None:
    client = client_for(member)
    other = factories.make_community(organiser, name="Another place")
    theirs = tf.make_condition("Theirs", community=other)
    for body in (
        {"condition": theirs.pk},
        {"condition": 10**9},
        {"condition": tf.make_condition().pk, "diagnosed_on": "2999-01-01"},
    ):
        response = send(client, "post", "/me/tracking/conditions", body)
        assert_error(response, 400, "invalid")
    assert not MemberCondition.objects.exists()


def test_others_records_are_404(
    client_for: ClientFor, outsider: User, tracking_member: User, fatigue: Symptom
) -> None:
    record = tf.add_condition(tracking_member)
    tracked = TrackedSymptom.objects.filter(user=tracking_member).first()
    assert tracked is not None
    client = client_for(outsider)
    path = f"/me/tracking/conditions/{record.pk}"
    for method, body in (
        ("get", None),
        ("patch", {"onset_on": None}),
        ("delete", None),
    ):
        assert_error(send(client, method, path, body), 404, "not_found")
    stop = send(client, "post", f"/me/tracking/symptoms/{tracked.pk}/stop")
    assert_error(stop, 404, "not_found")
    assert MemberCondition.objects.filter(pk=record.pk).exists()


# Symptoms and the catalogue --------------------------------------------------------


def test_member_tracks_and_stops_a_symptom(client_for: ClientFor, member: User) -> None:
    client = client_for(member)
    fatigue = tf.make_symptom("Fatigue")
    first = send(client, "post", "/me/tracking/symptoms", {"symptom": fatigue.pk})
    assert first.status_code == 201
    again = send(client, "post", "/me/tracking/symptoms", {"symptom": fatigue.pk})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    stopped = send(client, "post", f"/me/tracking/symptoms/{first.json()['id']}/stop")
    assert stopped.json()["stopped_on"] == day_text()
    assert send(client, "get", "/me/tracking/symptoms").json()["count"] == 0
    tf.track(member, tf.make_symptom("Cough"))
    every = send(client, "get", "/me/tracking/symptoms?include_stopped=true").json()
    assert [row["symptom"]["name"] for row in every["items"]] == ["Cough", "Fatigue"]
    assert [row["stopped_on"] for row in every["items"]] == [None, day_text()]


def test_the_catalogue_holds_what_the_member_may_use(
    client_for: ClientFor, member: User, community: Community, organiser: User
) -> None:
    ours = tf.make_symptom("Our ache", community=community)
    other = factories.make_community(organiser, name="Another place")
    tf.make_symptom("Their ache", community=other)
    client = client_for(member)
    listed = send(client, "get", "/me/tracking/catalogue/symptoms?limit=100").json()
    names = {row["name"]: row["community"] for row in listed["items"]}
    assert names[ours.name] == community.slug
    assert "Their ache" not in names
    treatment = tf.make_treatment("Test pacing", kind="lifestyle")
    rows = send(client, "get", "/me/tracking/catalogue/treatments?limit=100").json()
    found = [row for row in rows["items"] if row["id"] == treatment.pk]
    assert found[0]["kind"] == "lifestyle"
    bad = send(client, "get", "/me/tracking/catalogue/services")
    assert_error(bad, 422, "invalid")
    theirs = Symptom.objects.get(name="Their ache")
    refused = send(client, "post", "/me/tracking/symptoms", {"symptom": theirs.pk})
    assert_error(refused, 400, "invalid")


def test_a_tracked_day_is_a_date(client_for: ClientFor, member: User) -> None:
    tf.track(member, tf.make_symptom("Fatigue"))
    row = send(client_for(member), "get", "/me/tracking/symptoms").json()["items"][0]
    assert date.fromisoformat(row["started_on"]) == timezone.localdate()
