"""Rosters: the signed member list of each epoch, and the verification of a
circle's chain of them, which every client runs before it trusts a key.

Readings of the format made here (the browser's verifyChain makes the same):
- A browser key is written `{"device","agreement","signing"}`; a recovery
  key adds `"recovery":true` and has `"agreement":""`. On reading,
  `"recovery"` is absent or true, and a key with an empty agreement key is
  a recovery key either way. Keys are the same key when device id,
  agreement and signing keys are.
- Members and keys keep the order the signer gave them: the signed string is
  what counts, and it is never re-serialised.
- Vouchers are followed upwards: from a key, to the key its Device record
  says vouched for it, and so on. Each link is a voucher signature checked
  with the vouching key as the roster lists it (the previous roster's, then
  this one's) or, for a key in neither, as the server's Device list gives
  it: safe, since the chain must still end at a key already trusted.
- Rule 3, existing members: each new key's chain must reach one of their
  keys in the previous roster (so a device restored from a backup may be
  vouched for by a recovery key that is new in the same roster).
- Rule 3, joining members: every key's chain must end at the same key with
  no voucher, which must be a browser key (trusted on first use).
- A device id is listed once in a roster and a user once; the chain starts
  at epoch 1 and has no gaps; `circle` is that of epoch 1 (or the one the
  client asked for) throughout."""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from kinwell.circles.protocol.encoding import (
    ProtocolError,
    RandBytes,
    b64u_encode,
    int_field,
    json_string,
    parse_json_object,
    text_field,
    utf8,
)
from kinwell.circles.protocol.epochs import wrap_epoch_key
from kinwell.circles.protocol.keys import sign, verify, verify_voucher


@dataclass(frozen=True)
class RosterKey:
    device: int
    agreement: str  # "" for a recovery key
    signing: str
    recovery: bool = False

    def __post_init__(self) -> None:
        if self.recovery and self.agreement:
            raise ProtocolError("A recovery key has no agreement key.")

    @property
    def is_browser(self) -> bool:
        return not self.recovery and self.agreement != ""


@dataclass(frozen=True)
class RosterMember:
    user: int
    admin: bool
    keys: tuple[RosterKey, ...]


@dataclass(frozen=True)
class Roster:
    circle: str
    epoch: int
    previous: str
    key_check: str
    members: tuple[RosterMember, ...]

    def member(self, user: int) -> RosterMember | None:
        return next((m for m in self.members if m.user == user), None)

    def find_key(self, device: int) -> tuple[RosterMember, RosterKey] | None:
        for member in self.members:
            for key in member.keys:
                if key.device == device:
                    return member, key
        return None

    def browser_key(self, device: int) -> RosterKey | None:
        found = self.find_key(device)
        return found[1] if found and found[1].is_browser else None


@dataclass(frozen=True)
class SignedEpoch:
    """An epoch as the server hands it over."""

    number: int
    roster: str
    signer: int
    signature: str


@dataclass(frozen=True)
class DeviceRecord:
    """What the server says about a key's voucher; trusted only as far as
    the voucher's signature verifies."""

    id: int
    vouched_by: int | None
    voucher: str
    agreement: str = ""
    signing: str = ""


@dataclass(frozen=True)
class VerifiedEpoch:
    number: int
    roster: Roster
    roster_string: str


@dataclass(frozen=True)
class ChainResult:
    """The epochs verified, from the first; `error` says why the next one
    (and so every later one) was refused, or is None."""

    verified: tuple[VerifiedEpoch, ...]
    error: str | None


# Writing --------------------------------------------------------------------------


def roster_string(roster: Roster | Mapping[str, Any]) -> str:
    if not isinstance(roster, Roster):
        roster = roster_from_object(dict(roster))
    return json_string(
        {
            "v": 1,
            "circle": roster.circle,
            "epoch": roster.epoch,
            "previous": roster.previous,
            "key_check": roster.key_check,
            "members": [_member_object(member) for member in roster.members],
        }
    )


def _member_object(member: RosterMember) -> dict[str, object]:
    return {
        "user": member.user,
        "admin": member.admin,
        "keys": [_key_object(key) for key in member.keys],
    }


def _key_object(key: RosterKey) -> dict[str, object]:
    value: dict[str, object] = {
        "device": key.device,
        "agreement": key.agreement,
        "signing": key.signing,
    }
    if key.recovery:
        value["recovery"] = True
    return value


