"""Circles in the API (/api/v1/me/circle-devices, /me/circle-backup,
/communities/{slug}/circles, /circles/{uid}/...): what members, admins and
invitees get, 404 for everyone without a seat (moderators, organisers and
administrators included), 409 for a stale key period, and bad input that is
refused with the API's error shape and changes nothing."""

import json
import logging
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client

from kinwell.accounts.models import User
from kinwell.circles import services
from kinwell.circles.models import (
    Circle,
    CircleMembership,
    Device,
    Epoch,
    KeyBackup,
    KeyWrap,
    Message,
    Report,
)
from kinwell.communities.models import Community, Membership
from kinwell.lib import ratelimit
from tests import circles_factories as cf
from tests import factories
from tests.helpers import assert_bounded_queries, assert_error, send

# The shared circle fixtures (tests/circles_factories.py).
ann, bea, cal, group, circle = cf.ann, cf.bea, cf.cal, cf.group, cf.circle

ClientFor = Callable[[User], Client]
DEVICES = "/me/circle-devices"
BACKUP = "/me/circle-backup"
CANARY = "Canary circle text nobody else may read"


def counts() -> dict[str, int]:
    models: list[type[Model]] = [
        Circle,
        CircleMembership,
        Device,
        Epoch,
        KeyWrap,
        Message,
        Report,
        KeyBackup,
    ]
    return {model.__name__: model._default_manager.count() for model in models}


def refused(
    client: Client, method: str, path: str, body: Any, status: int, code: str
) -> dict[str, Any]:
    """The request is refused with this status and code, and writes nothing."""
    before = counts()
    error = assert_error(send(client, method, path, body), status, code)
    assert counts() == before
    return error


def device_body(**changes: Any) -> dict[str, Any]:
    return {"label": "Laptop", "agreement": cf.spki(), "signing": cf.spki()} | changes


def message_body(circle: Circle, device: Device, counter: int) -> dict[str, str]:
    circle.refresh_from_db()
    return {
        "header": cf.header(circle, device, counter),
        "iv": cf.random_b64u(12),
        "ct": cf.random_b64u(80),
        "sig": cf.signature(),
    }


# Devices and the key backup ----------------------------------------------------------


def test_a_member_registers_approves_and_revokes_devices(
    client_for: ClientFor, ann: User
) -> None:
    client = client_for(ann)
    first = send(client, "post", DEVICES, device_body())
    assert first.status_code == 201, first.content
    out = first.json()
    assert (out["state"], out["kind"], out["user"]) == ("active", "browser", ann.pk)
    assert (out["vouched_by"], out["voucher"]) == (None, "")
    second = send(client, "post", DEVICES, device_body(label="Phone")).json()
    assert second["state"] == "pending"
    listed = send(client, "get", DEVICES).json()
    assert [d["id"] for d in listed["devices"]] == [out["id"], second["id"]]
    assert listed["backup"] == {"exists": False, "updated_at": None}
    approve = {"vouched_by": out["id"], "voucher": cf.signature(), "wraps": []}
    approved = send(client, "post", f"{DEVICES}/{second['id']}/approve", approve)
    assert approved.status_code == 200, approved.content
    assert (approved.json()["state"], approved.json()["vouched_by"]) == (
        "active",
        out["id"],
    )
    revoked = send(client, "post", f"{DEVICES}/{second['id']}/revoke")
    assert revoked.json()["state"] == "revoked"


def test_a_later_device_vouched_for_at_registration_is_active(
    client_for: ClientFor, ann: User
) -> None:
    client = client_for(ann)
    first = cf.make_device(ann)
    body = device_body(vouched_by=first.pk, voucher=cf.signature())
    assert send(client, "post", DEVICES, body).json()["state"] == "active"


