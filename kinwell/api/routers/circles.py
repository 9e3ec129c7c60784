"""Circles: a member's devices and key backup, the circles of a community,
one circle's keys and member lists, its messages, invitations and reports.
Each operation makes the same access and service calls as the website.

A circle answers 404 to everyone without a seat in it, moderators and
administrators included; 403 to a member who is not an admin where an admin
is needed; 409 when another key period came first. The server stores what
the browsers send and checks what it can (kinwell.circles.services); it
never reads a message or logs a body."""

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Status

from kinwell.accounts.models import User
from kinwell.api.auth import current_user
from kinwell.api.errors import error_body, errors
from kinwell.api.schemas.circles import (
    CircleApproveIn,
    CircleBackupIn,
    CircleBackupOut,
    CircleCreateIn,
    CircleDeviceIn,
    CircleDeviceOut,
    CircleDevicesOut,
    CircleEpochIn,
    CircleEpochOut,
    CircleInviteIn,
    CircleListOut,
    CircleMemberOut,
    CircleMessageIn,
    CircleMessageOut,
    CircleMessagesOut,
    CircleMessagesQuery,
    CircleOut,
    CircleReportIn,
    CircleReportOut,
    CircleRewrapIn,
    CircleRewrapOut,
    CircleWrapsOut,
    CircleWrapsQuery,
)
from kinwell.api.schemas.fields import MAX_ID, max_length
from kinwell.circles import access, reads, services
from kinwell.circles.models import Device, KeyBackup
from kinwell.communities import access as community_access
from kinwell.communities.models import Community

router = Router(tags=["circles"])

DeviceId = Annotated[int, Path(ge=1, le=MAX_ID)]
Uid = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]

READ = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)
EPOCH_WRITE = errors(400, 401, 403, 404, 409, 422, 429)


def _device_in_body(user: User, device_id: int, field: str) -> Device:
    """A device named in a request body: one of the caller's, or a 400 (the
    route itself exists)."""
    try:
        return access.get_own_device(user, device_id)
    except Http404:
        raise ValidationError({field: "Name one of your own devices."}) from None


def _conflict(exc: services.EpochConflict) -> Status[dict[str, Any]]:
    return Status(409, error_body("epoch_conflict", " ".join(exc.messages)))


# Devices and the key backup ----------------------------------------------------------


@router.get(
    "/me/circle-devices",
    response={200: CircleDevicesOut, **READ},
    summary="Your devices and keys for circles, and whether you have a key backup",
)
def list_circle_devices(request: HttpRequest) -> dict[str, Any]:
    return reads.my_devices(current_user(request))


