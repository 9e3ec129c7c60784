"""What the API and the pages show of circles, each in a fixed number of
queries whatever the number of members, devices, key periods or messages.
Callers pass what kinwell.circles.access let them reach."""

from typing import Any

from django.db.models import Count, F, Max

from kinwell.circles.models import (
    SEATED_STATES,
    Circle,
    CircleMembership,
    Device,
    Epoch,
    KeyBackup,
    KeyWrap,
    Message,
)

MESSAGE_PAGE = 100
MAX_MESSAGE_PAGE = 200


def device_data(device: Device) -> dict[str, Any]:
    return {
        "id": device.pk,
        "user": device.user_id,
        "kind": device.kind,
        "state": device.state,
        "label": device.label,
        "agreement": device.agreement_key,
        "signing": device.signing_key,
        "vouched_by": device.vouched_by_id,
        "voucher": device.voucher,
        "created_at": device.created_at,
    }


def epoch_data(epoch: Epoch) -> dict[str, Any]:
    return {
        "number": epoch.number,
        "roster": epoch.roster,
        "signer": epoch.signer_id,
        "signature": epoch.signature,
        "sealed_meta": epoch.sealed_meta,
        "created_at": epoch.created_at,
    }


def member_data(membership: CircleMembership) -> dict[str, Any]:
    return {
        "user": membership.user_id,
        "name": membership.user.public_name,
        "role": membership.role,
        "state": membership.state,
        "invitation": invitation_data(membership),
    }


def invitation_data(membership: CircleMembership) -> dict[str, Any] | None:
    """The inviting admin's signed invitation, which admins' browsers check
    before signing the person into a member list; None for a seat nobody
    signed (the circle's creator, or one the server made up)."""
    signer = membership.invitation_signer_id
    if signer is None or membership.state not in SEATED_STATES:
        return None
    return {
        "signer": signer,
        "signature": membership.invitation_signature,
        "epoch": membership.invitation_epoch,
    }


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "header": message.header,
        "iv": message.iv,
        "ct": message.ciphertext,
        "sig": message.signature,
        "sender": message.sender_id,
        "created_at": message.created_at,
        "removed": message.removed_at is not None,
    }


def circle_state(circle: Circle, membership: CircleMembership) -> dict[str, Any]:
    """Everything a member's browser needs to check and open the circle:
    its members, every key period with its signed member list, the devices
    of everyone who holds or held a seat (in any state, for the clients to
    check vouchers), and each device's last message counter. Four queries."""
    memberships = list(
        CircleMembership.objects.filter(circle=circle)
        .select_related("user")
        .order_by("invited_at", "pk")
    )
    epochs = Epoch.objects.filter(circle=circle).order_by("number")
    devices = Device.objects.filter(
        user_id__in=[row.user_id for row in memberships]
    ).order_by("pk")
    counters = (
        Message.objects.filter(circle=circle)
        .values_list("device_id")
        .annotate(last=Max("counter"))
        .order_by()
    )
    return {
        "uid": circle.uid,
        "community": circle.community.slug,
        "me": {
            "user": membership.user_id,
            "role": membership.role,
            "state": membership.state,
        },
        "current_epoch": circle.current_epoch,
        "members": [member_data(row) for row in memberships],
        "epochs": [epoch_data(epoch) for epoch in epochs],
        "devices": [device_data(device) for device in devices],
        "last_counters": {str(device): last for device, last in counters},
    }


def circle_lists(
    seats: list[CircleMembership], invitations: list[CircleMembership]
) -> dict[str, Any]:
    """A community's circles page for one member: the circles they accepted
    or joined, with the current sealed name, and their open invitations.
    Two queries for any number of circles."""
    circle_ids = [row.circle_id for row in seats + invitations]
    joined = (
        CircleMembership.objects.filter(
            circle_id__in=circle_ids, state=CircleMembership.State.JOINED
        )
        .values_list("circle_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict(joined)
    metas = dict(
        Epoch.objects.filter(
            circle_id__in=[row.circle_id for row in seats],
            number=F("circle__current_epoch"),
        ).values_list("circle_id", "sealed_meta")
    )
    return {
        "circles": [_summary(row, counts, metas) for row in seats],
        "invitations": [_invitation(row, counts) for row in invitations],
    }


def _summary(
    seat: CircleMembership, counts: dict[int, int], metas: dict[int, str]
) -> dict[str, Any]:
    circle = seat.circle
    return {
        "uid": circle.uid,
        "role": seat.role,
        "state": seat.state,
        "members": counts.get(circle.pk, 0),
        "current_epoch": circle.current_epoch,
        "sealed_meta": metas.get(circle.pk, ""),
        "last_message_at": circle.last_message_at,
    }


def _invitation(seat: CircleMembership, counts: dict[int, int]) -> dict[str, Any]:
    inviter = seat.invited_by
    return {
        "uid": seat.circle.uid,
        "community": seat.circle.community.slug,
        "invited_by": None
        if inviter is None
        else {"user": inviter.pk, "name": inviter.public_name},
        "invited_at": seat.invited_at,
        "members": counts.get(seat.circle_id, 0),
    }


def wraps_for(circle: Circle, device: Device) -> list[dict[str, Any]]:
    """The epoch keys of `circle` wrapped for `device`, by key period."""
    rows = (
        KeyWrap.objects.filter(epoch__circle=circle, device=device)
        .order_by("epoch__number")
        .values_list("epoch__number", "wrapped")
    )
    return [{"epoch": number, "wrapped": wrapped} for number, wrapped in rows]


def messages_after(
    circle: Circle, after: int = 0, limit: int = MESSAGE_PAGE
) -> dict[str, Any]:
    """Up to `limit` messages with ids above `after`, in the order the server
    took them (which the clients' replay check follows)."""
    limit = max(1, min(limit, MAX_MESSAGE_PAGE))
    rows = list(
        Message.objects.filter(circle=circle, pk__gt=after).order_by("pk")[: limit + 1]
    )
    return {
        "messages": [message_data(row) for row in rows[:limit]],
        "more": len(rows) > limit,
    }


def my_devices(user: Any) -> dict[str, Any]:
    """A member's devices and keys, in any state, and whether they have a
    key backup (not the backup itself)."""
    devices = Device.objects.filter(user=user).order_by("created_at", "pk")
    backup = KeyBackup.objects.filter(user=user).values_list("updated_at", flat=True)
    updated_at = backup.first()
    return {
        "devices": [device_data(device) for device in devices],
        "backup": {"exists": updated_at is not None, "updated_at": updated_at},
    }


def backup_data(backup: KeyBackup) -> dict[str, Any]:
    return {
        "blob": backup.blob,
        "recovery_device": backup.recovery_device_id,
        "updated_at": backup.updated_at,
    }