def test_a_recovery_key_is_registered_with_a_voucher(
    client_for: ClientFor, ann: User
) -> None:
    first = cf.make_device(ann)
    body = device_body(
        agreement="", kind="recovery", vouched_by=first.pk, voucher=cf.signature()
    )
    response = send(client_for(ann), "post", DEVICES, body)
    assert response.status_code == 201
    assert response.json()["kind"] == "recovery"


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"signing": "x"}, 400),
        ({"agreement": cf.random_b64u(91)}, 400),
        ({"voucher": cf.signature()}, 400),
        ({"kind": "phone"}, 422),
        ({"label": "x" * 81}, 422),
        ({"label": "a\x00b"}, 422),
        ({"label": "\ud800"}, 422),
        ({"extra": 1}, 422),
        ({"vouched_by": "1"}, 422),
        ({"vouched_by": 0}, 422),
        ({"signing": "not base64!"}, 422),
    ],
)
def test_bad_devices_are_refused(
    client_for: ClientFor, ann: User, changes: dict[str, Any], status: int
) -> None:
    cf.make_device(ann)
    code = "invalid"
    refused(client_for(ann), "post", DEVICES, device_body(**changes), status, code)


def test_a_device_of_someone_else_is_never_used(
    client_for: ClientFor, ann: User, bea: User
) -> None:
    beas = cf.make_device(bea)
    beas_pending = cf.make_device(bea)
    client = client_for(ann)
    cf.make_device(ann)
    body = device_body(vouched_by=beas.pk, voucher=cf.signature())
    error = refused(client, "post", DEVICES, body, 400, "invalid")
    assert "vouched_by" in error["fields"]
    approve = {"vouched_by": beas.pk, "voucher": cf.signature(), "wraps": []}
    path = f"{DEVICES}/{beas_pending.pk}"
    refused(client, "post", f"{path}/approve", approve, 404, "not_found")
    refused(client, "post", f"{path}/revoke", None, 404, "not_found")
    refused(client, "post", f"{DEVICES}/999999/revoke", None, 404, "not_found")


def test_approving_passes_the_keys_of_ones_circles(
    client_for: ClientFor, circle: Circle, ann: User
) -> None:
    pending = cf.make_device(ann, label="Phone")
    wraps = [
        {"circle": circle.uid, "epoch": n, "wrapped": cf.wrapped()} for n in (1, 2)
    ]
    body = {"vouched_by": cf.device_of(ann).pk, "voucher": cf.signature()}
    client = client_for(ann)
    path = f"{DEVICES}/{pending.pk}/approve"
    bad = [*wraps, {"circle": circle.uid, "epoch": 3, "wrapped": cf.wrapped()}]
    refused(client, "post", path, body | {"wraps": bad}, 400, "invalid")
    assert send(client, "post", path, body | {"wraps": wraps}).status_code == 200
    got = send(client, "get", f"/circles/{circle.uid}/wraps?device={pending.pk}")
    assert [w["epoch"] for w in got.json()["wraps"]] == [1, 2]


def test_the_key_backup(client_for: ClientFor, ann: User, bea: User) -> None:
    client = client_for(ann)
    assert_error(send(client, "get", BACKUP), 404, "not_found")
    browser = cf.make_device(ann)
    recovery = cf.make_recovery_key(ann, browser)
    blob = cf.backup_blob()
    put = send(client, "put", BACKUP, {"blob": blob, "recovery_device": recovery.pk})
    assert put.status_code == 200, put.content
    got = send(client, "get", BACKUP).json()
    assert (got["blob"], got["recovery_device"]) == (blob, recovery.pk)
    assert send(client, "get", DEVICES).json()["backup"]["exists"] is True
    for device in (browser, cf.make_recovery_key(bea, cf.make_device(bea))):
        body = {"blob": cf.backup_blob(), "recovery_device": device.pk}
        refused(client, "put", BACKUP, body, 400, "invalid")
    body = {"blob": "{}", "recovery_device": recovery.pk}
    refused(client, "put", BACKUP, body, 400, "invalid")
    assert send(client, "get", BACKUP).json()["blob"] == blob
    assert_error(send(client_for(bea), "get", BACKUP), 404, "not_found")


