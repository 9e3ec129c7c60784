"""Shapes of the circles API. No rules here: those live in
kinwell.circles.services (which checks every key, signature, member list and
header the server can check) and kinwell.circles.access.

Every value a browser encrypts or signs travels as text (base64url, or JSON
written by the browser) and comes back exactly as it was sent."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field

from kinwell.api.schemas.fields import (
    MAX_ID,
    NO_NUL,
    InputSchema,
    WholeNumber,
    enum_schema,
    max_length,
    one_of,
)
from kinwell.circles.models import (
    MAX_CIRCLE_MEMBERS,
    CircleMembership,
    Device,
    Epoch,
    Report,
)
from kinwell.circles.reads import MAX_MESSAGE_PAGE, MESSAGE_PAGE
from kinwell.circles.services import formats
from kinwell.circles.services.devices import MAX_WRAPS_PER_APPROVAL
from kinwell.circles.services.messages import MAX_REASON, MAX_REVEALED_TEXT

B64U = r"^[A-Za-z0-9_-]*$"


def _json_integer(value: Any) -> Any:
    """JSON may write a whole number as 5 or 5.0 (both are "integer" to the
    schema); "5" and true are not numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_json_integer)]
EpochNumber = Annotated[
    int, Field(ge=1, le=formats.MAX_EPOCH), BeforeValidator(_json_integer)
]
CircleUid = Annotated[str, Field(min_length=1, max_length=32, pattern=B64U)]
PublicKey = Annotated[
    str, Field(max_length=max_length(Device, "signing_key"), pattern=B64U)
]
SignatureText = Annotated[
    str,
    Field(
        max_length=max_length(Epoch, "signature"),
        pattern=B64U,
        description="ECDSA P-256, r||s (64 bytes), base64url.",
    ),
]
Wrapped = Annotated[
    str,
    Field(
        max_length=formats.MAX_WRAPPED_CHARS,
        pattern=NO_NUL,
        description='JSON {"e", "iv", "ct"}: the epoch key wrapped for one device.',
    ),
]
SealedMeta = Annotated[
    str,
    Field(
        max_length=formats.MAX_SEALED_META_CHARS,
        pattern=NO_NUL,
        description='JSON {"iv", "ct"}: the name and purpose, sealed.',
    ),
]
# The member list and the backup carry no pattern: the services parse them as
# JSON, which cannot hold a NUL, so a pattern over so long a text adds nothing.
RosterText = Annotated[
    str,
    Field(
        max_length=formats.MAX_ROSTER_CHARS,
        description="The signed member list (JSON), exactly as signed.",
    ),
]
DeviceKind = Annotated[str, one_of(Device.Kind), enum_schema(Device.Kind)]
DeviceState = Annotated[str, one_of(Device.State), enum_schema(Device.State)]
Role = Annotated[str, one_of(CircleMembership.Role), enum_schema(CircleMembership.Role)]
SeatState = Annotated[
    str, one_of(CircleMembership.State), enum_schema(CircleMembership.State)
]
ReportStatus = Annotated[str, one_of(Report.Status), enum_schema(Report.Status)]


# Devices and the key backup ----------------------------------------------------------


class CircleDeviceOut(Schema):
    id: int
    user: int
    kind: DeviceKind
    state: DeviceState
    label: str
    agreement: str = Field(description="SPKI, base64url; empty for a recovery key.")
    signing: str = Field(description="SPKI, base64url.")
    vouched_by: int | None = Field(description="The key that vouched for this one.")
    voucher: str = Field(description="Its signature; empty for a first device.")
    created_at: datetime


class CircleBackupStateOut(Schema):
    exists: bool
    updated_at: datetime | None


class CircleDevicesOut(Schema):
    devices: list[CircleDeviceOut]
    backup: CircleBackupStateOut


class CircleDeviceIn(InputSchema):
    label: str = Field("", max_length=max_length(Device, "label"), pattern=NO_NUL)
    agreement: PublicKey = Field(
        "", description="SPKI, base64url; leave empty for a recovery key."
    )
    signing: PublicKey
    kind: DeviceKind = Device.Kind.BROWSER
    vouched_by: Id | None = Field(
        None, description="One of your active keys, vouching for this one."
    )
    voucher: SignatureText = ""


class CircleEpochWrapIn(InputSchema):
    circle: CircleUid
    epoch: EpochNumber
    wrapped: Wrapped


class CircleApproveIn(InputSchema):
    vouched_by: Id
    voucher: SignatureText
    wraps: list[CircleEpochWrapIn] = Field(
        default_factory=list, max_length=MAX_WRAPS_PER_APPROVAL
    )


class CircleBackupIn(InputSchema):
    blob: str = Field(
        max_length=formats.MAX_BACKUP_CHARS,
        description="The backup as your browser wrote it (JSON).",
    )
    recovery_device: Id


class CircleBackupOut(Schema):
    blob: str
    recovery_device: int
    updated_at: datetime


# Circles -----------------------------------------------------------------------------


class CircleSummaryOut(Schema):
    uid: str
    role: Role
    state: SeatState
    members: int = Field(description="How many have joined.")
    current_epoch: int
    sealed_meta: str = Field(description="Of the current key period.")
    last_message_at: datetime | None


