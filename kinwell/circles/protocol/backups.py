"""Key backups: the recovery key and the epoch keys a member holds, sealed
under a key derived from their passphrase.

The passphrase is used as its UTF-8 bytes, without Unicode normalisation,
as Web Crypto's PBKDF2 takes it. Backups are made with 600,000 iterations;
one of another version or KDF, or with fewer iterations, is refused rather
than opened with weaker settings (more are fine, as the server allows)."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from kinwell.circles.protocol.encoding import (
    ProtocolError,
    RandBytes,
    b64u_decode,
    b64u_encode,
    from_utf8,
    int_field,
    json_string,
    open_sealed,
    parse_json_object,
    random_bytes,
    seal,
    sealed_field,
    text_field,
    utf8,
)
from kinwell.circles.protocol.epochs import key_from_b64u
from kinwell.circles.protocol.keys import import_recovery_key

KDF = "PBKDF2-SHA256"
ITERATIONS = 600_000
SALT_BYTES = 16
# (circle uid, epoch number) -> raw epoch key
EpochKeys = Mapping[tuple[str, int], bytes]


class WrongPassphrase(ProtocolError):
    def __init__(self) -> None:
        super().__init__("That passphrase does not open your backup.")


@dataclass(frozen=True)
class MadeBackup:
    blob: str
    # Kept by the browser (non-extractable there) to reseal the epoch keys
    # without asking for the passphrase again.
    backup_key: bytes


@dataclass(frozen=True)
class OpenedBackup:
    recovery_device: int
    recovery_private_key: ec.EllipticCurvePrivateKey
    epoch_keys: dict[tuple[str, int], bytes]
    backup_key: bytes


def derive_backup_key(
    passphrase: str, salt: bytes, iterations: int = ITERATIONS
) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", utf8(passphrase), salt, iterations, 32)


def _recovery_aad(user_id: int) -> bytes:
    return utf8(f"kinwell-backup-recovery-v1\n{user_id}")


def _keys_aad(user_id: int) -> bytes:
    return utf8(f"kinwell-backup-keys-v1\n{user_id}")


def _keys_plaintext(epoch_keys: EpochKeys) -> bytes:
    epochs = [
        {"circle": circle, "epoch": epoch, "key": b64u_encode(key)}
        for (circle, epoch), key in epoch_keys.items()
    ]
    return utf8(json_string({"epochs": epochs}))


def make_backup(
    passphrase: str,
    user_id: int,
    recovery_device: int,
    pkcs8: str,
    epoch_keys: EpochKeys,
    *,
    randbytes: RandBytes | None = None,
) -> MadeBackup:
    salt = (randbytes or random_bytes)(SALT_BYTES)
    backup_key = derive_backup_key(passphrase, salt)
    recovery = json_string({"device": recovery_device, "pkcs8": pkcs8})
    blob = {
        "v": 1,
        "kdf": KDF,
        "iterations": ITERATIONS,
        "salt": b64u_encode(salt),
        "recovery": seal(backup_key, utf8(recovery), _recovery_aad(user_id), randbytes),
        "keys": seal(
            backup_key, _keys_plaintext(epoch_keys), _keys_aad(user_id), randbytes
        ),
    }
    return MadeBackup(json_string(blob), backup_key)


def _parse_blob(blob: str) -> tuple[dict[str, object], int]:
    value = parse_json_object(blob)
    iterations = value.get("iterations")
    if (
        (value.get("v"), value.get("kdf")) != (1, KDF)
        or type(iterations) is not int
        or iterations < ITERATIONS
    ):
        raise ProtocolError("This backup is in a form this version cannot open.")
    return value, iterations


def open_backup(passphrase: str, user_id: int, blob: str) -> OpenedBackup:
    """Raises WrongPassphrase when the passphrase (or the account) is not
    the one the backup was made with: AES-GCM then fails to open it."""
    value, iterations = _parse_blob(blob)
    salt = b64u_decode(text_field(value, "salt"))
    backup_key = derive_backup_key(passphrase, salt, iterations)
    try:
        recovery = open_sealed(
            backup_key, *sealed_field(value, "recovery"), _recovery_aad(user_id)
        )
    except ProtocolError as error:
        raise WrongPassphrase from error
    contents = parse_json_object(from_utf8(recovery))
    return OpenedBackup(
        recovery_device=int_field(contents, "device", minimum=1),
        recovery_private_key=import_recovery_key(text_field(contents, "pkcs8")),
        epoch_keys=_open_keys(backup_key, user_id, value),
        backup_key=backup_key,
    )


def _open_keys(
    backup_key: bytes, user_id: int, value: dict[str, object]
) -> dict[tuple[str, int], bytes]:
    plaintext = open_sealed(
        backup_key, *sealed_field(value, "keys"), _keys_aad(user_id)
    )
    epochs = parse_json_object(from_utf8(plaintext)).get("epochs")
    if not isinstance(epochs, list) or not all(isinstance(e, dict) for e in epochs):
        raise ProtocolError("The backup's key list is not a list.")
    return {
        (text_field(entry, "circle"), int_field(entry, "epoch", minimum=1)): (
            key_from_b64u(text_field(entry, "key"))
        )
        for entry in epochs
    }


def reseal_backup_keys(
    backup_key: bytes,
    user_id: int,
    blob: str,
    epoch_keys: EpochKeys,
    *,
    randbytes: RandBytes | None = None,
) -> str:
    """The blob with its epoch keys replaced. The recovery part is opened
    first: a backup key from an older backup (another salt) would otherwise
    seal keys that the passphrase no longer opens."""
    value, _iterations = _parse_blob(blob)
    try:
        open_sealed(
            backup_key, *sealed_field(value, "recovery"), _recovery_aad(user_id)
        )
    except ProtocolError as error:
        raise WrongPassphrase from error
    value["keys"] = seal(
        backup_key, _keys_plaintext(epoch_keys), _keys_aad(user_id), randbytes
    )
    return json_string(value)