def wrap_for_roster(
    key: bytes, roster: Roster, *, randbytes: RandBytes | None = None
) -> list[tuple[int, str]]:
    """The epoch key wrapped for every browser key on the roster and no
    other, as `(device id, wrapped)`: the only devices a client wraps for."""
    return [
        (
            item.device,
            wrap_epoch_key(
                key,
                item.agreement,
                roster.circle,
                roster.epoch,
                item.device,
                randbytes=randbytes,
            ),
        )
        for member in roster.members
        for item in member.keys
        if item.is_browser
    ]


def roster_hash(text: str) -> str:
    """What the next roster's `previous` holds."""
    return b64u_encode(hashlib.sha256(utf8(text)).digest())


def roster_signed_text(text: str) -> str:
    return f"kinwell-roster-v1\n{text}"


def sign_roster(private_key: ec.EllipticCurvePrivateKey, text: str) -> str:
    return sign(private_key, roster_signed_text(text))


def verify_roster_signature(signing_key: str, text: str, signature: str) -> bool:
    return verify(signing_key, signature, roster_signed_text(text))


# Reading --------------------------------------------------------------------------


def parse_roster(text: str) -> Roster:
    return roster_from_object(parse_json_object(text))


def roster_from_object(value: dict[str, object]) -> Roster:
    if value.get("v") != 1 or type(value.get("v")) is not int:
        raise ProtocolError("Not a version 1 roster.")
    members = value.get("members")
    if not isinstance(members, list):
        raise ProtocolError("The roster has no member list.")
    roster = Roster(
        circle=text_field(value, "circle"),
        epoch=int_field(value, "epoch", minimum=1),
        previous=text_field(value, "previous"),
        key_check=text_field(value, "key_check"),
        members=tuple(_member(item) for item in members),
    )
    _require_unique(roster)
    return roster


def _member(value: object) -> RosterMember:
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise ProtocolError("A roster member is not an object with keys.")
    admin = value.get("admin")
    if not isinstance(admin, bool):
        raise ProtocolError("'admin' is not true or false.")
    return RosterMember(
        user=int_field(value, "user", minimum=1),
        admin=admin,
        keys=tuple(_key(item) for item in value["keys"]),
    )


def _key(value: object) -> RosterKey:
    if not isinstance(value, dict):
        raise ProtocolError("A roster key is not an object.")
    agreement = text_field(value, "agreement")
    flag = value.get("recovery", False)
    if "recovery" in value and flag is not True:
        raise ProtocolError("'recovery' is there only to say true.")
    return RosterKey(
        device=int_field(value, "device", minimum=1),
        agreement=agreement,
        signing=text_field(value, "signing"),
        recovery=flag is True or agreement == "",
    )


def _require_unique(roster: Roster) -> None:
    users = [member.user for member in roster.members]
    devices = [key.device for member in roster.members for key in member.keys]
    if len(set(users)) != len(users) or len(set(devices)) != len(devices):
        raise ProtocolError("The roster lists a member or a key twice.")


def device_records(devices: Iterable[Mapping[str, Any]]) -> dict[int, DeviceRecord]:
    """The Device objects of `GET /api/v1/circles/{uid}`, by id."""
    return {
        int(device["id"]): DeviceRecord(
            id=int(device["id"]),
            vouched_by=device.get("vouched_by"),
            voucher=str(device.get("voucher") or ""),
            agreement=str(device.get("agreement") or ""),
            signing=str(device.get("signing") or ""),
        )
        for device in devices
    }


# Verifying the chain ----------------------------------------------------------------


def verify_chain(
    epochs: Sequence[SignedEpoch],
    devices: Mapping[int, DeviceRecord],
    *,
    circle: str | None = None,
) -> ChainResult:
    """The rules of the member-list chain (docs/circles.md), epoch by epoch
    from the first. `circle`, when given, is the circle the client asked
    for: a chain of another circle is refused from its first epoch."""
    verified: list[VerifiedEpoch] = []
    for number, signed in enumerate(sorted(epochs, key=lambda e: e.number), 1):
        previous = verified[-1] if verified else None
        try:
            roster = _check_epoch(signed, number, previous, devices, circle)
        except ProtocolError as error:
            return ChainResult(tuple(verified), f"Epoch {number}: {error}")
        verified.append(VerifiedEpoch(number, roster, signed.roster))
    return ChainResult(tuple(verified), None)


