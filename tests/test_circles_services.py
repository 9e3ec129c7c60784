"""The rules of circles, through kinwell.circles.services: devices and key
backups, creating and joining circles, key periods and their member lists,
messages, reports, and leaving. Every refusal changes nothing."""

import json
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import Http404

from kinwell.accounts.models import AuditEvent, User
from kinwell.circles import access, services
from kinwell.circles.models import (
    MAX_CIRCLE_MEMBERS,
    Circle,
    CircleMembership,
    Device,
    Epoch,
    KeyBackup,
    KeyWrap,
    Message,
    Report,
)
from kinwell.circles.services import devices as device_services
from kinwell.circles.services import messages as message_services
from kinwell.circles.services.common import MESSAGES_PER_MINUTE
from kinwell.communities import services as community_services
from kinwell.communities.models import Community, Membership
from kinwell.lib import ratelimit
from kinwell.lib.ratelimit import RateLimited
from tests import circles_factories as cf
from tests import factories
from tests.helpers import assert_bounded_queries

# The shared circle fixtures (tests/circles_factories.py).
ann, bea, cal, group, circle = cf.ann, cf.bea, cf.cal, cf.group, cf.circle

State = CircleMembership.State


def seat(user: User, circle: Circle) -> CircleMembership:
    return CircleMembership.objects.get(user=user, circle=circle)


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


def refused(action: Any, *, error: type[Exception] = ValidationError) -> str:
    """Runs `action`, which must raise `error` and write nothing."""
    before = counts()
    with pytest.raises(error) as raised:
        action()
    assert counts() == before
    return str(raised.value)


# Devices -----------------------------------------------------------------------------


def test_first_device_is_active_and_later_ones_wait(ann: User) -> None:
    first = cf.make_device(ann)
    assert first.state == Device.State.ACTIVE
    assert (first.vouched_by, first.voucher) == (None, "")
    second = cf.make_device(ann, label="Phone")
    assert second.state == Device.State.PENDING
    vouched = cf.make_device(ann, vouched_by=first)
    assert vouched.state == Device.State.ACTIVE
    assert vouched.vouched_by == first
    assert (
        AuditEvent.objects.filter(action="circles.device_add", subject=ann).count() == 3
    )


def test_a_device_is_vouched_for_by_its_own_members_active_key_only(
    ann: User, bea: User
) -> None:
    cf.make_device(ann)
    beas = cf.make_device(bea)
    message = refused(lambda: cf.make_device(ann, vouched_by=beas))
    assert "your own active devices" in message
    pending = cf.make_device(ann)
    refused(lambda: cf.make_device(ann, vouched_by=pending))


def test_a_voucher_must_be_a_signature(ann: User) -> None:
    first = cf.make_device(ann)
    for voucher in ("", "not base64!", cf.random_b64u(63), cf.random_b64u(65)):
        refused(
            lambda voucher=voucher: services.register_device(
                ann,
                label="Phone",
                agreement_key=cf.spki(),
                signing_key=cf.spki(),
                vouched_by=first,
                voucher=voucher,
            )
        )


def test_a_voucher_without_a_vouching_key_is_refused(ann: User) -> None:
    refused(
        lambda: services.register_device(
            ann,
            label="x",
            agreement_key=cf.spki(),
            signing_key=cf.spki(),
            voucher=cf.signature(),
        )
    )


@pytest.mark.parametrize(
    "key",
    [
        "",
        "not base64url!",
        cf.random_b64u(91),
        cf.spki()[:-4],
        cf.spki() + "=",
        cf.spki(ec.SECP384R1()),
        cf.random_b64u(150),
    ],
    ids=["empty", "not-b64u", "random", "cut", "padded", "p384", "too-long"],
)
def test_public_keys_must_be_p256_spki(ann: User, key: str) -> None:
    refused(
        lambda: services.register_device(
            ann, label="x", agreement_key=key, signing_key=cf.spki()
        )
    )
    refused(
        lambda: services.register_device(
            ann, label="x", agreement_key=cf.spki(), signing_key=key
        )
    )


def test_keys_are_registered_once(ann: User, bea: User) -> None:
    device = cf.make_device(ann)
    refused(
        lambda: services.register_device(
            bea, label="x", agreement_key=cf.spki(), signing_key=device.signing_key
        )
    )
    refused(
        lambda: services.register_device(
            bea, label="x", agreement_key=device.agreement_key, signing_key=cf.spki()
        )
    )


@pytest.mark.parametrize("label", ["x" * 81, "a\x00b", "\ud800"])
def test_a_label_is_short_plain_text(ann: User, label: str) -> None:
    refused(
        lambda: services.register_device(
            ann, label=label, agreement_key=cf.spki(), signing_key=cf.spki()
        )
    )


def test_a_member_has_a_bounded_number_of_devices(ann: User) -> None:
    first = cf.make_device(ann)
    for _ in range(device_services.MAX_OPEN_DEVICES - 1):
        cf.make_device(ann, vouched_by=first)
    assert "Remove one" in refused(lambda: cf.make_device(ann, vouched_by=first))
    services.revoke_device(ann, device=Device.objects.filter(user=ann).latest("pk"))
    cf.make_device(ann, vouched_by=first)


def test_a_recovery_key_is_vouched_for_by_a_browser(ann: User) -> None:
    browser = cf.make_device(ann)
    recovery = cf.make_recovery_key(ann, browser)
    assert (recovery.kind, recovery.state) == ("recovery", "active")
    assert recovery.agreement_key == ""
    refused(lambda: cf.make_recovery_key(ann, recovery))
    refused(
        lambda: services.register_device(
            ann,
            label="r",
            agreement_key="",
            signing_key=cf.spki(),
            kind=Device.Kind.RECOVERY,
        )
    )
    refused(
        lambda: services.register_device(
            ann,
            label="r",
            agreement_key=cf.spki(),
            signing_key=cf.spki(),
            kind=Device.Kind.RECOVERY,
            vouched_by=browser,
            voucher=cf.signature(),
        )
    )
    refused(
        lambda: services.register_device(
            ann, label="r", agreement_key="", signing_key=cf.spki(), kind="laptop"
        )
    )