@router.post(
    "/me/circle-devices",
    response={201: CircleDeviceOut, **WRITE},
    summary="Register this browser's public keys, or a recovery key",
    description="Your first device is active at once. A later one is active if "
    "one of your active keys vouches for it; otherwise it waits for approval "
    "from one of your devices.",
)
def register_circle_device(
    request: HttpRequest, payload: CircleDeviceIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    device = services.register_device(
        user,
        label=payload.label,
        agreement_key=payload.agreement,
        signing_key=payload.signing,
        kind=payload.kind,
        vouched_by=None
        if payload.vouched_by is None
        else _device_in_body(user, payload.vouched_by, "vouched_by"),
        voucher=payload.voucher,
    )
    return Status(201, reads.device_data(device))


@router.post(
    "/me/circle-devices/{device_id}/approve",
    response={200: CircleDeviceOut, **WRITE},
    summary="Approve a device waiting for approval, and pass it your circles' keys",
)
def approve_circle_device(
    request: HttpRequest, device_id: DeviceId, payload: CircleApproveIn
) -> dict[str, Any]:
    user = current_user(request)
    device = services.approve_device(
        user,
        device=access.get_own_device(user, device_id),
        vouched_by=_device_in_body(user, payload.vouched_by, "vouched_by"),
        voucher=payload.voucher,
        wraps=[(wrap.circle, wrap.epoch, wrap.wrapped) for wrap in payload.wraps],
    )
    return reads.device_data(device)


@router.post(
    "/me/circle-devices/{device_id}/revoke",
    response={200: CircleDeviceOut, **WRITE},
    summary="Remove a device or key: it no longer signs or receives keys",
)
def revoke_circle_device(request: HttpRequest, device_id: DeviceId) -> dict[str, Any]:
    user = current_user(request)
    device = services.revoke_device(user, device=access.get_own_device(user, device_id))
    return reads.device_data(device)


@router.get(
    "/me/circle-backup",
    response={200: CircleBackupOut, **READ},
    summary="Your key backup, encrypted under your passphrase (404 if none)",
)
def get_circle_backup(request: HttpRequest) -> dict[str, Any]:
    backup = KeyBackup.objects.filter(user=current_user(request)).first()
    if backup is None:
        raise Http404("No backup")
    return reads.backup_data(backup)


@router.put(
    "/me/circle-backup",
    response={200: CircleBackupOut, **WRITE},
    summary="Store your key backup, encrypted in your browser",
)
def put_circle_backup(request: HttpRequest, payload: CircleBackupIn) -> dict[str, Any]:
    user = current_user(request)
    backup = services.save_key_backup(
        user,
        blob=payload.blob,
        recovery_device=_device_in_body(
            user, payload.recovery_device, "recovery_device"
        ),
    )
    return reads.backup_data(backup)


# A community's circles ---------------------------------------------------------------


@router.get(
    "/communities/{slug}/circles",
    response={200: CircleListOut, **READ},
    summary="Your circles in a community, and your invitations to its circles",
)
def list_circles(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    user = current_user(request)
    community, _ = community_access.get_community_for_member(user, slug)
    return reads.circle_lists(
        list(access.my_circles(user, community)),
        list(access.my_circle_invitations(user, community)),
    )


@router.post(
    "/communities/{slug}/circles",
    response={201: CircleOut, **WRITE},
    summary="Create a circle, with its first signed member list",
)
def create_circle(
    request: HttpRequest, slug: Slug, payload: CircleCreateIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    community, _ = community_access.get_community_for_member(user, slug)
    circle = services.create_circle(
        user,
        community=community,
        uid=payload.uid,
        roster=payload.roster,
        signer=_device_in_body(user, payload.signer, "signer"),
        signature=payload.signature,
        sealed_meta=payload.sealed_meta,
        wraps=[(wrap.device, wrap.wrapped) for wrap in payload.wraps],
    )
    found, membership = access.get_circle_for_member(user, circle.uid)
    return Status(201, access.circle_state(found, membership))


# One circle --------------------------------------------------------------------------


@router.get(
    "/circles/{uid}",
    response={200: CircleOut, **READ},
    summary="A circle: members, key periods with signed member lists, devices",
)
def get_circle(request: HttpRequest, uid: Uid) -> dict[str, Any]:
    circle, membership = access.get_seat(current_user(request), uid)
    return access.circle_state(circle, membership)


@router.get(
    "/circles/{uid}/wraps",
    response={200: CircleWrapsOut, **READ},
    summary="The circle's epoch keys wrapped for one of your devices",
)
def list_circle_wraps(
    request: HttpRequest, uid: Uid, query: Query[CircleWrapsQuery]
) -> dict[str, Any]:
    user = current_user(request)
    circle, _ = access.get_circle_for_member(user, uid)
    device = access.get_own_device(user, query.device)
    if device.state != Device.State.ACTIVE:
        return {"wraps": []}
    return {"wraps": reads.wraps_for(circle, device)}


@router.post(
    "/circles/{uid}/epochs",
    response={201: CircleEpochOut, **EPOCH_WRITE},
    summary="Start the next key period (409 if another came first)",
    description="Removing members, or making them circle admins (admins only), "
    "is a new key period that leaves them out, or lists them as admins.",
)
def start_circle_epoch(
    request: HttpRequest, uid: Uid, payload: CircleEpochIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    circle, _ = access.get_circle_for_member(user, uid)
    try:
        epoch = services.start_epoch(
            user,
            circle=circle,
            number=payload.number,
            roster=payload.roster,
            signer=_device_in_body(user, payload.signer, "signer"),
            signature=payload.signature,
            sealed_meta=payload.sealed_meta,
            wraps=[(wrap.device, wrap.wrapped) for wrap in payload.wraps],
            removed=payload.removed,
            promoted=payload.promoted,
        )
    except services.EpochConflict as exc:
        return _conflict(exc)
    return Status(201, reads.epoch_data(epoch))


@router.post(
    "/circles/{uid}/wraps",
    response={200: CircleRewrapOut, **WRITE},
    summary="Wrap past epoch keys again for one of your own devices",
)
def add_circle_wraps(
    request: HttpRequest, uid: Uid, payload: CircleRewrapIn
) -> dict[str, Any]:
    user = current_user(request)
    circle, _ = access.get_circle_for_member(user, uid)
    added = services.add_key_wraps(
        user,
        circle=circle,
        device=access.get_own_device(user, payload.device),
        wraps=[(wrap.epoch, wrap.wrapped) for wrap in payload.wraps],
    )
    return {"added": added}


@router.get(
    "/circles/{uid}/messages",
    response={200: CircleMessagesOut, **READ},
    summary="Messages after an id, in the order the server took them",
)
def list_circle_messages(
    request: HttpRequest, uid: Uid, query: Query[CircleMessagesQuery]
) -> dict[str, Any]:
    circle, _ = access.get_circle_for_member(current_user(request), uid)
    return reads.messages_after(circle, query.after, query.limit)


@router.post(
    "/circles/{uid}/messages",
    response={201: CircleMessageOut, **EPOCH_WRITE},
    summary="Post an encrypted, signed message (409 if the keys changed)",
)
def post_circle_message(
    request: HttpRequest, uid: Uid, payload: CircleMessageIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    circle, _ = access.get_circle_for_member(user, uid)
    try:
        message = services.post_message(
            user,
            circle=circle,
            header=payload.header,
            iv=payload.iv,
            ciphertext=payload.ct,
            signature=payload.sig,
        )
    except services.EpochConflict as exc:
        return _conflict(exc)
    return Status(201, reads.message_data(message))


@router.post(
    "/circles/{uid}/invitations",
    response={201: CircleMemberOut, **WRITE},
    summary="Invite a member of the community (circle admins)",
    description="Signed by your browser device on the circle's current member "
    "list: other admins' browsers sign in only people whose invitation verifies.",
)
def invite_to_circle(
    request: HttpRequest, uid: Uid, payload: CircleInviteIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    circle, _ = access.get_circle_for_admin(user, uid)
    invitee = User.objects.filter(pk=payload.user, is_active=True).first()
    if invitee is None:
        raise ValidationError({"user": "Only members of the community can be invited."})
    seat = services.invite_to_circle(
        user,
        circle=circle,
        invitee=invitee,
        signer=_device_in_body(user, payload.signer, "signer"),
        signature=payload.signature,
    )
    return Status(201, reads.member_data(seat))


@router.post(
    "/circles/{uid}/accept",
    response={200: CircleMemberOut, **WRITE},
    summary="Accept an invitation: you join when an admin's device signs you in",
)
def accept_circle(request: HttpRequest, uid: Uid) -> dict[str, Any]:
    user = current_user(request)
    _, seat = access.get_circle_invitation(user, uid)
    return reads.member_data(services.accept_circle_invitation(user, membership=seat))


@router.post(
    "/circles/{uid}/decline",
    response={200: CircleMemberOut, **WRITE},
    summary="Decline an invitation",
)
def decline_circle(request: HttpRequest, uid: Uid) -> dict[str, Any]:
    user = current_user(request)
    _, seat = access.get_circle_invitation(user, uid)
    return reads.member_data(services.decline_circle_invitation(user, membership=seat))


@router.post(
    "/circles/{uid}/leave",
    response={200: CircleMemberOut, **WRITE},
    summary="Leave a circle",
)
def leave_circle(request: HttpRequest, uid: Uid) -> dict[str, Any]:
    user = current_user(request)
    _, seat = access.get_seat(user, uid)
    return reads.member_data(services.leave_circle(user, membership=seat))


@router.post(
    "/circles/{uid}/reports",
    response={201: CircleReportOut, **WRITE},
    summary="Report a message to the community's moderators, revealing its text",
    description="Only `text`, as you send it, and your reason reach the moderators.",
)
def report_circle_message(
    request: HttpRequest, uid: Uid, payload: CircleReportIn
) -> Status[Any]:
    user = current_user(request)
    circle, _ = access.get_circle_for_member(user, uid)
    try:
        message = access.get_message_in_circle(circle, payload.message)
    except Http404:
        raise ValidationError({"message": "There is no such message here."}) from None
    report = services.report_message(
        user, circle=circle, message=message, text=payload.text, reason=payload.reason
    )
    return Status(201, report)