# A community's circles ---------------------------------------------------------------


def create_body(user: User, **changes: Any) -> dict[str, Any]:
    device = cf.device_of(user)
    uid = cf.new_uid()
    return {
        "uid": uid,
        "roster": cf.roster_text(uid, 1, [(user, True, [device])]),
        "signer": device.pk,
        "signature": cf.signature(),
        "sealed_meta": cf.sealed(),
        "wraps": [{"device": device.pk, "wrapped": cf.wrapped()}],
    } | changes


def test_a_member_creates_a_circle(
    client_for: ClientFor, group: Community, ann: User
) -> None:
    body = create_body(ann)
    response = send(client_for(ann), "post", f"/communities/{group.slug}/circles", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["uid"], out["community"], out["current_epoch"]) == (
        body["uid"],
        group.slug,
        1,
    )
    assert out["me"] == {"user": ann.pk, "role": "admin", "state": "joined"}
    assert [e["roster"] for e in out["epochs"]] == [body["roster"]]
    assert out["epochs"][0]["sealed_meta"] == body["sealed_meta"]
    assert [d["id"] for d in out["devices"]] == [body["signer"]]
    assert out["last_counters"] == {}


def test_a_circle_with_a_bad_first_list_is_refused(
    client_for: ClientFor, group: Community, ann: User, bea: User
) -> None:
    client = client_for(ann)
    path = f"/communities/{group.slug}/circles"
    bad: list[dict[str, Any]] = [
        {"roster": "{}"},
        {"signer": cf.device_of(bea).pk},
        {"signer": 999999},
        {"signature": cf.random_b64u(10)},
        {"sealed_meta": "x"},
        {"wraps": [{"device": cf.device_of(bea).pk, "wrapped": cf.wrapped()}]},
    ]
    for changes in bad:
        refused(client, "post", path, create_body(ann, **changes), 400, "invalid")
    refused(client, "post", path, create_body(ann, uid="a" * 33), 422, "invalid")
    refused(client, "post", path, create_body(ann, uid="a/b"), 422, "invalid")


def test_only_members_of_the_community_create_circles(
    client_for: ClientFor, group: Community, hidden_community: Community, outsider: User
) -> None:
    client = client_for(outsider)
    body = create_body(outsider)
    refused(
        client, "post", f"/communities/{group.slug}/circles", body, 403, "forbidden"
    )
    path = f"/communities/{hidden_community.slug}/circles"
    refused(client, "post", path, body, 404, "not_found")
    assert_error(send(client, "get", path), 404, "not_found")


def test_the_circles_of_a_community(
    client_for: ClientFor, circle: Circle, group: Community, ann: User, cal: User
) -> None:
    cf.signed_invite(ann, circle=circle, invitee=cal)
    path = f"/communities/{group.slug}/circles"
    mine = send(client_for(ann), "get", path).json()
    current = Epoch.objects.get(circle=circle, number=2)
    assert mine == {
        "circles": [
            {
                "uid": circle.uid,
                "role": "admin",
                "state": "joined",
                "members": 2,
                "current_epoch": 2,
                "sealed_meta": current.sealed_meta,
                "last_message_at": None,
            }
        ],
        "invitations": [],
    }
    invited = send(client_for(cal), "get", path).json()
    assert invited["circles"] == []
    [invitation] = invited["invitations"]
    assert invitation["uid"] == circle.uid
    assert invitation["invited_by"] == {"user": ann.pk, "name": "Ann Admin"}
    assert invitation["members"] == 2


def test_the_circles_list_takes_a_fixed_number_of_queries(
    client_for: ClientFor, group: Community, ann: User, cal: User
) -> None:
    client = client_for(ann)

    def add_rows(count: int) -> None:
        for _ in range(count):
            cf.make_circle(ann, group, ())
            invited = cf.create_circle(cal, group)
            cf.signed_invite(cal, circle=invited, invitee=ann)

    path = f"/communities/{group.slug}/circles"
    assert_bounded_queries(
        lambda: send(client, "get", path), add_rows, max_queries=10, rows=2
    )