def test_a_device_restored_from_the_backup_is_vouched_by_the_recovery_key(
    ann: User,
) -> None:
    browser = cf.make_device(ann)
    recovery = cf.make_recovery_key(ann, browser)
    restored = cf.make_device(ann, vouched_by=recovery)
    assert restored.state == Device.State.ACTIVE


def test_after_losing_every_key_a_new_device_starts_afresh(ann: User) -> None:
    first = cf.make_device(ann)
    services.revoke_device(ann, device=first)
    fresh = cf.make_device(ann)
    assert fresh.state == Device.State.ACTIVE
    assert fresh.vouched_by is None


def test_approving_a_device_vouches_for_it_and_passes_the_keys(
    circle: Circle, ann: User
) -> None:
    first = cf.device_of(ann)
    pending = cf.make_device(ann, label="Phone")
    wraps = [(circle.uid, 1, cf.wrapped()), (circle.uid, 2, cf.wrapped())]
    approved = services.approve_device(
        ann, device=pending, vouched_by=first, voucher=cf.signature(), wraps=wraps
    )
    assert approved.state == Device.State.ACTIVE
    assert approved.vouched_by == first
    got = KeyWrap.objects.filter(device=pending).order_by("epoch__number")
    assert [wrap.epoch.number for wrap in got] == [1, 2]
    assert [wrap.wrapped for wrap in got] == [w for _, _, w in wraps]
    refused(
        lambda: services.approve_device(
            ann, device=pending, vouched_by=first, voucher=cf.signature(), wraps=[]
        )
    )


def test_approval_refuses_and_keeps_nothing_on_bad_wraps(
    circle: Circle, group: Community, ann: User, cal: User
) -> None:
    first = cf.device_of(ann)
    other = cf.create_circle(cal, group)
    pending = cf.make_device(ann, label="Phone")
    for wraps in (
        [(other.uid, 1, cf.wrapped())],  # not Ann's circle
        [(circle.uid, 9, cf.wrapped())],  # no such key period
        [(circle.uid, 1, "{}")],
        [(circle.uid, 1, cf.wrapped()), (circle.uid, 1, cf.wrapped())],
    ):
        refused(
            lambda wraps=wraps: services.approve_device(
                ann,
                device=pending,
                vouched_by=first,
                voucher=cf.signature(),
                wraps=wraps,
            )
        )
        pending.refresh_from_db()
        assert pending.state == Device.State.PENDING


def test_only_ones_own_device_is_approved_or_revoked(ann: User, bea: User) -> None:
    beas = cf.make_device(bea)
    beas_pending = cf.make_device(bea)
    anns = cf.make_device(ann)
    refused(
        lambda: services.approve_device(
            ann, device=beas_pending, vouched_by=anns, voucher=cf.signature(), wraps=[]
        ),
        error=PermissionDenied,
    )
    refused(lambda: services.revoke_device(ann, device=beas), error=PermissionDenied)
    refused(
        lambda: services.approve_device(
            bea,
            device=beas_pending,
            vouched_by=beas_pending,
            voucher=cf.signature(),
            wraps=[],
        )
    )


def test_revoking_a_device(ann: User) -> None:
    device = cf.make_device(ann)
    revoked = services.revoke_device(ann, device=device)
    assert revoked.state == Device.State.REVOKED
    assert revoked.revoked_at is not None
    refused(lambda: services.revoke_device(ann, device=device))
    assert AuditEvent.objects.filter(action="circles.device_revoke").count() == 1


# Key backup --------------------------------------------------------------------------


def test_a_backup_is_stored_as_it_is_under_a_recovery_key(ann: User) -> None:
    browser = cf.make_device(ann)
    recovery = cf.make_recovery_key(ann, browser)
    blob = cf.backup_blob()
    backup = services.save_key_backup(ann, blob=blob, recovery_device=recovery)
    assert (backup.blob, backup.recovery_device) == (blob, recovery)
    again = cf.backup_blob()
    services.save_key_backup(ann, blob=again, recovery_device=recovery)
    assert KeyBackup.objects.get(user=ann).blob == again
    refused(lambda: services.save_key_backup(ann, blob=blob, recovery_device=browser))


def test_a_backup_under_a_new_recovery_key_retires_the_old_key(ann: User) -> None:
    browser = cf.make_device(ann)
    old = cf.make_recovery_key(ann, browser)
    services.save_key_backup(ann, blob=cf.backup_blob(), recovery_device=old)
    new = cf.make_recovery_key(ann, browser)
    services.save_key_backup(ann, blob=cf.backup_blob(), recovery_device=new)
    old.refresh_from_db()
    assert old.state == Device.State.REVOKED
    assert KeyBackup.objects.get(user=ann).recovery_device == new


@pytest.mark.parametrize(
    "blob",
    [
        "not json",
        "[]",
        cf.backup_blob(v=2),
        cf.backup_blob(kdf="scrypt"),
        cf.backup_blob(iterations=1000),
        cf.backup_blob(iterations="600000"),
        cf.backup_blob(salt=cf.random_b64u(8)),
        cf.backup_blob(keys={"iv": cf.random_b64u(12)}),
        cf.backup_blob(recovery={"iv": cf.random_b64u(11), "ct": cf.random_b64u(40)}),
        cf.backup_blob(extra=1),
        '{"v":1,"v":1}',
    ],
)
def test_a_backup_in_another_format_is_refused(ann: User, blob: str) -> None:
    browser = cf.make_device(ann)
    recovery = cf.make_recovery_key(ann, browser)
    refused(lambda: services.save_key_backup(ann, blob=blob, recovery_device=recovery))


# Creating circles --------------------------------------------------------------------


def test_a_member_creates_a_circle_as_its_admin(group: Community, ann: User) -> None:
    made = cf.create_circle(ann, group)
    assert made.current_epoch == 1
    assert (made.community, made.created_by) == (group, ann)
    mine = seat(ann, made)
    assert (mine.role, mine.state) == ("admin", "joined")
    epoch = Epoch.objects.get(circle=made)
    assert epoch.number == 1
    assert epoch.signer == cf.device_of(ann)
    assert KeyWrap.objects.filter(epoch=epoch).count() == 1
    event = AuditEvent.objects.get(action="circles.create")
    assert (event.object_id, event.reason) == (str(made.pk), "")


