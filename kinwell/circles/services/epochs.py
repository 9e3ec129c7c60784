"""Key periods (epochs): a circle's signed member list and the epoch key
wrapped for each device on it.

The server cannot check signatures, but it checks everything else the
clients will: a member list that links to the one before, lists exactly the
people who are in the circle with their own active keys, and is signed by a
key the clients will accept. A list the clients would refuse would close the
circle to everyone from that period on, so the server refuses it first."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.circles.models import (
    SEATED_STATES,
    Circle,
    CircleMembership,
    Device,
    Epoch,
    KeyWrap,
)
from kinwell.circles.services import formats
from kinwell.circles.services.common import (
    EpochConflict,
    joined_seat,
    limit_changes,
    locked_circle,
    own_active_key,
    require_distinct,
    store_wraps,
)
from kinwell.circles.services.formats import Roster
from kinwell.lib import audit

JOINED = CircleMembership.State.JOINED
ACCEPTED = CircleMembership.State.ACCEPTED


@dataclass
class EpochPost:
    """A new key period as a client sends it."""

    number: int
    roster: str
    signer: Device
    signature: str
    sealed_meta: str
    wraps: list[tuple[int, str]]
    removed: list[int] = field(default_factory=list)
    promoted: list[int] = field(default_factory=list)


@transaction.atomic
def start_epoch(
    actor: User,
    *,
    circle: Circle,
    number: int,
    roster: str,
    signer: Device,
    signature: str,
    sealed_meta: str,
    wraps: list[tuple[int, str]],
    removed: list[int] | tuple[int, ...] = (),
    promoted: list[int] | tuple[int, ...] = (),
) -> Epoch:
    """Key period `number` (the current one + 1, else EpochConflict), posted
    by a joined member. Members who accepted and are on the list join; the
    members in `removed` (admins only) leave the circle with this period;
    those in `promoted` (admins only; the list marks them admin) become
    circle admins with it."""
    limit_changes(actor)
    circle = locked_circle(circle)
    seat = joined_seat(actor, circle)
    if number != circle.current_epoch + 1:
        raise EpochConflict()
    post = EpochPost(
        number,
        roster,
        signer,
        signature,
        sealed_meta,
        wraps,
        list(removed),
        list(promoted),
    )
    seats = _seats_of(circle)
    removed_seats = _removed_seats(seat, seats, post.removed)
    promoted_seats = _promoted_seats(seat, seats, post)
    previous = Epoch.objects.get(circle=circle, number=circle.current_epoch)
    parsed = check_epoch(actor, circle, post, seats=seats, previous=previous)
    epoch = save_epoch(circle, post)
    _join_listed(seats, parsed)
    _remove(actor, removed_seats)
    _promote(actor, promoted_seats)
    return epoch


def check_epoch(
    actor: User,
    circle: Circle,
    post: EpochPost,
    *,
    seats: dict[int, CircleMembership],
    previous: Epoch | None,
) -> Roster:
    """The parsed member list of `post`, if every rule the clients apply
    holds; ValidationError otherwise."""
    post.signer = own_active_key(actor, post.signer, "signer")
    formats.signature(post.signature, "signature")
    formats.sealed_meta(post.sealed_meta)
    roster = formats.parse_roster(post.roster)
    if roster.circle != circle.uid or roster.epoch != post.number:
        raise formats.invalid(
            "roster", "The member list names another circle or key period."
        )
    removed = set(post.removed)
    _check_members(roster, seats, removed, set(post.promoted))
    devices = _check_keys(roster)
    prior = None if previous is None else formats.parse_roster(previous.roster)
    _check_link(roster, previous)
    _check_signer(roster, prior, post.signer)
    if prior is not None:
        _check_vouchers(roster, prior, devices)
    _check_wraps(roster, post.wraps)
    return roster


def save_epoch(circle: Circle, post: EpochPost) -> Epoch:
    try:
        with transaction.atomic():
            epoch = Epoch.objects.create(
                community_id=circle.community_id,
                circle=circle,
                number=post.number,
                roster=post.roster,
                signer=post.signer,
                signature=post.signature,
                sealed_meta=post.sealed_meta,
            )
    except IntegrityError:
        raise EpochConflict() from None
    store_wraps_by_device(epoch, post.wraps)
    circle.current_epoch = post.number
    circle.save(update_fields=["current_epoch"])
    return epoch


def store_wraps_by_device(epoch: Epoch, wraps: list[tuple[int, str]]) -> None:
    # A new period has no wrapped keys yet, and the devices were checked
    # against its member list.
    KeyWrap.objects.bulk_create(
        KeyWrap(
            community_id=epoch.community_id,
            epoch=epoch,
            device_id=device_id,
            wrapped=wrapped,
        )
        for device_id, wrapped in wraps
    )


@transaction.atomic
def add_key_wraps(
    actor: User, *, circle: Circle, device: Device, wraps: list[tuple[int, str]]
) -> int:
    """Epoch keys of `circle` wrapped again for `device`, one of `actor`'s
    own browsers (a device they approved later than those periods began).
    Periods it has a key for already are skipped; returns how many were added."""
    limit_changes(actor)
    joined_seat(actor, circle)
    device = own_active_key(actor, device, "device", browser_only=True)
    numbers = [number for number, _ in wraps]
    require_distinct(numbers, "wraps", "A key period")
    epochs = {
        e.number: e for e in Epoch.objects.filter(circle=circle, number__in=numbers)
    }
    if len(epochs) != len(set(numbers)):
        raise ValidationError(
            {"wraps": "A wrapped key names no key period of this circle."}
        )
    checked = [
        (epochs[number], formats.wrapped_key(wrapped)) for number, wrapped in wraps
    ]
    return store_wraps(device, checked)


# Members -----------------------------------------------------------------------------


def _seats_of(circle: Circle) -> dict[int, CircleMembership]:
    rows = CircleMembership.objects.filter(circle=circle, state__in=SEATED_STATES)
    return {row.user_id: row for row in rows.select_related("user")}


def _removed_seats(
    seat: CircleMembership, seats: dict[int, CircleMembership], removed: list[int]
) -> list[CircleMembership]:
    if not removed:
        return []
    if not seat.is_admin:
        raise PermissionDenied("Only the circle's admins can remove members.")
    require_distinct(removed, "removed", "A member")
    if seat.user_id in removed:
        raise ValidationError({"removed": "To go, leave the circle instead."})
    if not set(removed) <= set(seats):
        raise ValidationError({"removed": "Only members of the circle can be removed."})
    return [seats[user_id] for user_id in removed]


def _promoted_seats(
    seat: CircleMembership, seats: dict[int, CircleMembership], post: EpochPost
) -> list[CircleMembership]:
    if not post.promoted:
        return []
    if not seat.is_admin:
        raise PermissionDenied("Only the circle's admins can make someone an admin.")
    require_distinct(post.promoted, "promoted", "A member")
    found = [seats.get(user_id) for user_id in post.promoted]
    chosen = [
        row for row in found if row is not None and row.state in (JOINED, ACCEPTED)
    ]
    if len(chosen) != len(found) or set(post.promoted) & set(post.removed):
        raise ValidationError(
            {"promoted": "Only members of the circle can be made admins."}
        )
    if any(row.is_admin for row in chosen):
        raise ValidationError({"promoted": "This member is a circle admin already."})
    return chosen


def _check_members(
    roster: Roster,
    seats: dict[int, CircleMembership],
    removed: set[int],
    promoted: set[int],
) -> None:
    listed = set()
    for member in roster.members:
        seat = seats.get(member.user)
        if (
            seat is None
            or seat.state not in (JOINED, ACCEPTED)
            or member.user in removed
        ):
            raise formats.invalid(
                "roster", "The member list names someone who is not in the circle."
            )
        if member.admin != (seat.is_admin or member.user in promoted):
            raise formats.invalid("roster", "The member list gets an admin wrong.")
        listed.add(member.user)
    if promoted - listed:
        raise formats.invalid(
            "promoted", "Someone made an admin is not on the member list."
        )
    joined = {user_id for user_id, seat in seats.items() if seat.state == JOINED}
    if joined - removed - listed:
        raise formats.invalid(
            "roster", "The member list leaves out a member who is still in the circle."
        )


def _check_keys(roster: Roster) -> dict[int, Device]:
    """The devices the list names: each an active key of the member it is
    listed under, with the public keys the server has for it."""
    devices = Device.objects.in_bulk([key.device for _member, key in roster.keys])
    for member, key in roster.keys:
        device = devices.get(key.device)
        if (
            device is None
            or device.user_id != member.user
            or device.state != Device.State.ACTIVE
            or device.agreement_key != key.agreement
            or device.signing_key != key.signing
            or (device.kind == Device.Kind.RECOVERY) != key.recovery
        ):
            raise formats.invalid(
                "roster",
                "The member list names a key that is not an active key of that "
                "member, as registered.",
            )
    return devices


def _check_link(roster: Roster, previous: Epoch | None) -> None:
    expected = "" if previous is None else formats.digest_of(previous.roster)
    if roster.previous != expected:
        raise formats.invalid(
            "roster", "The member list does not link to the circle's current one."
        )


def _check_signer(roster: Roster, prior: Roster | None, signer: Device) -> None:
    """Signed by a key of an admin on the list before (on this list, for the
    first); or, for a list that only takes people or keys away, by a key of
    someone on the list before who stays."""
    if prior is None:
        signer_member = roster.member_of(signer.pk)
        if signer_member is not None and signer_member.admin:
            return
    else:
        signer_member = prior.member_of(signer.pk)
        if signer_member is not None and signer_member.admin:
            return
        stays = signer_member is not None and signer_member.user in roster.by_user
        if stays and _only_removes(prior, roster):
            return
    raise formats.invalid(
        "signer",
        "Sign the member list with a key on the current list: an admin's, or any "
        "staying member's when the list only removes people or keys.",
    )


def _only_removes(prior: Roster, roster: Roster) -> bool:
    before = prior.by_user
    for member in roster.members:
        old = before.get(member.user)
        if old is None or (member.admin and not old.admin):
            return False
        if not member.device_ids <= old.device_ids:
            return False
    return True


def _check_vouchers(roster: Roster, prior: Roster, devices: dict[int, Device]) -> None:
    """A key new to a member who was on the list before is vouched for by one
    of their keys on it; the clients check the voucher's signature."""
    before = prior.by_user
    for member in roster.members:
        old = before.get(member.user)
        if old is None:
            continue  # joining: trusted on first use
        for device_id in member.device_ids - old.device_ids:
            device = devices[device_id]
            if device.vouched_by_id not in old.device_ids or not device.voucher:
                raise formats.invalid(
                    "roster",
                    "A new key of a member must be vouched for by one of their keys "
                    "on the current member list.",
                )


