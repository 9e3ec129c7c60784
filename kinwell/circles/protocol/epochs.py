"""Epoch keys: making them, checking them against the signed member list,
wrapping them for one device at a time, and the circle's sealed name and
purpose."""

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kinwell.circles.protocol.encoding import (
    ProtocolError,
    RandBytes,
    b64u_decode,
    b64u_encode,
    from_utf8,
    json_string,
    open_sealed,
    parse_json_object,
    random_bytes,
    seal,
    text_field,
    utf8,
)
from kinwell.circles.protocol.keys import load_public_key, new_private_key, spki

EPOCH_KEY_BYTES = 32
HKDF_SALT = bytes(32)
NAME_LENGTH = (1, 80)
PURPOSE_LENGTH = (0, 500)


@dataclass(frozen=True)
class CircleMeta:
    name: str
    purpose: str


def new_epoch_key(*, randbytes: RandBytes | None = None) -> bytes:
    return (randbytes or random_bytes)(EPOCH_KEY_BYTES)


def key_check(key: bytes) -> str:
    """Published in the signed member list, so a device can tell that the
    key the server handed it is the one the signer meant."""
    return b64u_encode(hashlib.sha256(b"kinwell-epoch-check-v1\n" + key).digest())


def wrap_info(circle_uid: str, epoch: int, device_id: int) -> str:
    return f"kinwell-wrap-v1\n{circle_uid}\n{epoch}\n{device_id}"


def _wrap_key(
    private_key: ec.EllipticCurvePrivateKey,
    public_key: ec.EllipticCurvePublicKey,
    info: bytes,
) -> bytes:
    shared = private_key.exchange(ec.ECDH(), public_key)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=info).derive(
        shared
    )


def wrap_epoch_key(
    key: bytes,
    agreement_key: str,
    circle_uid: str,
    epoch: int,
    device_id: int,
    *,
    randbytes: RandBytes | None = None,
) -> str:
    """The epoch key for one device: a fresh ephemeral key agrees with the
    device's agreement key; circle, epoch and device are bound in both the
    derivation and the authenticated data, so a wrap moved elsewhere fails."""
    if len(key) != EPOCH_KEY_BYTES:
        raise ProtocolError("An epoch key is 32 bytes.")
    ephemeral = new_private_key(randbytes)
    info = utf8(wrap_info(circle_uid, epoch, device_id))
    wrap_key = _wrap_key(ephemeral, load_public_key(agreement_key), info)
    sealed = seal(wrap_key, key, info, randbytes)
    return json_string({"e": spki(ephemeral.public_key()), **sealed})


def unwrap_epoch_key(
    wrapped: str,
    agreement_private: ec.EllipticCurvePrivateKey,
    circle_uid: str,
    epoch: int,
    device_id: int,
    *,
    expected_check: str | None = None,
) -> bytes:
    """The raw epoch key. A client passes the signed roster's `key_check`
    as `expected_check`: a key that does not match it is refused."""
    value = parse_json_object(wrapped)
    ephemeral = load_public_key(text_field(value, "e"))
    info = utf8(wrap_info(circle_uid, epoch, device_id))
    wrap_key = _wrap_key(agreement_private, ephemeral, info)
    key = open_sealed(wrap_key, text_field(value, "iv"), text_field(value, "ct"), info)
    if len(key) != EPOCH_KEY_BYTES:
        raise ProtocolError("An epoch key is 32 bytes.")
    if expected_check is not None and key_check(key) != expected_check:
        raise ProtocolError("The key does not match the signed member list.")
    return key


def _meta_aad(circle_uid: str, epoch: int) -> bytes:
    return utf8(f"kinwell-meta-v1\n{circle_uid}\n{epoch}")


def seal_meta(
    key: bytes,
    circle_uid: str,
    epoch: int,
    meta: CircleMeta,
    *,
    randbytes: RandBytes | None = None,
) -> str:
    # Lengths in characters (code points), as a person counts them; a name
    # of spaces only is no name.
    if len(meta.name.strip()) < NAME_LENGTH[0] or len(meta.name) > NAME_LENGTH[1]:
        raise ProtocolError("A circle's name is 1 to 80 characters.")
    if not PURPOSE_LENGTH[0] <= len(meta.purpose) <= PURPOSE_LENGTH[1]:
        raise ProtocolError("A circle's purpose is at most 500 characters.")
    plaintext = utf8(json_string({"name": meta.name, "purpose": meta.purpose}))
    return json_string(seal(key, plaintext, _meta_aad(circle_uid, epoch), randbytes))


def open_meta(key: bytes, circle_uid: str, epoch: int, sealed: str) -> CircleMeta:
    value = parse_json_object(sealed)
    plaintext = open_sealed(
        key,
        text_field(value, "iv"),
        text_field(value, "ct"),
        _meta_aad(circle_uid, epoch),
    )
    meta = parse_json_object(from_utf8(plaintext))
    return CircleMeta(text_field(meta, "name"), text_field(meta, "purpose"))


def key_from_b64u(text: str) -> bytes:
    key = b64u_decode(text)
    if len(key) != EPOCH_KEY_BYTES:
        raise ProtocolError("An epoch key is 32 bytes.")
    return key