def test_only_community_members_create_circles(
    group: Community, outsider: User
) -> None:
    cf.device_of(outsider)
    refused(lambda: cf.create_circle(outsider, group), error=PermissionDenied)


def _create_args(ann: User, **changes: Any) -> dict[str, Any]:
    uid = cf.new_uid()
    device = cf.device_of(ann)
    roster = cf.roster_text(uid, 1, [(ann, True, [device])])
    return {
        "uid": uid,
        "roster": roster,
        "signer": device,
        "signature": cf.signature(),
        "sealed_meta": cf.sealed(),
        "wraps": [(device.pk, cf.wrapped())],
    } | changes


def test_a_new_circle_refuses_bad_first_lists(
    group: Community, ann: User, bea: User
) -> None:
    device = cf.device_of(ann)
    beas = cf.device_of(bea)
    uid = cf.new_uid()
    recovery = cf.make_recovery_key(ann, device)
    bad_rosters = [
        cf.roster_text(cf.new_uid(), 1, [(ann, True, [device])]),
        cf.roster_text(uid, 2, [(ann, True, [device])]),
        cf.roster_text(uid, 1, [(ann, True, [device])], previous_text="x"),
        cf.roster_text(uid, 1, [(ann, False, [device])]),
        cf.roster_text(uid, 1, [(ann, True, [device]), (bea, False, [beas])]),
        cf.roster_text(uid, 1, [(ann, True, [beas])]),
        cf.roster_text(uid, 1, [(ann, True, [device, device])]),
        cf.roster_text(uid, 1, [(ann, True, [device])], v=2),
        cf.roster_text(uid, 1, [(ann, True, [device])], extra=True),
        cf.roster_text(uid, 1, [(ann, True, [device])], key_check="short"),
        cf.roster_text(uid, 1, [(ann, True, [device])], members=[]),
        cf.roster_text(uid, 1, [(ann, True, [device])], epoch=True),
        cf.roster_text(uid, 1, [(ann, True, [device])], epoch=1.0),
        "not json",
        "[1, 2]",
        '{"v":1,"v":1}',
        "[" * 5000 + "]" * 5000,
        json.dumps({"v": 1}) + " ",
    ]
    forged = json.loads(cf.roster_text(uid, 1, [(ann, True, [device])]))
    forged["members"][0]["keys"][0]["signing"] = cf.spki()
    bad_rosters.append(json.dumps(forged))
    as_recovery = json.loads(cf.roster_text(uid, 1, [(ann, True, [device])]))
    as_recovery["members"][0]["keys"][0]["recovery"] = True
    bad_rosters.append(json.dumps(as_recovery))
    wrong_kind = json.loads(cf.roster_text(uid, 1, [(ann, True, [device, recovery])]))
    del wrong_kind["members"][0]["keys"][1]["recovery"]
    bad_rosters.append(json.dumps(wrong_kind))
    for roster in bad_rosters:
        refused(
            lambda roster=roster: services.create_circle(
                ann, community=group, **_create_args(ann, uid=uid, roster=roster)
            )
        )


def test_a_new_circle_refuses_bad_signers_wraps_and_sealed_names(
    group: Community, ann: User, bea: User
) -> None:
    device = cf.device_of(ann)
    pending = cf.make_device(ann)
    beas = cf.device_of(bea)
    recovery = cf.make_recovery_key(ann, device)
    bad: list[dict[str, Any]] = [
        {"signer": beas},
        {"signer": pending},
        {"signature": cf.random_b64u(32)},
        {"signature": "@" * 86},
        {"sealed_meta": "{}"},
        {"sealed_meta": json.dumps({"iv": cf.random_b64u(12), "ct": "x"})},
        {"sealed_meta": cf.sealed(20_000)},
        {"wraps": [(beas.pk, cf.wrapped())]},
        {"wraps": [(recovery.pk, cf.wrapped())]},
        {"wraps": [(device.pk, cf.wrapped()), (device.pk, cf.wrapped())]},
        {
            "wraps": [
                (device.pk, json.dumps({"e": cf.spki(), "iv": cf.random_b64u(12)}))
            ]
        },
        {
            "wraps": [
                (
                    device.pk,
                    json.dumps(
                        {
                            "e": cf.spki(),
                            "iv": cf.random_b64u(12),
                            "ct": cf.random_b64u(47),
                        }
                    ),
                )
            ]
        },
        {"uid": "short"},
        {"uid": cf.random_b64u(17)},
    ]
    for changes in bad:
        refused(
            lambda changes=changes: services.create_circle(
                ann, community=group, **_create_args(ann, **changes)
            )
        )


def test_a_circle_id_is_used_once(group: Community, ann: User) -> None:
    made = cf.create_circle(ann, group)
    message = refused(lambda: cf.create_circle(ann, group, uid=made.uid))
    assert "taken" in message


def test_a_recovery_key_may_sign_the_first_list(group: Community, ann: User) -> None:
    device = cf.device_of(ann)
    recovery = cf.make_recovery_key(ann, device)
    uid = cf.new_uid()
    roster = cf.roster_text(uid, 1, [(ann, True, [device, recovery])])
    services.create_circle(
        ann,
        community=group,
        **_create_args(ann, uid=uid, roster=roster, signer=recovery),
    )


# Invitations -------------------------------------------------------------------------


def test_admins_invite_members_of_the_community(
    group: Community, ann: User, bea: User, cal: User, outsider: User
) -> None:
    made = cf.make_circle(ann, group, (bea,))
    invited = cf.signed_invite(ann, circle=made, invitee=cal)
    assert (invited.state, invited.role, invited.invited_by) == (
        "invited",
        "member",
        ann,
    )
    event = AuditEvent.objects.get(action="circles.invite", subject=cal)
    assert (event.actor, event.object_id, event.reason) == (ann, str(invited.pk), "")
    refused(lambda: cf.signed_invite(ann, circle=made, invitee=cal))
    refused(lambda: cf.signed_invite(ann, circle=made, invitee=bea))
    refused(lambda: cf.signed_invite(ann, circle=made, invitee=outsider))
    refused(
        lambda: cf.signed_invite(bea, circle=made, invitee=outsider),
        error=PermissionDenied,
    )


