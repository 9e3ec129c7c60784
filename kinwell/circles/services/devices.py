"""A member's circle keys: their browsers' devices, their recovery key and
their key backup.

A member's first device is trusted on first use. Any later one is active
only with a voucher from another of their active keys (the clients check the
voucher's signature); without one it waits until one of their devices
approves it. A member who has lost every key starts afresh with a device
trusted on first use, which the clients of their circles will not take for
theirs without a voucher: they get back in by being invited again."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.circles.models import Circle, CircleMembership, Device, Epoch, KeyBackup
from kinwell.circles.services import formats
from kinwell.circles.services.common import (
    MAX_LABEL,
    limit_changes,
    own_active_key,
    storable,
    store_wraps,
)
from kinwell.lib import audit

# Browsers and recovery keys waiting or in use, per member.
MAX_OPEN_DEVICES = 10
MAX_WRAPS_PER_APPROVAL = 5_000
OPEN_STATES = (Device.State.PENDING, Device.State.ACTIVE)


@transaction.atomic
def register_device(
    actor: User,
    *,
    label: str,
    agreement_key: str,
    signing_key: str,
    kind: str = Device.Kind.BROWSER,
    vouched_by: Device | None = None,
    voucher: str = "",
) -> Device:
    """A new device (or recovery key) of `actor`: active at once if it is
    their only key, or vouched for by one of their active keys; otherwise
    pending until one of their devices approves it. A recovery key is always
    vouched for, by one of their browsers."""
    limit_changes(actor)
    agreement, signing = _keys(kind, agreement_key, signing_key)
    label = _label(label)
    _lock_devices_of(actor)
    _require_room(actor)
    _require_new_keys(agreement, signing)
    if vouched_by is None and (voucher or kind == Device.Kind.RECOVERY):
        raise ValidationError(
            {"vouched_by": "Say which of your devices vouches for this key."}
        )
    state = Device.State.ACTIVE
    if vouched_by is not None:
        recovery = kind == Device.Kind.RECOVERY
        vouched_by = own_active_key(
            actor, vouched_by, "vouched_by", browser_only=recovery
        )
        voucher = formats.signature(voucher, "voucher", "The voucher")
    elif _has_active_key(actor):
        state = Device.State.PENDING
    device = Device.objects.create(
        user=actor,
        kind=kind,
        state=state,
        label=label,
        agreement_key=agreement,
        signing_key=signing,
        vouched_by=vouched_by,
        voucher=voucher,
    )
    audit.record(actor, "circles.device_add", device, subject=actor)
    return device


@transaction.atomic
def approve_device(
    actor: User,
    *,
    device: Device,
    vouched_by: Device,
    voucher: str,
    wraps: list[tuple[str, int, str]],
) -> Device:
    """One of `actor`'s active keys vouches for their pending `device`, and
    hands it the epoch keys of their circles: `wraps` are (circle uid, epoch
    number, wrapped key) for the circles `actor` has joined."""
    limit_changes(actor)
    device = _own_locked(actor, device)
    if device.state != Device.State.PENDING:
        raise ValidationError("Only a device waiting for approval can be approved.")
    vouched_by = own_active_key(actor, vouched_by, "vouched_by")
    if vouched_by.pk == device.pk:
        raise ValidationError({"vouched_by": "A device cannot vouch for itself."})
    device.voucher = formats.signature(voucher, "voucher", "The voucher")
    device.vouched_by = vouched_by
    device.state = Device.State.ACTIVE
    device.save(update_fields=["voucher", "vouched_by", "state"])
    store_wraps(device, _epochs_for(actor, wraps))
    audit.record(actor, "circles.device_approve", device, subject=actor)
    return device


@transaction.atomic
def revoke_device(actor: User, *, device: Device) -> Device:
    """`device` may no longer sign or receive keys. Each circle whose current
    member list names it needs a new key period: the next member's device
    that opens the circle starts one."""
    limit_changes(actor)
    device = _own_locked(actor, device)
    if device.state == Device.State.REVOKED:
        raise ValidationError("This device has already been removed.")
    device.state = Device.State.REVOKED
    device.revoked_at = timezone.now()
    device.save(update_fields=["state", "revoked_at"])
    audit.record(actor, "circles.device_revoke", device, subject=actor)
    return device


@transaction.atomic
def save_key_backup(actor: User, *, blob: str, recovery_device: Device) -> KeyBackup:
    """Stores `actor`'s backup, encrypted in their browser, as it is. A backup
    under a new recovery key (a new passphrase) retires the old keys: the old
    backup is gone, and its recovery key must vouch for nothing any more."""
    limit_changes(actor)
    recovery = own_active_key(actor, recovery_device, "recovery_device")
    if recovery.kind != Device.Kind.RECOVERY:
        raise ValidationError({"recovery_device": "Name your recovery key."})
    blob = formats.key_backup(blob)
    backup, _created = KeyBackup.objects.update_or_create(
        user=actor,
        defaults={
            "blob": blob,
            "recovery_device": recovery,
            "updated_at": timezone.now(),
        },
    )
    retired = Device.objects.filter(
        user=actor, kind=Device.Kind.RECOVERY, state__in=OPEN_STATES
    ).exclude(pk=recovery.pk)
    retired.update(state=Device.State.REVOKED, revoked_at=timezone.now())
    return backup


def _keys(kind: str, agreement_key: str, signing_key: str) -> tuple[str, str]:
    if kind not in Device.Kind.values:
        raise ValidationError({"kind": "Choose browser or recovery."})
    signing = formats.public_key(signing_key, "signing", "The signing key")
    if kind == Device.Kind.RECOVERY:
        if agreement_key:
            raise ValidationError(
                {"agreement": "A recovery key has no key-agreement key."}
            )
        return "", signing
    what = "The key-agreement key"
    return formats.public_key(agreement_key, "agreement", what), signing


def _label(label: str) -> str:
    label = label.strip() if isinstance(label, str) else ""
    if len(label) > MAX_LABEL:
        raise ValidationError({"label": "Keep the name under 80 characters."})
    if not storable(label):
        raise ValidationError(
            {"label": "The name has a character that cannot be stored."}
        )
    return label


def _lock_devices_of(actor: User) -> None:
    # Two first devices registered at once must not both be trusted on first
    # use: the member's row serialises their registrations.
    User.objects.select_for_update().filter(pk=actor.pk).first()


def _require_room(actor: User) -> None:
    count = Device.objects.filter(user=actor, state__in=OPEN_STATES).count()
    if count >= MAX_OPEN_DEVICES:
        raise ValidationError(
            f"You have {MAX_OPEN_DEVICES} devices and keys already. Remove one you "
            "no longer use first."
        )


def _require_new_keys(agreement: str, signing: str) -> None:
    taken = Device.objects.filter(signing_key=signing)
    if agreement:
        taken = taken | Device.objects.filter(agreement_key=agreement)
    if taken.exists():
        raise ValidationError("These keys are registered already. Make new ones.")


def _has_active_key(actor: User) -> bool:
    return Device.objects.filter(user=actor, state=Device.State.ACTIVE).exists()


def _own_locked(actor: User, device: Device) -> Device:
    found = Device.objects.select_for_update().filter(pk=device.pk).first()
    if found is None or found.user_id != actor.pk:
        raise PermissionDenied("This is not one of your devices.")
    return found


def _epochs_for(
    actor: User, wraps: list[tuple[str, int, str]]
) -> list[tuple[Epoch, str]]:
    """The epochs named by (circle uid, number, wrapped) of circles `actor`
    has joined, with their checked wrapped keys, in three queries."""
    if len(wraps) > MAX_WRAPS_PER_APPROVAL:
        raise ValidationError({"wraps": "Too many wrapped keys at once."})
    keys = [(uid, number) for uid, number, _ in wraps]
    if len(set(keys)) != len(keys):
        raise ValidationError({"wraps": "A key period appears twice."})
    joined = CircleMembership.objects.filter(
        user=actor, state=CircleMembership.State.JOINED
    )
    circles = dict(
        Circle.objects.filter(
            uid__in={uid for uid, _ in keys},
            pk__in=joined.values("circle_id"),
        ).values_list("uid", "pk")
    )
    epochs = {
        (epoch.circle_id, epoch.number): epoch
        for epoch in Epoch.objects.filter(
            circle_id__in=circles.values(), number__in={n for _, n in keys}
        )
    }
    found = []
    for uid, number, wrapped in wraps:
        epoch = epochs.get((circles.get(uid, 0), number))
        if epoch is None:
            raise ValidationError(
                {"wraps": "A wrapped key names a key period of none of your circles."}
            )
        found.append((epoch, formats.wrapped_key(wrapped)))
    return found
