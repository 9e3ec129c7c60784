"""Checks of the values the server keeps without being able to read them:
public keys, signatures, wrapped keys, sealed text, key backups, member lists
and message headers (docs/circles.md describes each format).

The server verifies no signature and opens nothing; the clients do. It only
makes sure that each value is well formed, so that no client ever meets a
value no client could have made, and it reads no more of a member list or a
message header than the fields it checks."""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.core.exceptions import ValidationError

from kinwell.circles.models import MAX_CIRCLE_MEMBERS

_B64U = re.compile(r"[A-Za-z0-9_-]*")
# A P-256 public key as SubjectPublicKeyInfo: 91 bytes uncompressed.
MAX_PUBLIC_KEY_BYTES = 120
SIGNATURE_BYTES = 64  # ECDSA P-256 as r||s, as Web Crypto makes it
IV_BYTES = 12
TAG_BYTES = 16
EPOCH_KEY_BYTES = 32
DIGEST_BYTES = 32
UID_BYTES = 16
SALT_BYTES = 16
BACKUP_ITERATIONS = 600_000
# Integers the browsers read exactly (JavaScript's Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1
MAX_EPOCH = 2**31 - 1

MAX_KEYS_PER_MEMBER = 12
MAX_ROSTER_CHARS = 250_000
MAX_SEALED_META_CHARS = 12_000
MAX_WRAPPED_CHARS = 400
MAX_HEADER_CHARS = 400
MAX_MESSAGE_BYTES = 600_000
MAX_BACKUP_CHARS = 2_000_000


def invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64u_bytes(value: object, field: str, what: str) -> bytes:
    """The bytes of a base64url value without padding, written the one way
    an encoder writes them."""
    if not isinstance(value, str) or not _B64U.fullmatch(value):
        raise invalid(field, f"{what} is not base64url text.")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise invalid(field, f"{what} is not base64url text.") from None
    if b64u(raw) != value:
        raise invalid(field, f"{what} is not base64url text.")
    return raw


def public_key(value: object, field: str, what: str = "The public key") -> str:
    """A P-256 public key, SubjectPublicKeyInfo DER in base64url."""
    raw = b64u_bytes(value, field, what)
    if len(raw) > MAX_PUBLIC_KEY_BYTES:
        raise invalid(field, f"{what} is not a P-256 public key.")
    try:
        key = load_der_public_key(raw)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise invalid(field, f"{what} is not a P-256 public key.") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise invalid(field, f"{what} is not a P-256 public key.")
    assert isinstance(value, str)
    return value


def signature(value: object, field: str, what: str = "The signature") -> str:
    if len(b64u_bytes(value, field, what)) != SIGNATURE_BYTES:
        raise invalid(field, f"{what} is not a P-256 signature of 64 bytes.")
    assert isinstance(value, str)
    return value


def iv(value: object, field: str) -> str:
    if len(b64u_bytes(value, field, "The IV")) != IV_BYTES:
        raise invalid(field, "The IV must be 12 bytes.")
    assert isinstance(value, str)
    return value


def ciphertext(value: object, field: str, *, exact: int | None = None) -> str:
    """AES-GCM output: the encrypted bytes and the 16-byte tag."""
    size = len(b64u_bytes(value, field, "The ciphertext"))
    if size < TAG_BYTES or (exact is not None and size != exact):
        raise invalid(field, "The ciphertext has the wrong length.")
    assert isinstance(value, str)
    return value


def circle_uid(value: object) -> str:
    if len(b64u_bytes(value, "uid", "The circle id")) != UID_BYTES:
        raise invalid("uid", "The circle id must be 16 random bytes in base64url.")
    assert isinstance(value, str)
    return value


def digest_of(text: str) -> str:
    return b64u(hashlib.sha256(text.encode("utf-8")).digest())


# JSON --------------------------------------------------------------------------------


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree about repeated keys; a value with two readings is refused.
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("repeated key")
    return found


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(text: object, field: str, what: str, *, max_chars: int) -> Any:
    if not isinstance(text, str) or not text:
        raise invalid(field, f"{what} is missing.")
    if len(text) > max_chars:
        raise invalid(field, f"{what} is too large.")
    try:
        return json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_no_constants
        )
    except (ValueError, RecursionError):
        raise invalid(field, f"{what} is not valid JSON.") from None