def test_a_member_who_is_not_an_admin_cannot_invite(
    circle: Circle, bea: User, cal: User
) -> None:
    refused(
        lambda: cf.signed_invite(bea, circle=circle, invitee=cal),
        error=PermissionDenied,
    )


def test_an_invitation_keeps_the_signature_of_the_admins_listed_device(
    circle: Circle, ann: User, cal: User
) -> None:
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    assert invited.invitation_signer == cf.device_of(ann)
    assert len(invited.invitation_signature) == 86
    assert invited.invitation_epoch == circle.current_epoch == 2
    state = access.circle_state(circle, seat(ann, circle))
    shown = {member["user"]: member["invitation"] for member in state["members"]}
    assert shown[ann.pk] is None  # the creator was invited by nobody
    assert shown[cal.pk] == {
        "signer": cf.device_of(ann).pk,
        "signature": invited.invitation_signature,
        "epoch": 2,
    }


def test_an_unsigned_invitation_is_refused(
    circle: Circle, ann: User, cal: User
) -> None:
    device = cf.device_of(ann)
    for signer, signature in ((None, cf.signature()), (device, "")):
        message = refused(
            lambda signer=signer, signature=signature: services.invite_to_circle(
                ann, circle=circle, invitee=cal, signer=signer, signature=signature
            )
        )
        assert "circles need JavaScript" in message
    for bad in ("not base64!", cf.random_b64u(63), cf.random_b64u(65)):
        refused(
            lambda bad=bad: services.invite_to_circle(
                ann, circle=circle, invitee=cal, signer=device, signature=bad
            )
        )


def test_an_invitation_is_signed_by_the_admins_own_browser_on_the_member_list(
    circle: Circle, ann: User, bea: User, cal: User
) -> None:
    listed = cf.device_of(ann)
    unlisted = cf.make_device(ann, vouched_by=listed, label="Phone")
    recovery = cf.make_recovery_key(ann, vouched_by=listed)
    for signer in (unlisted, recovery, cf.device_of(bea)):
        refused(
            lambda signer=signer: cf.signed_invite(
                ann, circle=circle, invitee=cal, signer=signer
            )
        )
    services.revoke_device(ann, device=listed)
    refused(lambda: cf.signed_invite(ann, circle=circle, invitee=cal, signer=listed))


def test_a_circle_seats_at_most_fifty(group: Community, ann: User) -> None:
    made = cf.create_circle(ann, group)
    people = [factories.make_user(f"Seat {n}") for n in range(MAX_CIRCLE_MEMBERS)]
    for person in people:
        Membership.objects.create(community=group, user=person)
    for person in people[: MAX_CIRCLE_MEMBERS - 1]:
        cf.signed_invite(ann, circle=made, invitee=person)
    message = refused(lambda: cf.signed_invite(ann, circle=made, invitee=people[-1]))
    assert "at most 50" in message
    declined = seat(people[0], made)
    services.decline_circle_invitation(people[0], membership=declined)
    cf.signed_invite(ann, circle=made, invitee=people[-1])


def test_accepting_declining_and_inviting_again(
    circle: Circle, ann: User, cal: User
) -> None:
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    declined = services.decline_circle_invitation(cal, membership=invited)
    assert declined.state == "declined"
    assert declined.ended_at is not None
    refused(lambda: services.accept_circle_invitation(cal, membership=declined))
    again = cf.signed_invite(ann, circle=circle, invitee=cal)
    assert again.pk == invited.pk
    assert (again.state, again.ended_at) == ("invited", None)
    accepted = services.accept_circle_invitation(cal, membership=again)
    assert accepted.state == "accepted"
    refused(lambda: services.decline_circle_invitation(cal, membership=accepted))


def test_only_the_invitee_answers(
    circle: Circle, ann: User, bea: User, cal: User
) -> None:
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    refused(
        lambda: services.accept_circle_invitation(bea, membership=invited),
        error=PermissionDenied,
    )


def test_an_invitee_who_left_the_community_cannot_accept(
    circle: Circle, group: Community, ann: User, cal: User
) -> None:
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    Membership.objects.filter(community=group, user=cal).delete()
    refused(lambda: services.accept_circle_invitation(cal, membership=invited))


def test_leaving(circle: Circle, bea: User) -> None:
    left = services.leave_circle(bea, membership=seat(bea, circle))
    assert left.state == "left"
    refused(lambda: services.leave_circle(bea, membership=left))
    with pytest.raises(Http404):
        access.get_circle_for_member(bea, circle.uid)


def test_the_only_admin_makes_someone_else_an_admin_before_leaving(
    group: Community, circle: Circle, ann: User, bea: User
) -> None:
    message = refused(lambda: services.leave_circle(ann, membership=seat(ann, circle)))
    assert "Make someone else an admin first." in message
    alone = cf.create_circle(ann, group)
    assert services.leave_circle(ann, membership=seat(ann, alone)).state == "left"
    members = [(ann, True, cf.active_keys(ann)), (bea, True, cf.active_keys(bea))]
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=members)
    services.start_epoch(ann, **args, promoted=[bea.pk])
    assert services.leave_circle(ann, membership=seat(ann, circle)).state == "left"


def test_leaving_the_community_leaves_its_circles(
    circle: Circle, group: Community, ann: User, bea: User, cal: User
) -> None:
    cf.signed_invite(ann, circle=circle, invitee=cal)
    community_services.leave_community(bea, community=group, keep_posts=True)
    community_services.leave_community(cal, community=group, keep_posts=True)
    assert seat(bea, circle).state == "left"
    assert seat(cal, circle).state == "declined"


# Key periods -------------------------------------------------------------------------


def test_accepted_members_join_with_the_next_key_period(
    circle: Circle, ann: User, bea: User, cal: User
) -> None:
    cf.device_of(cal)
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    services.accept_circle_invitation(cal, membership=invited)
    epoch = cf.next_epoch(ann, circle)
    circle.refresh_from_db()
    assert (epoch.number, circle.current_epoch) == (3, 3)
    assert seat(cal, circle).state == "joined"
    assert seat(cal, circle).joined_at is not None
    listed = {m["user"] for m in json.loads(epoch.roster)["members"]}
    assert listed == {ann.pk, bea.pk, cal.pk}