# One circle --------------------------------------------------------------------------


def test_a_member_reads_the_circle(
    client_for: ClientFor, circle: Circle, ann: User, bea: User
) -> None:
    cf.post(bea, circle, 7)
    out = send(client_for(bea), "get", f"/circles/{circle.uid}").json()
    assert out["me"] == {"user": bea.pk, "role": "member", "state": "joined"}
    assert out["current_epoch"] == 2
    assert [(m["user"], m["role"], m["state"]) for m in out["members"]] == [
        (ann.pk, "admin", "joined"),
        (bea.pk, "member", "joined"),
    ]
    assert [m["name"] for m in out["members"]] == ["Ann Admin", "Bea Member"]
    assert [e["number"] for e in out["epochs"]] == [1, 2]
    assert out["epochs"][1]["roster"] == Epoch.objects.get(number=2).roster
    assert {d["user"] for d in out["devices"]} == {ann.pk, bea.pk}
    assert out["last_counters"] == {str(cf.device_of(bea).pk): 7}


def test_an_invitee_sees_the_circle_they_are_invited_to(
    client_for: ClientFor, circle: Circle, ann: User, cal: User
) -> None:
    cf.signed_invite(ann, circle=circle, invitee=cal)
    client = client_for(cal)
    out = send(client, "get", f"/circles/{circle.uid}").json()
    assert out["me"]["state"] == "invited"
    assert_error(
        send(client, "get", f"/circles/{circle.uid}/messages"), 404, "not_found"
    )


def test_reading_a_circle_takes_a_fixed_number_of_queries(
    client_for: ClientFor, circle: Circle, group: Community, ann: User, settings: Any
) -> None:
    settings.KINWELL_WRITES_PER_MINUTE = 10_000
    client = client_for(ann)
    made = [0]

    def add_rows(count: int) -> None:
        from kinwell.lib import ratelimit

        with ratelimit.suspended():
            for _ in range(count):
                made[0] += 1
                person = factories.make_user(f"Joiner {made[0]}")
                Membership.objects.create(community=group, user=person)
                cf.device_of(person)
                invited = cf.signed_invite(ann, circle=circle, invitee=person)
                services.accept_circle_invitation(person, membership=invited)
                cf.next_epoch(ann, circle)
                cf.post(person, circle, made[0])

    path = f"/circles/{circle.uid}"
    assert_bounded_queries(
        lambda: send(client, "get", path), add_rows, max_queries=8, rows=2
    )
    messages = f"/circles/{circle.uid}/messages?limit=200"
    assert_bounded_queries(
        lambda: send(client, "get", messages), add_rows, max_queries=6, rows=2
    )


def outsiders(
    cal: User, moderator: User, organiser: User, administrator: User
) -> list[User]:
    return [cal, moderator, organiser, administrator]


def circle_routes(circle: Circle, ann: User) -> list[tuple[str, str, Any]]:
    device = cf.device_of(ann)
    uid = circle.uid
    return [
        ("get", f"/circles/{uid}", None),
        ("get", f"/circles/{uid}/wraps?device={device.pk}", None),
        ("get", f"/circles/{uid}/messages", None),
        (
            "post",
            f"/circles/{uid}/epochs",
            _epoch_body(cf.next_epoch_args(circle, device)),
        ),
        ("post", f"/circles/{uid}/wraps", {"device": device.pk, "wraps": []}),
        ("post", f"/circles/{uid}/messages", message_body(circle, device, 1)),
        ("post", f"/circles/{uid}/invitations", invite_body(device, ann.pk)),
        ("post", f"/circles/{uid}/accept", None),
        ("post", f"/circles/{uid}/decline", None),
        ("post", f"/circles/{uid}/leave", None),
        ("post", f"/circles/{uid}/reports", {"message": 1, "text": "x"}),
    ]


