"""The circles message format (docs/circles.md) in Python.

The browser does all of this with Web Crypto in
`static/circles/circles-crypto-v1.js`; this is the second, independent
implementation, used by the tests to check the browser's output byte for
byte, and by the demo and the seeder to make circles the browser can read.
The server itself never calls it: it never holds a key.

Where the format leaves a choice, this is the reading (the same in every
part of the package):
- Text is signed, sealed and hashed as UTF-8; JSON is `JSON.stringify`'s
  (no spaces, keys in the order written, non-ASCII as is, lone surrogates
  escaped); integers are JSON integers up to 2**53 - 1.
- Signatures are deterministic ECDSA (RFC 6979), which any verifier takes as
  it takes a randomised one.
- Ids, user ids and epoch numbers appear in signed texts and AAD as decimal
  digits.
- A message header is refused unless it is byte for byte the form
  `header_string` writes; epoch, device and counter are whole numbers from
  1 (the last counter accepted from a device counts from 0).
- `unwrap_epoch_key` checks the key against a roster's `key_check` when
  given one (`expected_check`); clients always give it.
- Circle name and purpose lengths count characters (code points); a name
  must have one that is not white space.
- Backups: the passphrase is UTF-8 without normalisation; a blob whose
  version, KDF or iteration count differs is refused; the epoch key list
  keeps the order it was given in.
- Rosters: see `rosters.py` for the readings of rules 1-3.
"""

from kinwell.circles.protocol.backups import (
    ITERATIONS,
    MadeBackup,
    OpenedBackup,
    WrongPassphrase,
    derive_backup_key,
    make_backup,
    open_backup,
    reseal_backup_keys,
)
from kinwell.circles.protocol.encoding import (
    ProtocolError,
    RandBytes,
    b64u_decode,
    b64u_encode,
    js_iso,
    json_string,
)
from kinwell.circles.protocol.epochs import (
    CircleMeta,
    key_check,
    key_from_b64u,
    new_epoch_key,
    open_meta,
    seal_meta,
    unwrap_epoch_key,
    wrap_epoch_key,
    wrap_info,
)
from kinwell.circles.protocol.keys import (
    DeviceKeys,
    RecoveryKey,
    fingerprint,
    generate_device_keys,
    generate_recovery_key,
    import_recovery_key,
    invitation_string,
    load_public_key,
    sign,
    sign_invitation,
    sign_voucher,
    spki,
    verify,
    verify_invitation,
    verify_voucher,
    voucher_text,
)
from kinwell.circles.protocol.messages import (
    REFUSED_TEXT,
    Acceptance,
    Header,
    MessageRefused,
    OpenedMessage,
    WireMessage,
    accept_in_order,
    header_string,
    message_signed_text,
    open_message,
    parse_header,
    post_body,
    reaction_body,
    seal_message,
)
from kinwell.circles.protocol.rosters import (
    ChainResult,
    DeviceRecord,
    Roster,
    RosterKey,
    RosterMember,
    SignedEpoch,
    VerifiedEpoch,
    device_records,
    parse_roster,
    roster_hash,
    roster_signed_text,
    roster_string,
    sign_roster,
    verify_chain,
    verify_roster_signature,
    wrap_for_roster,
)

__all__ = [
    "ITERATIONS",
    "REFUSED_TEXT",
    "Acceptance",
    "ChainResult",
    "CircleMeta",
    "DeviceKeys",
    "DeviceRecord",
    "Header",
    "MadeBackup",
    "MessageRefused",
    "OpenedBackup",
    "OpenedMessage",
    "ProtocolError",
    "RandBytes",
    "RecoveryKey",
    "Roster",
    "RosterKey",
    "RosterMember",
    "SignedEpoch",
    "VerifiedEpoch",
    "WireMessage",
    "WrongPassphrase",
    "accept_in_order",
    "b64u_decode",
    "b64u_encode",
    "derive_backup_key",
    "device_records",
    "fingerprint",
    "generate_device_keys",
    "generate_recovery_key",
    "header_string",
    "import_recovery_key",
    "invitation_string",
    "js_iso",
    "json_string",
    "key_check",
    "key_from_b64u",
    "load_public_key",
    "make_backup",
    "message_signed_text",
    "new_epoch_key",
    "open_backup",
    "open_message",
    "open_meta",
    "parse_header",
    "parse_roster",
    "post_body",
    "reaction_body",
    "reseal_backup_keys",
    "roster_hash",
    "roster_signed_text",
    "roster_string",
    "seal_message",
    "seal_meta",
    "sign",
    "sign_invitation",
    "sign_roster",
    "sign_voucher",
    "spki",
    "unwrap_epoch_key",
    "verify",
    "verify_chain",
    "verify_invitation",
    "verify_roster_signature",
    "verify_voucher",
    "voucher_text",
    "wrap_epoch_key",
    "wrap_for_roster",
    "wrap_info",
]