def test_an_accepted_member_left_off_the_list_keeps_waiting(
    circle: Circle, ann: User, bea: User, cal: User
) -> None:
    cf.device_of(cal)
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    services.accept_circle_invitation(cal, membership=invited)
    members = cf.listed_members(circle, leave_out=(cal,))
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=members)
    services.start_epoch(ann, **args)
    assert seat(cal, circle).state == "accepted"


def test_a_stale_key_period_is_a_conflict(circle: Circle, ann: User, bea: User) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(ann))
    services.start_epoch(ann, **args)
    with pytest.raises(services.EpochConflict):
        services.start_epoch(ann, **args)
    skipping = cf.next_epoch_args(circle, cf.device_of(ann))
    skipping["number"] += 1
    refused(lambda: services.start_epoch(ann, **skipping), error=services.EpochConflict)


def test_a_key_period_taken_meanwhile_is_a_conflict_not_an_error(
    circle: Circle, ann: User
) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(ann))
    # Another transaction stored period 3 but this one still reads period 2.
    Epoch.objects.create(
        community=circle.community,
        circle=circle,
        number=3,
        roster="{}",
        signer=cf.device_of(ann),
        signature=cf.signature(),
        sealed_meta=cf.sealed(),
    )
    refused(lambda: services.start_epoch(ann, **args), error=services.EpochConflict)


def test_a_list_that_drops_a_member_silently_is_refused(
    circle: Circle, ann: User, bea: User
) -> None:
    members = cf.listed_members(circle, leave_out=(bea,))
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=members)
    assert "leaves out" in refused(lambda: services.start_epoch(ann, **args))


@pytest.mark.parametrize("state", ["invited", "left", "declined", "removed"])
def test_a_list_names_only_joined_or_accepted_people(
    circle: Circle, ann: User, cal: User, state: str
) -> None:
    cf.device_of(cal)
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    CircleMembership.objects.filter(pk=invited.pk).update(state=state)
    members = [*cf.listed_members(circle), (cal, False, cf.active_keys(cal))]
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=members)
    assert "not in the circle" in refused(lambda: services.start_epoch(ann, **args))


def test_a_list_names_an_outsider_never(
    circle: Circle, ann: User, outsider: User
) -> None:
    members = [*cf.listed_members(circle), (outsider, False, [cf.device_of(outsider)])]
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=members)
    refused(lambda: services.start_epoch(ann, **args))


def test_a_list_gets_the_admins_right(circle: Circle, ann: User, bea: User) -> None:
    members = [(user, True, keys) for user, _admin, keys in cf.listed_members(circle)]
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=members)
    assert "admin" in refused(lambda: services.start_epoch(ann, **args))


def test_a_list_links_to_the_current_one(circle: Circle, ann: User) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(ann))
    roster = json.loads(args["roster"])
    args["roster"] = json.dumps(roster | {"previous": cf.random_b64u(32)})
    assert "link" in refused(lambda: services.start_epoch(ann, **args))


def test_a_list_names_this_circle_and_period(circle: Circle, ann: User) -> None:
    for changes in ({"circle": cf.new_uid()}, {"epoch": 7}):
        args = cf.next_epoch_args(circle, cf.device_of(ann))
        args["roster"] = json.dumps(json.loads(args["roster"]) | changes)
        refused(lambda args=args: services.start_epoch(ann, **args))


def test_a_list_names_only_active_keys_as_registered(
    circle: Circle, ann: User, bea: User
) -> None:
    pending = cf.make_device(bea)
    members = [
        (user, admin, keys + ([pending] if user == bea else []))
        for user, admin, keys in cf.listed_members(circle)
    ]
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=members)
    assert "active key" in refused(lambda: services.start_epoch(ann, **args))
    swapped = [
        (user, admin, cf.active_keys(ann) if user == bea else cf.active_keys(bea))
        for user, admin, _keys in cf.listed_members(circle)
    ]
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=swapped)
    refused(lambda: services.start_epoch(ann, **args))


def test_only_members_post_key_periods(
    circle: Circle, group: Community, cal: User, ann: User
) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(cal))
    refused(lambda: services.start_epoch(cal, **args), error=PermissionDenied)


def test_the_signer_is_the_posters_own_active_key(
    circle: Circle, ann: User, bea: User
) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(bea))
    refused(lambda: services.start_epoch(ann, **args))
    pending = cf.make_device(ann)
    args = cf.next_epoch_args(circle, pending)
    refused(lambda: services.start_epoch(ann, **args))


def test_a_member_who_is_not_an_admin_may_only_take_keys_away(
    circle: Circle, ann: User, bea: User, cal: User
) -> None:
    cf.device_of(cal)
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    services.accept_circle_invitation(cal, membership=invited)
    adding = cf.next_epoch_args(circle, cf.device_of(bea))
    assert "admin" in refused(lambda: services.start_epoch(bea, **adding))
    # Bea's browser drops Ann's revoked device: a list that only removes.
    spare = cf.make_device(ann, vouched_by=cf.device_of(ann))
    cf.next_epoch(ann, circle)  # lists spare; Cal joins
    services.revoke_device(ann, device=spare)
    epoch = cf.next_epoch(bea, circle)
    assert epoch.number == 4
    assert spare.pk not in {
        key["device"]
        for member in json.loads(epoch.roster)["members"]
        for key in member["keys"]
    }


def test_a_member_who_is_not_an_admin_cannot_remove(
    circle: Circle, ann: User, bea: User
) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(bea), removed=(ann,))
    refused(lambda: services.start_epoch(bea, **args), error=PermissionDenied)


def test_admins_remove_members_with_a_new_key_period(
    circle: Circle, ann: User, bea: User
) -> None:
    epoch = cf.next_epoch(ann, circle, removed=(bea,))
    removed = seat(bea, circle)
    assert (removed.state, epoch.number) == ("removed", 3)
    assert bea.pk not in {m["user"] for m in json.loads(epoch.roster)["members"]}
    assert not KeyWrap.objects.filter(epoch=epoch, device__user=bea).exists()
    event = AuditEvent.objects.get(action="circles.remove")
    assert (event.subject, event.object_id) == (bea, str(removed.pk))