def invite_body(signer: Device, user_id: Any) -> dict[str, Any]:
    """An invitation as the admin's browser sends it (the server keeps the
    signature and does not verify it)."""
    return {"user": user_id, "signer": signer.pk, "signature": cf.signature()}


def _epoch_body(args: dict[str, Any]) -> dict[str, Any]:
    body = {key: value for key, value in args.items() if key != "circle"}
    body["signer"] = args["signer"].pk
    body["wraps"] = [{"device": d, "wrapped": w} for d, w in args["wraps"]]
    return body


def test_a_circle_is_404_to_everyone_without_a_seat(
    client_for: ClientFor,
    circle: Circle,
    ann: User,
    cal: User,
    moderator: User,
    organiser: User,
    administrator: User,
) -> None:
    routes = circle_routes(circle, ann)
    for user in outsiders(cal, moderator, organiser, administrator):
        client = client_for(user)
        cf.device_of(user)
        for method, path, body in routes:
            refused(client, method, path, body, 404, "not_found")
    for method, path, body in routes:
        refused(Client(), method, path, body, 401, "unauthenticated")


def test_an_unknown_circle_is_404(client_for: ClientFor, ann: User) -> None:
    client = client_for(ann)
    assert_error(
        send(client, "get", "/circles/abcdefghijklmnopqrstuv"), 404, "not_found"
    )
    assert_error(send(client, "get", "/circles/a.b"), 422, "invalid")


def test_a_visitor_is_asked_to_sign_in(circle: Circle) -> None:
    response = send(Client(), "get", f"/circles/{circle.uid}")
    assert_error(response, 401, "unauthenticated")


# Invitations -------------------------------------------------------------------------


def test_admins_invite_and_invitees_answer(
    client_for: ClientFor, circle: Circle, ann: User, bea: User, cal: User
) -> None:
    path = f"/circles/{circle.uid}"
    body = invite_body(cf.device_of(ann), cal.pk)
    invited = send(client_for(ann), "post", f"{path}/invitations", body)
    assert invited.status_code == 201, invited.content
    assert invited.json() == {
        "user": cal.pk,
        "name": "Cal Member",
        "role": "member",
        "state": "invited",
        "invitation": {
            "signer": body["signer"],
            "signature": body["signature"],
            "epoch": circle.current_epoch,
        },
    }
    client = client_for(cal)
    assert send(client, "post", f"{path}/accept").json()["state"] == "accepted"
    assert_error(send(client, "post", f"{path}/accept"), 404, "not_found")
    assert_error(send(client, "post", f"{path}/decline"), 404, "not_found")
    assert send(client, "post", f"{path}/leave").json()["state"] == "left"
    assert_error(send(client, "post", f"{path}/leave"), 404, "not_found")


def test_an_invitee_declines(
    client_for: ClientFor, circle: Circle, ann: User, cal: User
) -> None:
    cf.signed_invite(ann, circle=circle, invitee=cal)
    client = client_for(cal)
    path = f"/circles/{circle.uid}"
    assert send(client, "post", f"{path}/decline").json()["state"] == "declined"
    assert_error(send(client, "get", path), 404, "not_found")


def test_a_member_who_is_not_an_admin_gets_403_for_admin_work(
    client_for: ClientFor, circle: Circle, bea: User, cal: User
) -> None:
    path = f"/circles/{circle.uid}/invitations"
    body = invite_body(cf.device_of(bea), cal.pk)
    refused(client_for(bea), "post", path, body, 403, "forbidden")


def test_an_invitation_is_signed_by_the_admins_device_on_the_member_list(
    client_for: ClientFor, circle: Circle, ann: User, bea: User, cal: User
) -> None:
    client = client_for(ann)
    path = f"/circles/{circle.uid}/invitations"
    unlisted = cf.make_device(ann, vouched_by=cf.device_of(ann), label="Phone")
    for signer in (unlisted, cf.device_of(bea)):
        refused(client, "post", path, invite_body(signer, cal.pk), 400, "invalid")
    unsigned = {"user": cal.pk, "signer": cf.device_of(ann).pk, "signature": ""}
    refused(client, "post", path, unsigned, 400, "invalid")
    refused(client, "post", path, {"user": cal.pk}, 422, "invalid")
    assert not CircleMembership.objects.filter(circle=circle, user=cal).exists()