class CircleInviterOut(Schema):
    user: int
    name: str


class CircleInvitationOut(Schema):
    uid: str
    community: str
    invited_by: CircleInviterOut | None
    invited_at: datetime
    members: int


class CircleListOut(Schema):
    circles: list[CircleSummaryOut]
    invitations: list[CircleInvitationOut]


class CircleDeviceWrapIn(InputSchema):
    device: Id
    wrapped: Wrapped


class CircleCreateIn(InputSchema):
    uid: CircleUid = Field(description="16 random bytes, base64url.")
    roster: RosterText
    signer: Id
    signature: SignatureText
    sealed_meta: SealedMeta
    wraps: list[CircleDeviceWrapIn] = Field(max_length=MAX_CIRCLE_MEMBERS * 12)


class CircleMeOut(Schema):
    user: int
    role: Role
    state: SeatState


class CircleInvitationSignatureOut(Schema):
    signer: int = Field(description="The inviting admin's browser device.")
    signature: str = Field(
        description="ECDSA P-256 (raw r||s, base64url) over "
        '"kinwell-invitation-v1\\n" + circle uid + "\\n" + epoch + "\\n" + user id.'
    )
    epoch: int = Field(description="The circle's key period when it was made.")


class CircleMemberOut(Schema):
    user: int
    name: str
    role: Role
    state: SeatState
    invitation: CircleInvitationSignatureOut | None = Field(
        description="The signed invitation; null for a seat no admin's device "
        "signed. Browsers sign in only people whose invitation verifies."
    )


class CircleEpochOut(Schema):
    number: int
    roster: str
    signer: int
    signature: str
    sealed_meta: str
    created_at: datetime


class CircleOut(Schema):
    uid: str
    community: str
    me: CircleMeOut
    current_epoch: int
    members: list[CircleMemberOut]
    epochs: list[CircleEpochOut]
    devices: list[CircleDeviceOut]
    last_counters: dict[str, int] = Field(
        description="The last message counter of each device, by device id."
    )


class CircleWrapOut(Schema):
    epoch: int
    wrapped: str


class CircleWrapsOut(Schema):
    wraps: list[CircleWrapOut]


class CircleEpochIn(InputSchema):
    number: EpochNumber
    roster: RosterText
    signer: Id
    signature: SignatureText
    sealed_meta: SealedMeta
    wraps: list[CircleDeviceWrapIn] = Field(max_length=MAX_CIRCLE_MEMBERS * 12)
    removed: list[Id] = Field(
        default_factory=list,
        max_length=MAX_CIRCLE_MEMBERS,
        description="Members an admin removes with this key period.",
    )
    promoted: list[Id] = Field(
        default_factory=list,
        max_length=MAX_CIRCLE_MEMBERS,
        description="Members an admin makes circle admins with this key period "
        "(the member list marks them admin).",
    )


class CircleEpochWrapOnlyIn(InputSchema):
    epoch: EpochNumber
    wrapped: Wrapped


class CircleRewrapIn(InputSchema):
    device: Id = Field(description="One of your own devices.")
    wraps: list[CircleEpochWrapOnlyIn] = Field(max_length=MAX_WRAPS_PER_APPROVAL)


class CircleRewrapOut(Schema):
    added: int


class CircleMessageIn(InputSchema):
    header: str = Field(max_length=formats.MAX_HEADER_CHARS, pattern=NO_NUL)
    iv: str = Field(max_length=max_length(Device, "signing_key"), pattern=B64U)
    ct: str = Field(max_length=formats.MAX_MESSAGE_BYTES, pattern=B64U)
    sig: SignatureText


class CircleMessageOut(Schema):
    id: int
    header: str
    iv: str
    ct: str = Field(description="Empty once the moderators removed the message.")
    sig: str
    sender: int | None
    created_at: datetime
    removed: bool


class CircleMessagesOut(Schema):
    messages: list[CircleMessageOut]
    more: bool


class CircleMessagesQuery(Schema):
    after: WholeNumber = Field(0, ge=0, le=MAX_ID, description="After this id.")
    limit: WholeNumber = Field(MESSAGE_PAGE, ge=1, le=MAX_MESSAGE_PAGE)


class CircleInviteIn(InputSchema):
    user: Id = Field(description="A member of the circle's community.")
    signer: Id = Field(
        description="Your browser device on the circle's current member list."
    )
    signature: SignatureText = Field(
        description='Its signature over "kinwell-invitation-v1\\n" + circle uid + '
        '"\\n" + current epoch + "\\n" + user id.'
    )


class CircleReportIn(InputSchema):
    message: Id
    text: str = Field(max_length=MAX_REVEALED_TEXT, pattern=NO_NUL)
    reason: str = Field("", max_length=MAX_REASON, pattern=NO_NUL)


class CircleReportOut(Schema):
    id: int
    status: ReportStatus
    created_at: datetime


class CircleWrapsQuery(Schema):
    device: WholeNumber = Field(ge=1, le=MAX_ID, description="One of your devices.")