def _check_wraps(roster: Roster, wraps: list[tuple[int, str]]) -> None:
    require_distinct([device_id for device_id, _ in wraps], "wraps", "A device")
    browsers = roster.browser_device_ids
    for device_id, wrapped in wraps:
        if device_id not in browsers:
            raise formats.invalid(
                "wraps", "Keys are wrapped only for browser devices on the member list."
            )
        formats.wrapped_key(wrapped)


def _join_listed(seats: dict[int, CircleMembership], roster: Roster) -> None:
    now = timezone.now()
    waiting = [
        seats[member.user].pk
        for member in roster.members
        if seats[member.user].state == ACCEPTED
    ]
    CircleMembership.objects.filter(pk__in=waiting, state=ACCEPTED).update(
        state=JOINED, joined_at=now
    )


def _promote(actor: User, promoted: list[CircleMembership]) -> None:
    for seat in promoted:
        seat.role = CircleMembership.Role.ADMIN
        seat.save(update_fields=["role"])
        audit.record(actor, "circles.promote", seat, subject=seat.user)


def _remove(actor: User, removed: list[CircleMembership]) -> None:
    now = timezone.now()
    for seat in removed:
        seat.state = CircleMembership.State.REMOVED
        seat.ended_at = now
        seat.save(update_fields=["state", "ended_at"])
        audit.record(actor, "circles.remove", seat, subject=seat.user)