def test_only_community_members_are_invited(
    client_for: ClientFor, circle: Circle, ann: User, bea: User, outsider: User
) -> None:
    client = client_for(ann)
    path = f"/circles/{circle.uid}/invitations"
    for user_id in (outsider.pk, bea.pk, 999_999):
        body = invite_body(cf.device_of(ann), user_id)
        refused(client, "post", path, body, 400, "invalid")


# Key periods -------------------------------------------------------------------------


def test_a_member_starts_the_next_key_period(
    client_for: ClientFor, circle: Circle, ann: User, bea: User
) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(ann), removed=(bea,))
    body = _epoch_body(args)
    response = send(client_for(ann), "post", f"/circles/{circle.uid}/epochs", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["number"], out["roster"], out["signer"]) == (
        3,
        body["roster"],
        body["signer"],
    )
    assert CircleMembership.objects.get(circle=circle, user=bea).state == "removed"
    assert_error(
        send(client_for(bea), "get", f"/circles/{circle.uid}"), 404, "not_found"
    )


def test_an_admin_makes_a_member_an_admin(
    client_for: ClientFor, circle: Circle, ann: User, bea: User
) -> None:
    members = [(ann, True, cf.active_keys(ann)), (bea, True, cf.active_keys(bea))]
    body = _epoch_body(cf.next_epoch_args(circle, cf.device_of(ann), members=members))
    path = f"/circles/{circle.uid}"
    refused(client_for(ann), "post", f"{path}/epochs", body, 400, "invalid")
    response = send(
        client_for(ann), "post", f"{path}/epochs", body | {"promoted": [bea.pk]}
    )
    assert response.status_code == 201, response.content
    state = send(client_for(bea), "get", path).json()
    assert state["me"]["role"] == "admin"


def test_the_only_admin_may_not_leave_others_behind(
    client_for: ClientFor, circle: Circle, ann: User
) -> None:
    response = send(client_for(ann), "post", f"/circles/{circle.uid}/leave")
    body = assert_error(response, 400, "invalid")
    assert "Make someone else an admin first." in json.dumps(body)


def test_a_stale_key_period_is_409(
    client_for: ClientFor, circle: Circle, ann: User, bea: User
) -> None:
    body = _epoch_body(cf.next_epoch_args(circle, cf.device_of(ann)))
    cf.next_epoch(bea, circle)
    path = f"/circles/{circle.uid}/epochs"
    error = refused(client_for(ann), "post", path, body, 409, "epoch_conflict")
    assert "reload" in error["message"]


def test_a_bad_key_period_is_400_and_changes_nothing(
    client_for: ClientFor, circle: Circle, ann: User, bea: User
) -> None:
    client = client_for(ann)
    path = f"/circles/{circle.uid}/epochs"
    members = cf.listed_members(circle, leave_out=(bea,))
    body = _epoch_body(cf.next_epoch_args(circle, cf.device_of(ann), members=members))
    refused(client, "post", path, body, 400, "invalid")
    body = _epoch_body(cf.next_epoch_args(circle, cf.device_of(ann)))
    refused(client, "post", path, body | {"signer": 999_999}, 400, "invalid")
    refused(client, "post", path, body | {"removed": [0]}, 422, "invalid")
    refused(client, "post", path, body | {"number": "3"}, 422, "invalid")
    refused(client, "post", path, body | {"roster": "x\x00"}, 400, "invalid")
    refused(client, "post", path, body | {"number": 3.5}, 422, "invalid")


def test_a_non_admin_removing_is_403(
    client_for: ClientFor, circle: Circle, ann: User, bea: User
) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(bea), removed=(ann,))
    path = f"/circles/{circle.uid}/epochs"
    refused(client_for(bea), "post", path, _epoch_body(args), 403, "forbidden")