def test_a_removed_member_must_not_be_on_the_list(
    circle: Circle, ann: User, bea: User
) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(ann))
    args["removed"] = [bea.pk]
    refused(lambda: services.start_epoch(ann, **args))
    assert seat(bea, circle).state == "joined"


def test_removal_names_members_other_than_oneself(
    circle: Circle, ann: User, bea: User, outsider: User
) -> None:
    for removed in ([outsider.pk], [ann.pk], [bea.pk, bea.pk]):
        args = cf.next_epoch_args(circle, cf.device_of(ann), removed=(bea,))
        args["removed"] = removed
        refused(lambda args=args: services.start_epoch(ann, **args))


def test_a_new_key_of_a_member_needs_a_voucher_from_the_list_before(
    circle: Circle, ann: User, bea: User
) -> None:
    first = cf.device_of(bea)
    phone = cf.make_device(bea, vouched_by=first)
    tablet = cf.make_device(bea, vouched_by=phone)  # phone is not on list 2

    def listing(*keys: Device) -> list[tuple[User, bool, list[Device]]]:
        return [
            (user, admin, list(keys) if user == bea else found)
            for user, admin, found in cf.listed_members(circle)
        ]

    args = cf.next_epoch_args(circle, cf.device_of(ann), members=listing(first, tablet))
    assert "vouched" in refused(lambda: services.start_epoch(ann, **args))
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=listing(first, phone))
    services.start_epoch(ann, **args)
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=listing(phone, tablet))
    assert services.start_epoch(ann, **args).number == 4
    # The first device, gone from list 4, cannot come back unvouched by it.
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=listing(first))
    refused(lambda: services.start_epoch(ann, **args))
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=listing(phone))
    services.start_epoch(ann, **args)
    Device.objects.filter(pk=tablet.pk).update(voucher="")
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=listing(phone, tablet))
    refused(lambda: services.start_epoch(ann, **args))


def test_keys_are_wrapped_only_for_browsers_on_the_list(
    circle: Circle, ann: User, cal: User
) -> None:
    args = cf.next_epoch_args(circle, cf.device_of(ann))
    args["wraps"] = args["wraps"] + [(cf.device_of(cal).pk, cf.wrapped())]
    assert "browser devices on the member list" in refused(
        lambda: services.start_epoch(ann, **args)
    )


def test_rewrapping_past_periods_for_ones_own_device(
    circle: Circle, ann: User, bea: User
) -> None:
    first = cf.device_of(ann)
    phone = cf.make_device(ann, vouched_by=first)
    added = services.add_key_wraps(
        ann, circle=circle, device=phone, wraps=[(1, cf.wrapped()), (2, cf.wrapped())]
    )
    assert added == 2
    again = services.add_key_wraps(
        ann, circle=circle, device=phone, wraps=[(1, cf.wrapped())]
    )
    assert again == 0
    refused(
        lambda: services.add_key_wraps(
            ann, circle=circle, device=phone, wraps=[(5, cf.wrapped())]
        )
    )
    refused(
        lambda: services.add_key_wraps(
            ann, circle=circle, device=cf.device_of(bea), wraps=[(1, cf.wrapped())]
        )
    )
    refused(
        lambda: services.add_key_wraps(
            ann, circle=circle, device=phone, wraps=[(1, "{}")]
        )
    )


# Messages ----------------------------------------------------------------------------


def test_members_post_messages_with_rising_counters(circle: Circle, bea: User) -> None:
    message = cf.post(bea, circle, 1)
    assert (message.sender, message.epoch, message.counter) == (bea, 2, 1)
    circle.refresh_from_db()
    assert circle.last_message_at == message.created_at
    cf.post(bea, circle, 5)
    for counter in (5, 4, 1):
        refused(lambda counter=counter: cf.post(bea, circle, counter))
    cf.post(bea, circle, 6)


def test_counters_keep_rising_across_key_periods(
    circle: Circle, ann: User, bea: User
) -> None:
    cf.post(bea, circle, 3)
    cf.next_epoch(ann, circle)
    refused(lambda: cf.post(bea, circle, 2))
    assert cf.post(bea, circle, 4).epoch == 3


def test_a_message_of_a_past_key_period_is_a_conflict(
    circle: Circle, ann: User, bea: User
) -> None:
    device = cf.device_of(bea)
    old_header = cf.header(circle, device, 1)
    cf.next_epoch(ann, circle)
    refused(
        lambda: services.post_message(
            bea,
            circle=circle,
            header=old_header,
            iv=cf.random_b64u(12),
            ciphertext=cf.random_b64u(40),
            signature=cf.signature(),
        ),
        error=services.EpochConflict,
    )


def _post(user: User, circle: Circle, **changes: Any) -> Message:
    circle.refresh_from_db()
    wire = {
        "header": cf.header(circle, cf.device_of(user), 1),
        "iv": cf.random_b64u(12),
        "ciphertext": cf.random_b64u(40),
        "signature": cf.signature(),
    } | changes
    return services.post_message(user, circle=circle, **wire)


def test_a_header_is_exactly_the_one_form(circle: Circle, bea: User) -> None:
    device = cf.device_of(bea)
    fields = {"v": 1, "circle": circle.uid, "epoch": 2, "device": device.pk}
    bad = [
        json.dumps(fields | {"counter": 1}),  # spaces
        json.dumps({"counter": 1} | fields, separators=(",", ":")),
        json.dumps(fields | {"counter": 1, "x": 1}, separators=(",", ":")),
        json.dumps(fields | {"counter": True}, separators=(",", ":")),
        json.dumps(fields | {"counter": 1.0}, separators=(",", ":")),
        json.dumps(fields | {"counter": 0}, separators=(",", ":")),
        json.dumps(fields | {"counter": "1"}, separators=(",", ":")),
        json.dumps(fields | {"counter": 2**53}, separators=(",", ":")),
        json.dumps(fields | {"v": 2, "counter": 1}, separators=(",", ":")),
        "not json",
        "",
    ]
    for header in bad:
        refused(lambda header=header: _post(bea, circle, header=header))


def test_a_header_names_this_circle_and_a_period_that_exists(
    circle: Circle, group: Community, bea: User, ann: User
) -> None:
    device = cf.device_of(bea)
    other = cf.make_circle(ann, group, ())
    refused(lambda: _post(bea, circle, header=cf.header(other, device, 1, epoch=2)))
    refused(lambda: _post(bea, circle, header=cf.header(circle, device, 1, epoch=3)))


