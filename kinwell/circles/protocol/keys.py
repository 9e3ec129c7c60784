"""Device keys, recovery keys, signatures, fingerprints and vouchers.

Signatures are ECDSA P-256 with SHA-256 in the raw 64-byte `r||s` form Web
Crypto produces, over the UTF-8 bytes of a text. Python's keys are
extractable: in the browser the device's private keys are not."""

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from kinwell.circles.protocol.encoding import (
    ProtocolError,
    RandBytes,
    b64u_decode,
    b64u_encode,
    utf8,
)

CURVE = ec.SECP256R1()
# The order of P-256's group: private scalars lie in [1, n-1].
_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_SCALAR_BYTES = 32
FINGERPRINT_DIGITS = 16


@dataclass(frozen=True)
class DeviceKeys:
    """A browser device: a key-agreement pair and a signing pair."""

    agreement_private: ec.EllipticCurvePrivateKey
    signing_private: ec.EllipticCurvePrivateKey

    @property
    def agreement(self) -> str:
        return spki(self.agreement_private.public_key())

    @property
    def signing(self) -> str:
        return spki(self.signing_private.public_key())


@dataclass(frozen=True)
class RecoveryKey:
    """The signing key kept only inside a member's backup."""

    signing_private: ec.EllipticCurvePrivateKey

    @property
    def signing(self) -> str:
        return spki(self.signing_private.public_key())

    @property
    def pkcs8(self) -> str:
        return b64u_encode(
            self.signing_private.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def new_private_key(randbytes: RandBytes | None = None) -> ec.EllipticCurvePrivateKey:
    if randbytes is None:
        return ec.generate_private_key(CURVE)
    # A seeded key: 64 bits more than the order, so reducing leaves no
    # bias worth the name (as FIPS 186-5 A.2.1 does).
    wide = int.from_bytes(randbytes(_SCALAR_BYTES + 8))
    return ec.derive_private_key(wide % (_ORDER - 1) + 1, CURVE)


def generate_device_keys(*, randbytes: RandBytes | None = None) -> DeviceKeys:
    return DeviceKeys(new_private_key(randbytes), new_private_key(randbytes))


def generate_recovery_key(*, randbytes: RandBytes | None = None) -> RecoveryKey:
    return RecoveryKey(new_private_key(randbytes))


def import_recovery_key(pkcs8: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_der_private_key(b64u_decode(pkcs8), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise ProtocolError("Not a PKCS8 private key.") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != CURVE.name:
        raise ProtocolError("Not a P-256 private key.")
    return key


def spki(public_key: ec.EllipticCurvePublicKey) -> str:
    return b64u_encode(
        public_key.public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_der_public_key(b64u_decode(text))
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise ProtocolError("Not a public key.") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != CURVE.name:
        raise ProtocolError("Not a P-256 public key.")
    return key


def sign(private_key: ec.EllipticCurvePrivateKey, text: str) -> str:
    # Deterministic (RFC 6979): the same key and text give the same
    # signature, which keeps seeded data reproducible; any verifier,
    # Web Crypto included, accepts it like a randomised one.
    der = private_key.sign(
        utf8(text), ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    )
    r, s = decode_dss_signature(der)
    return b64u_encode(r.to_bytes(_SCALAR_BYTES) + s.to_bytes(_SCALAR_BYTES))


def verify(signing_key: str, signature: str, text: str) -> bool:
    """True only for a valid raw `r||s` signature by `signing_key` (SPKI)
    over `text`; anything malformed is simply not valid."""
    try:
        public_key = load_public_key(signing_key)
        raw = b64u_decode(signature)
    except ProtocolError:
        return False
    if len(raw) != 2 * _SCALAR_BYTES:
        return False
    r = int.from_bytes(raw[:_SCALAR_BYTES])
    s = int.from_bytes(raw[_SCALAR_BYTES:])
    try:
        public_key.verify(
            encode_dss_signature(r, s), utf8(text), ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint(agreement: str, signing: str) -> str:
    """Sixteen digits in groups of four, from the device's two public keys;
    also the link code compared when approving a new device."""
    digest = hashlib.sha256(
        utf8(f"kinwell-device-fp-v1\n{agreement}\n{signing}")
    ).digest()
    number = int.from_bytes(digest[:8]) % 10**FINGERPRINT_DIGITS
    digits = f"{number:0{FINGERPRINT_DIGITS}d}"
    return " ".join(digits[start : start + 4] for start in range(0, 16, 4))


def voucher_text(user_id: int, agreement: str, signing: str) -> str:
    return f"kinwell-voucher-v1\n{user_id}\n{agreement}\n{signing}"


def sign_voucher(
    private_key: ec.EllipticCurvePrivateKey, user_id: int, agreement: str, signing: str
) -> str:
    """Signed by one key of a member, for another key of the same member
    (`agreement` is "" for a recovery key)."""
    return sign(private_key, voucher_text(user_id, agreement, signing))


def verify_voucher(
    signing_key: str, signature: str, user_id: int, agreement: str, signing: str
) -> bool:
    return verify(signing_key, signature, voucher_text(user_id, agreement, signing))


def invitation_string(circle_uid: str, epoch: int, user_id: int) -> str:
    return f"kinwell-invitation-v1\n{circle_uid}\n{epoch}\n{user_id}"


def sign_invitation(
    private_key: ec.EllipticCurvePrivateKey, circle_uid: str, epoch: int, user_id: int
) -> str:
    """Signed by the inviting admin's browser device, with the circle's key
    period at the time: admins' browsers sign in only people whose invitation
    verifies with an admin's key on that period's member list."""
    return sign(private_key, invitation_string(circle_uid, epoch, user_id))


def verify_invitation(
    signing_key: str, signature: str, circle_uid: str, epoch: int, user_id: int
) -> bool:
    return verify(signing_key, signature, invitation_string(circle_uid, epoch, user_id))