def test_wraps_are_for_ones_own_devices(
    client_for: ClientFor, circle: Circle, ann: User, bea: User
) -> None:
    client = client_for(ann)
    mine = cf.device_of(ann)
    path = f"/circles/{circle.uid}/wraps"
    got = send(client, "get", f"{path}?device={mine.pk}").json()["wraps"]
    assert [w["epoch"] for w in got] == [1, 2]
    assert (
        got[1]["wrapped"] == KeyWrap.objects.get(device=mine, epoch__number=2).wrapped
    )
    beas = cf.device_of(bea)
    assert_error(send(client, "get", f"{path}?device={beas.pk}"), 404, "not_found")
    assert_error(send(client, "get", f"{path}?device=x"), 422, "invalid")
    phone = cf.make_device(ann, vouched_by=mine)
    body = {"device": phone.pk, "wraps": [{"epoch": 2, "wrapped": cf.wrapped()}]}
    assert send(client, "post", path, body).json() == {"added": 1}
    refused(client, "post", path, body | {"device": beas.pk}, 404, "not_found")


def test_a_pending_device_gets_no_wraps(
    client_for: ClientFor, circle: Circle, ann: User
) -> None:
    pending = cf.make_device(ann)
    path = f"/circles/{circle.uid}/wraps?device={pending.pk}"
    assert send(client_for(ann), "get", path).json() == {"wraps": []}


# Messages ----------------------------------------------------------------------------


def test_members_post_and_read_messages(
    client_for: ClientFor, circle: Circle, ann: User, bea: User
) -> None:
    client = client_for(bea)
    path = f"/circles/{circle.uid}/messages"
    sent = []
    for counter in range(1, 4):
        body = message_body(circle, cf.device_of(bea), counter)
        response = send(client, "post", path, body)
        assert response.status_code == 201, response.content
        out = response.json()
        assert (out["header"], out["ct"], out["sender"], out["removed"]) == (
            body["header"],
            body["ct"],
            bea.pk,
            False,
        )
        sent.append(out["id"])
    page = send(client_for(ann), "get", f"{path}?limit=2").json()
    assert [m["id"] for m in page["messages"]] == sent[:2]
    assert page["more"] is True
    rest = send(client, "get", f"{path}?after={sent[1]}").json()
    assert ([m["id"] for m in rest["messages"]], rest["more"]) == ([sent[2]], False)
    assert_error(send(client, "get", f"{path}?limit=201"), 422, "invalid")
    assert_error(send(client, "get", f"{path}?after=-1"), 422, "invalid")


def test_a_replayed_message_is_refused(
    client_for: ClientFor, circle: Circle, bea: User
) -> None:
    client = client_for(bea)
    path = f"/circles/{circle.uid}/messages"
    body = message_body(circle, cf.device_of(bea), 5)
    assert send(client, "post", path, body).status_code == 201
    refused(client, "post", path, body, 400, "invalid")
    lower = message_body(circle, cf.device_of(bea), 4)
    refused(client, "post", path, lower, 400, "invalid")


def test_a_message_of_a_past_key_period_is_409(
    client_for: ClientFor, circle: Circle, ann: User, bea: User
) -> None:
    body = message_body(circle, cf.device_of(bea), 1)
    cf.next_epoch(ann, circle)
    path = f"/circles/{circle.uid}/messages"
    refused(client_for(bea), "post", path, body, 409, "epoch_conflict")


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"header": "{}"}, 400),
        ({"iv": cf.random_b64u(8)}, 400),
        ({"sig": cf.random_b64u(10)}, 400),
        ({"ct": "+/="}, 422),
        ({"ct": cf.random_b64u(449_900)}, 400),
        ({"extra": "x"}, 422),
        ({"header": 5}, 422),
    ],
    ids=["header", "iv", "sig", "ct-alphabet", "too-large", "extra", "header-type"],
)
def test_a_bad_message_is_refused(
    client_for: ClientFor, circle: Circle, bea: User, changes: Any, status: int
) -> None:
    body = message_body(circle, cf.device_of(bea), 1) | changes
    path = f"/circles/{circle.uid}/messages"
    refused(client_for(bea), "post", path, body, status, "invalid")