def test_the_device_is_the_posters_own_active_browser_on_the_list(
    circle: Circle, ann: User, bea: User
) -> None:
    anns = cf.device_of(ann)
    refused(lambda: _post(bea, circle, header=cf.header(circle, anns, 1)))
    later = cf.make_device(bea, vouched_by=cf.device_of(bea))
    assert "not on the circle's current member list" in refused(
        lambda: _post(bea, circle, header=cf.header(circle, later, 1))
    )
    pending = cf.make_device(bea)
    refused(lambda: _post(bea, circle, header=cf.header(circle, pending, 1)))
    services.revoke_device(bea, device=cf.device_of(bea))
    refused(lambda: _post(bea, circle, header=cf.header(circle, later, 1)))


def test_a_recovery_key_sends_no_messages(circle: Circle, ann: User) -> None:
    recovery = cf.make_recovery_key(ann, cf.device_of(ann))
    cf.next_epoch(ann, circle)
    refused(lambda: _post(ann, circle, header=cf.header(circle, recovery, 1)))


def test_only_joined_members_post(circle: Circle, ann: User, cal: User) -> None:
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    services.accept_circle_invitation(cal, membership=invited)
    cf.device_of(cal)
    refused(lambda: _post(cal, circle), error=PermissionDenied)


@pytest.mark.parametrize(
    "changes",
    [
        {"iv": cf.random_b64u(16)},
        {"iv": ""},
        {"ciphertext": cf.random_b64u(15)},
        {"ciphertext": "abc$"},
        {"signature": cf.random_b64u(70)},
    ],
    ids=["long-iv", "no-iv", "short-ct", "not-b64u", "long-sig"],
)
def test_a_message_is_well_formed(circle: Circle, bea: User, changes: Any) -> None:
    refused(lambda: _post(bea, circle, **changes))


def test_a_message_is_at_most_600000_bytes_on_the_wire(
    circle: Circle, bea: User
) -> None:
    refused(lambda: _post(bea, circle, ciphertext=cf.random_b64u(450_000)))
    assert _post(bea, circle, ciphertext=cf.random_b64u(440_000)).pk