def _check_epoch(
    signed: SignedEpoch,
    number: int,
    previous: VerifiedEpoch | None,
    devices: Mapping[int, DeviceRecord],
    circle: str | None,
) -> Roster:
    roster = parse_roster(signed.roster)
    if signed.number != number or roster.epoch != number:
        raise ProtocolError("the epochs are not numbered 1, 2, 3 and so on.")
    if previous is not None:
        circle = previous.roster.circle
    if circle is not None and roster.circle != circle:
        raise ProtocolError("the member list is of another circle.")
    expected = "" if previous is None else roster_hash(previous.roster_string)
    if roster.previous != expected:
        raise ProtocolError("the member list does not follow the one before.")
    before = previous.roster if previous else None
    _check_signer(signed, roster, before)
    _check_new_keys(roster, before, devices)
    return roster


def _check_signer(signed: SignedEpoch, roster: Roster, before: Roster | None) -> None:
    # Epoch 1 is signed by its own admin; later ones by someone the
    # previous list already trusted.
    found = (before or roster).find_key(signed.signer)
    if found is None or not _may_sign(found[0], roster, before):
        raise ProtocolError("the member list is signed by a key that may not sign it.")
    if not verify_roster_signature(found[1].signing, signed.roster, signed.signature):
        raise ProtocolError("the member list's signature does not verify.")


def _may_sign(signer: RosterMember, roster: Roster, before: Roster | None) -> bool:
    if signer.admin:
        return True
    # A plain member may only take people or keys away, and only if they
    # stay in the circle themselves.
    return (
        before is not None
        and roster.member(signer.user) is not None
        and _only_removes(roster, before)
    )


def _only_removes(roster: Roster, before: Roster) -> bool:
    for member in roster.members:
        earlier = before.member(member.user)
        if earlier is None or not all(
            _listed(key, earlier.keys) for key in member.keys
        ):
            return False
        if member.admin and not earlier.admin:
            return False
    return True


def _same(one: RosterKey, other: RosterKey) -> bool:
    return (one.device, one.agreement, one.signing) == (
        other.device,
        other.agreement,
        other.signing,
    )


def _listed(key: RosterKey, keys: Iterable[RosterKey]) -> bool:
    return any(_same(key, other) for other in keys)


def _check_new_keys(
    roster: Roster, before: Roster | None, devices: Mapping[int, DeviceRecord]
) -> None:
    for member in roster.members:
        earlier = before.member(member.user) if before else None
        if earlier is None:
            _check_joiner(member, devices)
            continue
        for key in member.keys:
            if _listed(key, earlier.keys):
                continue
            reached = _follow_vouchers(member, key, earlier.keys, devices)
            if reached is None or not reached[0]:
                raise ProtocolError(
                    f"a new key (device {key.device}) of member {member.user} "
                    "is not vouched for by their earlier keys."
                )


def _check_joiner(member: RosterMember, devices: Mapping[int, DeviceRecord]) -> None:
    root: RosterKey | None = None
    for key in member.keys:
        reached = _follow_vouchers(member, key, (), devices)
        if (
            reached is None
            or reached[0]
            or not reached[1].agreement
            or (root is not None and not _same(root, reached[1]))
        ):
            raise ProtocolError(
                f"the keys of new member {member.user} do not all vouch for "
                "one another from one browser device."
            )
        root = reached[1]


def _follow_vouchers(
    member: RosterMember,
    key: RosterKey,
    anchors: tuple[RosterKey, ...],
    devices: Mapping[int, DeviceRecord],
) -> tuple[bool, RosterKey] | None:
    """Up the vouchers from `key` to an anchor, `(True, anchor)`, or to a
    key without a voucher, `(False, that key)`; None when a link is missing,
    does not verify, or loops."""
    current, seen = key, set[int]()
    while current.device not in seen:
        if _listed(current, anchors):
            return True, current
        seen.add(current.device)
        record = devices.get(current.device)
        if record is None:
            return None
        if record.vouched_by is None:
            return False, current
        by = _vouching_key(record.vouched_by, member, anchors, devices)
        if by is None or not verify_voucher(
            by.signing, record.voucher, member.user, current.agreement, current.signing
        ):
            return None
        current = by
    return None


def _vouching_key(
    device: int,
    member: RosterMember,
    anchors: tuple[RosterKey, ...],
    devices: Mapping[int, DeviceRecord],
) -> RosterKey | None:
    for key in (*anchors, *member.keys):
        if key.device == device:
            return key
    record = devices.get(device)
    if record is None:
        return None
    return RosterKey(device, record.agreement, record.signing, not record.agreement)
