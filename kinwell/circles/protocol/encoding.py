"""The byte-level conventions every other part of the format leans on:
base64url, JSON text identical to JavaScript's `JSON.stringify`, ISO dates
as `Date.prototype.toISOString` writes them, and AES-GCM with the IV apart."""

import base64
import binascii
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# A source of random bytes. Only the seeder passes its own (drawn from the
# seed), so that a seed makes the same rows; everything else uses the OS.
RandBytes = Callable[[int], bytes]
IV_BYTES = 12
# The largest integer JavaScript holds exactly: counters, ids and epochs
# beyond it would not survive `JSON.parse` in the browser.
MAX_SAFE_INTEGER = 2**53 - 1

_B64U = re.compile(r"[A-Za-z0-9_-]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ProtocolError(ValueError):
    """Data that does not follow the format, or fails a check of it."""


def random_bytes(count: int) -> bytes:
    return os.urandom(count)


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    # Python's decoder skips characters outside the alphabet; the browser's
    # does not, so both must refuse the same strings.
    if not isinstance(text, str) or not _B64U.fullmatch(text) or len(text) % 4 == 1:
        raise ProtocolError("Not base64url.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ProtocolError("Not base64url.") from error


def json_string(value: object) -> str:
    """`JSON.stringify(value)` for dicts (in their own key order), lists,
    strings, integers, booleans and None.

    `ensure_ascii=False` leaves non-ASCII as it is, as JavaScript does; the
    only difference left is a lone surrogate, which JavaScript writes as a
    `\\udxxx` escape (and Python would keep raw, unencodable in UTF-8)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    # Pairs written as two code points are one character to JavaScript.
    text = text.encode("utf-16-le", "surrogatepass").decode(
        "utf-16-le", "surrogatepass"
    )
    return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found[0]):04x}", text)


def parse_json_object(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as error:
        raise ProtocolError("Not JSON.") from error
    if not isinstance(value, dict):
        raise ProtocolError("Not a JSON object.")
    return value


def js_iso(moment: datetime) -> str:
    """What `date.toISOString()` gives: UTC, milliseconds, a `Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


def from_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError("Not UTF-8.") from error


def seal(
    key: bytes, plaintext: bytes, aad: bytes, randbytes: RandBytes | None = None
) -> dict[str, str]:
    """AES-256-GCM under a fresh IV; the tag stays appended to the
    ciphertext, where Web Crypto puts it."""
    iv = (randbytes or random_bytes)(IV_BYTES)
    ct = AESGCM(key).encrypt(iv, plaintext, aad)
    return {"iv": b64u_encode(iv), "ct": b64u_encode(ct)}


def open_sealed(key: bytes, iv: str, ct: str, aad: bytes) -> bytes:
    iv_bytes = b64u_decode(iv)
    if len(iv_bytes) != IV_BYTES:
        raise ProtocolError("The IV is not 12 bytes.")
    try:
        return AESGCM(key).decrypt(iv_bytes, b64u_decode(ct), aad)
    except InvalidTag as error:
        raise ProtocolError("It does not open with this key.") from error


def text_field(value: dict[str, object], name: str) -> str:
    found = value.get(name)
    if not isinstance(found, str):
        raise ProtocolError(f"{name!r} is not a string.")
    return found


def int_field(value: dict[str, object], name: str, *, minimum: int = 0) -> int:
    found = value.get(name)
    # bool is an int to Python, never to JSON.
    if type(found) is not int or not minimum <= found <= MAX_SAFE_INTEGER:
        raise ProtocolError(f"{name!r} is not a whole number in range.")
    return found


def sealed_field(value: dict[str, object], name: str) -> tuple[str, str]:
    part = value.get(name)
    if not isinstance(part, dict):
        raise ProtocolError(f"{name!r} is not an object.")
    return text_field(part, "iv"), text_field(part, "ct")