def test_a_body_that_is_not_json_is_refused(
    client_for: ClientFor, circle: Circle, bea: User
) -> None:
    response = client_for(bea).post(
        f"/api/v1/circles/{circle.uid}/messages",
        data="{not json",
        content_type="application/json",
    )
    assert_error(response, 422, "invalid")


def test_messages_are_rate_limited(
    client_for: ClientFor,
    circle: Circle,
    bea: User,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.KINWELL_WRITES_PER_MINUTE = 1000
    # The limit counts per clock minute: a slow run crossing into the next
    # minute would start a new count, so the limiter's clock stands still.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 6_000_030.0))
    client = client_for(bea)
    path = f"/circles/{circle.uid}/messages"
    for counter in range(1, 31):
        body = message_body(circle, cf.device_of(bea), counter)
        assert send(client, "post", path, body).status_code == 201
    body = message_body(circle, cf.device_of(bea), 31)
    refused(client, "post", path, body, 429, "rate_limited")


def test_the_server_logs_nothing_of_a_circle(
    client_for: ClientFor, circle: Circle, bea: User, ann: User, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    message = cf.post(bea, circle, 1)
    body = {"message": message.pk, "text": CANARY, "reason": CANARY}
    path = f"/circles/{circle.uid}/reports"
    assert send(client_for(ann), "post", path, body).status_code == 201
    bad = message_body(circle, cf.device_of(bea), 1) | {"header": json.dumps(CANARY)}
    send(client_for(bea), "post", f"/circles/{circle.uid}/messages", bad)
    assert CANARY not in caplog.text


# Reports -----------------------------------------------------------------------------


def test_a_member_reports_a_message(
    client_for: ClientFor,
    circle: Circle,
    group: Community,
    ann: User,
    bea: User,
    cal: User,
) -> None:
    message = cf.post(bea, circle, 1)
    client = client_for(ann)
    path = f"/circles/{circle.uid}/reports"
    body = {"message": message.pk, "text": "What it said", "reason": "Unkind"}
    response = send(client, "post", path, body)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "open"
    report = Report.objects.get()
    assert (report.revealed_text, report.reason, report.reporter) == (
        "What it said",
        "Unkind",
        ann,
    )
    refused(client, "post", path, body, 400, "invalid")
    other = cf.make_circle(cal, group, ())
    elsewhere = cf.post(cal, other, 1)
    refused(client, "post", path, body | {"message": elsewhere.pk}, 400, "invalid")
    refused(client, "post", path, body | {"text": "x" * 20_001}, 422, "invalid")
    refused(client, "post", path, body | {"text": "\ud800"}, 422, "invalid")


def test_a_removed_message_shows_as_removed(
    client_for: ClientFor, circle: Circle, ann: User, bea: User, moderator: User
) -> None:
    message = cf.post(bea, circle, 1)
    report = services.report_message(ann, circle=circle, message=message, text="x")
    services.decide_report(moderator, report=report, remove_message=True)
    page = send(client_for(ann), "get", f"/circles/{circle.uid}/messages").json()
    [shown] = page["messages"]
    assert (shown["id"], shown["removed"], shown["ct"]) == (message.pk, True, "")


def test_ids_may_be_written_as_whole_floats_but_not_as_text(
    client_for: ClientFor, circle: Circle, ann: User, cal: User
) -> None:
    client = client_for(ann)
    path = f"/circles/{circle.uid}/invitations"
    device = cf.device_of(ann)
    for written in (str(cal.pk), True, cal.pk + 0.5):
        refused(client, "post", path, invite_body(device, written), 422, "invalid")
    response = send(client, "post", path, invite_body(device, float(cal.pk)))
    assert response.status_code == 201, response.content
