"""Messages: the header bound as authenticated data, the body sealed under
the epoch key, the signature by the sending device, and the rule a client
applies to the list the server returns.

The header must be exactly the JSON `header_string` writes (that key order,
no spaces): a header the same in meaning but not in bytes is refused, so
there is never a question which of two readings was signed."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from kinwell.circles.protocol.encoding import (
    ProtocolError,
    RandBytes,
    from_utf8,
    int_field,
    js_iso,
    json_string,
    open_sealed,
    parse_json_object,
    seal,
    text_field,
    utf8,
)
from kinwell.circles.protocol.keys import sign, verify
from kinwell.circles.protocol.rosters import Roster

MAX_WIRE_BYTES = 600_000
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 256 * 1024
REFUSED_TEXT = "A message could not be verified and is not shown."


class MessageRefused(ProtocolError):
    pass


@dataclass(frozen=True)
class Header:
    circle: str
    epoch: int
    device: int
    counter: int


@dataclass(frozen=True)
class WireMessage:
    header: str
    iv: str
    ct: str
    sig: str

    def as_dict(self) -> dict[str, str]:
        return {"header": self.header, "iv": self.iv, "ct": self.ct, "sig": self.sig}


@dataclass(frozen=True)
class OpenedMessage:
    header: Header
    body: dict[str, Any]


@dataclass
class Acceptance:
    """What a client shows of a list of messages: the ones it accepted (by
    message id, in order), the ones it refused with the reason (which it
    never shows, only that one was refused), and the counters it now holds."""

    accepted: list[tuple[int, OpenedMessage]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    last_counters: dict[int, int] = field(default_factory=dict)


# Bodies -----------------------------------------------------------------------------


def post_body(
    text: str,
    *,
    sent_at: datetime,
    reply_to: int | None = None,
    attachments: Iterable[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """A post's plaintext; `attachments` are `{"name","type","data"}` with
    the file's bytes as b64u."""
    return {
        "kind": "post",
        "text": text,
        "reply_to": reply_to,
        "attachments": [
            {"name": item["name"], "type": item["type"], "data": item["data"]}
            for item in attachments
        ],
        "sent_at": js_iso(sent_at),
    }


def reaction_body(target: int, emoji: str, *, sent_at: datetime) -> dict[str, Any]:
    return {
        "kind": "reaction",
        "target": target,
        "emoji": emoji,
        "sent_at": js_iso(sent_at),
    }


# Sealing and opening ------------------------------------------------------------------


def header_string(header: Header) -> str:
    return json_string(
        {
            "v": 1,
            "circle": header.circle,
            "epoch": header.epoch,
            "device": header.device,
            "counter": header.counter,
        }
    )


def parse_header(text: str) -> Header:
    value = parse_json_object(text)
    if value.get("v") != 1 or type(value.get("v")) is not int:
        raise MessageRefused("Not a version 1 header.")
    header = Header(
        circle=text_field(value, "circle"),
        epoch=int_field(value, "epoch", minimum=1),
        device=int_field(value, "device", minimum=1),
        counter=int_field(value, "counter", minimum=1),
    )
    if header_string(header) != text:
        raise MessageRefused("The header is not in its one exact form.")
    return header


def message_signed_text(header: str, iv: str, ct: str) -> str:
    return f"kinwell-message-v1\n{header}\n{iv}\n{ct}"


def seal_message(
    *,
    key: bytes,
    circle: str,
    epoch: int,
    device: int,
    counter: int,
    private_key: ec.EllipticCurvePrivateKey,
    body: Mapping[str, Any],
    randbytes: RandBytes | None = None,
) -> WireMessage:
    text = header_string(Header(circle, epoch, device, counter))
    parse_header(text)  # ids and counter in range, as a reader will insist
    sealed = seal(key, utf8(json_string(dict(body))), utf8(text), randbytes)
    sig = sign(private_key, message_signed_text(text, sealed["iv"], sealed["ct"]))
    wire = WireMessage(text, sealed["iv"], sealed["ct"], sig)
    if wire_size(wire) > MAX_WIRE_BYTES:
        raise ProtocolError("The message is too large to send.")
    return wire


def wire_size(wire: WireMessage) -> int:
    return len(utf8(json_string(wire.as_dict())))


def open_message(
    *, key: bytes, circle: str, signing_key: str, wire: WireMessage
) -> OpenedMessage:
    """The message, or MessageRefused: a header of another circle, a
    signature that is not the device's, or a ciphertext that does not open
    under this key with this header."""
    header = parse_header(wire.header)
    if header.circle != circle:
        raise MessageRefused("The message is of another circle.")
    signed = message_signed_text(wire.header, wire.iv, wire.ct)
    if not verify(signing_key, wire.sig, signed):
        raise MessageRefused("The signature does not verify.")
    try:
        plaintext = open_sealed(key, wire.iv, wire.ct, utf8(wire.header))
        body = parse_json_object(from_utf8(plaintext))
    except ProtocolError as error:
        raise MessageRefused(str(error)) from error
    return OpenedMessage(header, body)


# The list a client reads ------------------------------------------------------------


def accept_in_order(
    messages: Iterable[tuple[int, WireMessage]],
    *,
    circle: str,
    keys: Mapping[int, bytes],
    rosters: Mapping[int, Roster],
    last_counters: Mapping[int, int] | None = None,
) -> Acceptance:
    """The client's acceptance rule over messages in server order (by id).

    `keys` and `rosters` hold, by epoch number, only the epochs the client
    verified and holds the key of; `last_counters` are the counters it
    accepted before, by device. A message is accepted when it opens (see
    `open_message`), its epoch is one of those, its device is a browser key
    on that epoch's roster, and its counter is above the last one accepted
    from that device; otherwise it is refused and changes nothing."""
    result = Acceptance(last_counters=dict(last_counters or {}))
    for message_id, wire in messages:
        try:
            opened = _accept_one(wire, circle, keys, rosters, result.last_counters)
        except ProtocolError as error:
            result.refused.append((message_id, str(error)))
            continue
        result.last_counters[opened.header.device] = opened.header.counter
        result.accepted.append((message_id, opened))
    return result


def _accept_one(
    wire: WireMessage,
    circle: str,
    keys: Mapping[int, bytes],
    rosters: Mapping[int, Roster],
    last_counters: Mapping[int, int],
) -> OpenedMessage:
    header = parse_header(wire.header)
    key, roster = keys.get(header.epoch), rosters.get(header.epoch)
    if key is None or roster is None:
        raise MessageRefused("Its epoch is not verified or its key is not known.")
    device = roster.browser_key(header.device)
    if device is None:
        raise MessageRefused("Its device is not on the epoch's member list.")
    opened = open_message(key=key, circle=circle, signing_key=device.signing, wire=wire)
    if header.counter <= last_counters.get(header.device, 0):
        raise MessageRefused("Replayed or out of order.")
    return opened