def test_a_replay_that_slips_past_the_check_is_refused_by_the_constraint(
    circle: Circle, bea: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _post(bea, circle)
    monkeypatch.setattr(message_services, "_check_header", lambda *args: None)
    refused(lambda: _post(bea, circle))


def test_messages_are_rate_limited(
    circle: Circle, bea: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limit counts per clock minute: a slow run crossing into the next
    # minute would start a new count, so the limiter's clock stands still.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 6_000_030.0))
    for counter in range(1, MESSAGES_PER_MINUTE + 1):
        cf.post(bea, circle, counter)
    with pytest.raises(RateLimited):
        cf.post(bea, circle, 100)


# Reports -----------------------------------------------------------------------------


@pytest.fixture
def message(circle: Circle, bea: User) -> Message:
    return cf.post(bea, circle, 1)


def test_a_member_reports_a_message(
    circle: Circle, message: Message, ann: User
) -> None:
    report = services.report_message(
        ann, circle=circle, message=message, text="Canary reported text", reason="Rude"
    )
    assert (report.status, report.revealed_text, report.reason) == (
        "open",
        "Canary reported text",
        "Rude",
    )
    assert report.community_id == circle.community_id
    event = AuditEvent.objects.get(action="circles.report")
    assert (event.object_id, event.reason, event.subject) == (str(report.pk), "", None)
    assert "Canary" not in str(list(AuditEvent.objects.values()))
    refused(
        lambda: services.report_message(ann, circle=circle, message=message, text="x")
    )


def test_reports_are_refused_when_they_make_no_sense(
    circle: Circle, group: Community, message: Message, ann: User, bea: User, cal: User
) -> None:
    refused(
        lambda: services.report_message(bea, circle=circle, message=message, text="x")
    )
    refused(
        lambda: services.report_message(ann, circle=circle, message=message, text=" ")
    )
    refused(
        lambda: services.report_message(
            ann, circle=circle, message=message, text="x" * 20_001
        )
    )
    for text, reason in (("x", "r" * 501), ("\ud800", ""), ("x", "\x00")):
        refused(
            lambda text=text, reason=reason: services.report_message(
                ann, circle=circle, message=message, text=text, reason=reason
            )
        )
    refused(
        lambda: services.report_message(cal, circle=circle, message=message, text="x"),
        error=PermissionDenied,
    )
    other = cf.make_circle(cal, group, ())
    refused(
        lambda: services.report_message(cal, circle=other, message=message, text="x")
    )


def test_a_moderator_removes_a_reported_message(
    circle: Circle, message: Message, ann: User, moderator: User, cal: User
) -> None:
    first = services.report_message(ann, circle=circle, message=message, text="x")
    decided = services.decide_report(moderator, report=first, remove_message=True)
    assert (decided.status, decided.decided_by) == ("removed", moderator)
    message.refresh_from_db()
    assert (message.ciphertext, message.removed_at is not None) == ("", True)
    refused(
        lambda: services.decide_report(moderator, report=first, remove_message=False)
    )
    refused(
        lambda: services.report_message(ann, circle=circle, message=message, text="y")
    )
    assert AuditEvent.objects.filter(action="circles.report_removed").count() == 1


def test_removing_a_message_settles_every_open_report_of_it(
    circle: Circle,
    group: Community,
    message: Message,
    ann: User,
    cal: User,
    moderator: User,
) -> None:
    cf.device_of(cal)
    invited = cf.signed_invite(ann, circle=circle, invitee=cal)
    services.accept_circle_invitation(cal, membership=invited)
    cf.next_epoch(ann, circle)
    first = services.report_message(ann, circle=circle, message=message, text="x")
    second = services.report_message(cal, circle=circle, message=message, text="x")
    services.decide_report(moderator, report=second, remove_message=True)
    first.refresh_from_db()
    assert first.status == "removed"


def test_a_moderator_dismisses_a_report(
    circle: Circle, message: Message, ann: User, moderator: User
) -> None:
    report = services.report_message(ann, circle=circle, message=message, text="x")
    services.decide_report(moderator, report=report, remove_message=False)
    report.refresh_from_db()
    message.refresh_from_db()
    assert report.status == "dismissed"
    assert message.removed_at is None
    assert message.ciphertext


def test_only_moderators_with_two_factor_decide(
    circle: Circle, message: Message, ann: User, bea: User, group: Community
) -> None:
    report = services.report_message(ann, circle=circle, message=message, text="x")
    for user in (ann, bea):
        refused(
            lambda user=user: services.decide_report(
                user, report=report, remove_message=True
            ),
            error=PermissionDenied,
        )
    no_mfa = factories.make_user("Mod without 2FA")
    Membership.objects.create(
        community=group, user=no_mfa, role=Membership.Role.MODERATOR
    )
    refused(
        lambda: services.decide_report(no_mfa, report=report, remove_message=True),
        error=PermissionDenied,
    )


def test_open_reports_reach_the_moderators_only_through_the_community(
    circle: Circle, message: Message, ann: User, moderator: User, group: Community
) -> None:
    report = services.report_message(ann, circle=circle, message=message, text="x")
    assert list(access.open_reports(group)) == [report]
    found = access.get_report_for_moderator(moderator, group.slug, report.pk)
    assert found == (group, report)
    with pytest.raises(PermissionDenied):
        access.get_report_for_moderator(ann, group.slug, report.pk)


# Access ------------------------------------------------------------------------------


def test_a_circle_exists_only_for_its_seats(
    circle: Circle,
    ann: User,
    bea: User,
    cal: User,
    moderator: User,
    organiser: User,
    administrator: User,
) -> None:
    assert access.get_circle_for_member(bea, circle.uid)[0] == circle
    assert access.get_circle_for_admin(ann, circle.uid)[0] == circle
    with pytest.raises(PermissionDenied):
        access.get_circle_for_admin(bea, circle.uid)
    for user in (cal, moderator, organiser, administrator):
        for lookup in (
            access.get_circle_for_member,
            access.get_circle_for_admin,
            access.get_seat,
            access.get_circle_invitation,
        ):
            with pytest.raises(Http404):
                lookup(user, circle.uid)
    cf.signed_invite(ann, circle=circle, invitee=cal)
    assert access.get_circle_invitation(cal, circle.uid)[1].state == "invited"
    assert access.get_seat(cal, circle.uid)[0] == circle
    with pytest.raises(Http404):
        access.get_circle_for_member(cal, circle.uid)


def test_my_circles_and_invitations(
    circle: Circle, group: Community, ann: User, bea: User, cal: User
) -> None:
    cf.signed_invite(ann, circle=circle, invitee=cal)
    assert [s.circle for s in access.my_circles(bea, group)] == [circle]
    assert list(access.my_circles(cal, group)) == []
    assert [s.circle for s in access.my_circle_invitations(cal)] == [circle]
    assert [s.circle for s in access.my_circle_invitations(cal, group)] == [circle]


# Reads -------------------------------------------------------------------------------


def test_the_circle_state_takes_a_fixed_number_of_queries(
    circle: Circle,
    group: Community,
    ann: User,
    bea: User,
    django_assert_max_num_queries: Any,
) -> None:
    made = [0]

    def add_rows(count: int) -> None:
        for _ in range(count):
            made[0] += 1
            person = factories.make_user(f"Joiner {made[0]}")
            Membership.objects.create(community=group, user=person)
            first = cf.device_of(person)
            cf.make_device(person, vouched_by=first)
            invited = cf.signed_invite(ann, circle=circle, invitee=person)
            services.accept_circle_invitation(person, membership=invited)
            cf.next_epoch(ann, circle)
            cf.post(person, circle, 1)

    def fetch() -> None:
        found, membership = access.get_circle_for_member(ann, circle.uid)
        state = access.circle_state(found, membership)
        assert len(state["epochs"]) == found.current_epoch

    from kinwell.lib import ratelimit

    with ratelimit.suspended():
        assert_bounded_queries(fetch, add_rows, max_queries=5, rows=3)
    found, membership = access.get_circle_for_member(ann, circle.uid)
    with django_assert_max_num_queries(4):
        state = access.circle_state(found, membership)
    assert len(state["members"]) == 14
    assert len(state["devices"]) == 2 * 12 + 2
    assert set(state["last_counters"].values()) == {1}


# Admins -------------------------------------------------------------------------------


def test_an_admin_makes_a_member_an_admin_with_a_new_key_period(
    circle: Circle, ann: User, bea: User
) -> None:
    members = [(ann, True, cf.active_keys(ann)), (bea, True, cf.active_keys(bea))]
    args = cf.next_epoch_args(circle, cf.device_of(ann), members=members)
    epoch = services.start_epoch(ann, **args, promoted=[bea.pk])
    assert epoch.number == 3
    assert seat(bea, circle).role == CircleMembership.Role.ADMIN
    event = AuditEvent.objects.get(action="circles.promote", subject=bea)
    assert event.actor == ann


def test_making_an_admin_needs_an_admin_and_a_list_that_says_so(
    circle: Circle, group: Community, ann: User, bea: User, cal: User
) -> None:
    cf.signed_invite(ann, circle=circle, invitee=cal)
    plain = cf.next_epoch_args(circle, cf.device_of(ann))
    message = refused(lambda: services.start_epoch(ann, **plain, promoted=[bea.pk]))
    assert "admin wrong" in message
    members = [(ann, True, cf.active_keys(ann)), (bea, True, cf.active_keys(bea))]
    marked = cf.next_epoch_args(circle, cf.device_of(ann), members=members)
    assert "admin wrong" in refused(lambda: services.start_epoch(ann, **marked))
    for promoted in ([ann.pk], [cal.pk], [bea.pk, bea.pk]):
        refused(
            lambda promoted=promoted: services.start_epoch(
                ann, **marked, promoted=promoted
            )
        )
    by_bea = cf.next_epoch_args(circle, cf.device_of(bea), members=members)
    refused(
        lambda: services.start_epoch(bea, **by_bea, promoted=[bea.pk]),
        error=PermissionDenied,
    )
    assert seat(bea, circle).role == CircleMembership.Role.MEMBER