def json_object(
    value: Any,
    keys: set[str],
    field: str,
    what: str,
    *,
    optional: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    if not isinstance(value, dict) or not keys <= set(value) <= keys | optional:
        names = ", ".join(sorted(keys))
        raise invalid(field, f"{what} must be a JSON object with {names}.")
    return value


def whole(value: Any, field: str, what: str, *, top: int = MAX_SAFE_INTEGER) -> int:
    if type(value) is not int or not 1 <= value <= top:
        raise invalid(field, f"{what} must be a whole number from 1.")
    return value


def sealed(text: object, field: str, what: str, *, max_chars: int) -> str:
    """`{"iv", "ct"}`: something encrypted with AES-GCM."""
    found = json_object(
        load_json(text, field, what, max_chars=max_chars), {"iv", "ct"}, field, what
    )
    iv(found["iv"], field)
    ciphertext(found["ct"], field)
    assert isinstance(text, str)
    return text


def sealed_meta(text: object) -> str:
    return sealed(
        text, "sealed_meta", "The sealed name", max_chars=MAX_SEALED_META_CHARS
    )


def wrapped_key(text: object, field: str = "wraps") -> str:
    """`{"e", "iv", "ct"}`: an epoch key encrypted for one device."""
    what = "A wrapped key"
    found = json_object(
        load_json(text, field, what, max_chars=MAX_WRAPPED_CHARS),
        {"e", "iv", "ct"},
        field,
        what,
    )
    public_key(found["e"], field, "The ephemeral key of a wrapped key")
    iv(found["iv"], field)
    ciphertext(found["ct"], field, exact=EPOCH_KEY_BYTES + TAG_BYTES)
    assert isinstance(text, str)
    return text


def key_backup(text: object) -> str:
    field, what = "blob", "The backup"
    keys = {"v", "kdf", "iterations", "salt", "recovery", "keys"}
    found = json_object(
        load_json(text, field, what, max_chars=MAX_BACKUP_CHARS), keys, field, what
    )
    if found["v"] != 1 or found["kdf"] != "PBKDF2-SHA256":
        raise invalid(field, "The backup is not in a format this site knows.")
    if type(found["iterations"]) is not int or found["iterations"] < BACKUP_ITERATIONS:
        raise invalid(field, "The backup key must take 600,000 iterations or more.")
    if len(b64u_bytes(found["salt"], field, "The salt")) != SALT_BYTES:
        raise invalid(field, "The salt must be 16 bytes.")
    for part in ("recovery", "keys"):
        sealed_part = json_object(found[part], {"iv", "ct"}, field, what)
        iv(sealed_part["iv"], field)
        ciphertext(sealed_part["ct"], field)
    assert isinstance(text, str)
    return text


# Member lists ------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterKey:
    device: int
    agreement: str
    signing: str
    recovery: bool

    @property
    def is_browser(self) -> bool:
        return not self.recovery


@dataclass(frozen=True)
class RosterMember:
    user: int
    admin: bool
    keys: tuple[RosterKey, ...]

    @property
    def device_ids(self) -> set[int]:
        return {key.device for key in self.keys}


@dataclass(frozen=True)
class Roster:
    circle: str
    epoch: int
    previous: str
    members: tuple[RosterMember, ...]

    @property
    def by_user(self) -> dict[int, RosterMember]:
        return {member.user: member for member in self.members}

    @property
    def keys(self) -> list[tuple[RosterMember, RosterKey]]:
        return [(member, key) for member in self.members for key in member.keys]

    @property
    def browser_device_ids(self) -> set[int]:
        return {key.device for _member, key in self.keys if key.is_browser}

    def member_of(self, device_id: int) -> RosterMember | None:
        for member, key in self.keys:
            if key.device == device_id:
                return member
        return None


ROSTER_FIELDS = {"v", "circle", "epoch", "previous", "key_check", "members"}


def parse_roster(text: object) -> Roster:
    """The fields of a member list the server checks, from its exact text."""
    field = "roster"
    found = json_object(
        load_json(text, field, "The member list", max_chars=MAX_ROSTER_CHARS),
        ROSTER_FIELDS,
        field,
        "The member list",
    )
    if found["v"] != 1 or type(found["v"]) is not int:
        raise invalid(field, "The member list is not in a format this site knows.")
    if not isinstance(found["circle"], str) or not isinstance(found["previous"], str):
        raise invalid(
            field, "The member list must name its circle and the list before."
        )
    if len(b64u_bytes(found["key_check"], field, "The key check")) != DIGEST_BYTES:
        raise invalid(field, "The key check must be a SHA-256 digest.")
    members = found["members"]
    if not isinstance(members, list) or not 1 <= len(members) <= MAX_CIRCLE_MEMBERS:
        raise invalid(field, "The member list must list 1 to 50 members.")
    roster = Roster(
        circle=found["circle"],
        epoch=whole(found["epoch"], field, "The key period", top=MAX_EPOCH),
        previous=found["previous"],
        members=tuple(_roster_member(member) for member in members),
    )
    _require_unique(roster)
    return roster


def _roster_member(value: Any) -> RosterMember:
    field, what = "roster", "Each member of the list"
    found = json_object(value, {"user", "admin", "keys"}, field, what)
    if type(found["admin"]) is not bool:
        raise invalid(field, "Each member of the list must say whether they are admin.")
    keys = found["keys"]
    if not isinstance(keys, list) or len(keys) > MAX_KEYS_PER_MEMBER:
        raise invalid(field, "A member of the list has too many keys.")
    return RosterMember(
        user=whole(found["user"], field, "A member's user id"),
        admin=found["admin"],
        keys=tuple(_roster_key(key) for key in keys),
    )


def _roster_key(value: Any) -> RosterKey:
    field, what = "roster", "Each key of the list"
    found = json_object(
        value,
        {"device", "agreement", "signing"},
        field,
        what,
        optional=frozenset({"recovery"}),
    )
    recovery = found.get("recovery", False)
    if type(recovery) is not bool:
        raise invalid(field, "A key's recovery mark must be true or false.")
    if not isinstance(found["agreement"], str) or not isinstance(found["signing"], str):
        raise invalid(field, "A key of the list has no public keys.")
    if recovery != (found["agreement"] == ""):
        raise invalid(
            field, "A recovery key has no key-agreement key, and only a recovery key."
        )
    return RosterKey(
        device=whole(found["device"], field, "A device id"),
        agreement=found["agreement"],
        signing=found["signing"],
        recovery=recovery,
    )


def _require_unique(roster: Roster) -> None:
    users = [member.user for member in roster.members]
    if len(set(users)) != len(users):
        raise invalid("roster", "The member list lists someone twice.")
    devices = [key.device for _member, key in roster.keys]
    if len(set(devices)) != len(devices):
        raise invalid("roster", "The member list lists a device twice.")


# Messages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    circle: str
    epoch: int
    device: int
    counter: int


def header_text(circle: str, epoch: int, device: int, counter: int) -> str:
    """The one way a header is written: these keys in this order, no spaces."""
    fields = {"v": 1, "circle": circle, "epoch": epoch, "device": device}
    return json.dumps({**fields, "counter": counter}, separators=(",", ":"))


def parse_header(text: object) -> Header:
    field, what = "header", "The message header"
    found = json_object(
        load_json(text, field, what, max_chars=MAX_HEADER_CHARS),
        {"v", "circle", "epoch", "device", "counter"},
        field,
        what,
    )
    if not isinstance(found["circle"], str) or type(found["v"]) is not int:
        raise invalid(field, "The message header is not in a format this site knows.")
    header = Header(
        circle=found["circle"],
        epoch=whole(found["epoch"], field, "The key period", top=MAX_EPOCH),
        device=whole(found["device"], field, "The device id"),
        counter=whole(found["counter"], field, "The counter"),
    )
    exact = header_text(header.circle, header.epoch, header.device, header.counter)
    if text != exact:
        raise invalid(field, "The message header is not written in the one exact form.")
    return header


def wire_size(header: str, iv_text: str, ct: str, sig: str) -> int:
    """The size of the message as the browser sends it, in bytes."""
    message = {"header": header, "iv": iv_text, "ct": ct, "sig": sig}
    return len(json.dumps(message, separators=(",", ":")).encode("utf-8"))
