"""Test data for circles, made through the real services.

The server checks the shape of keys, signatures and wrapped keys but verifies
no signature and opens nothing, so these helpers make real P-256 public keys
(with `cryptography`) and well-formed random bytes for everything the clients
would sign or encrypt. Nothing here depends on kinwell.circles.protocol."""

import base64
import hashlib
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
)

from kinwell.accounts.models import User
from kinwell.circles import services
from kinwell.circles.models import (
    Circle,
    CircleMembership,
    Device,
    Epoch,
    Message,
)
from kinwell.communities.models import Community, Membership
from tests import factories


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def spki(curve: ec.EllipticCurve | None = None) -> str:
    key = ec.generate_private_key(curve or ec.SECP256R1()).public_key()
    return b64u(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def random_b64u(size: int) -> str:
    return b64u(os.urandom(size))


def signature() -> str:
    return random_b64u(64)


def wrapped() -> str:
    return json.dumps({"e": spki(), "iv": random_b64u(12), "ct": random_b64u(48)})


def sealed(size: int = 60) -> str:
    return json.dumps({"iv": random_b64u(12), "ct": random_b64u(size)})


def new_uid() -> str:
    return random_b64u(16)


def digest(text: str) -> str:
    return b64u(hashlib.sha256(text.encode()).digest())


def backup_blob(**changes: Any) -> str:
    blob = {
        "v": 1,
        "kdf": "PBKDF2-SHA256",
        "iterations": 600_000,
        "salt": random_b64u(16),
        "recovery": {"iv": random_b64u(12), "ct": random_b64u(120)},
        "keys": {"iv": random_b64u(12), "ct": random_b64u(200)},
    }
    return json.dumps(blob | changes)


# Devices -----------------------------------------------------------------------------


def make_device(
    user: User, *, vouched_by: Device | None = None, label: str = "Laptop"
) -> Device:
    """A browser device of `user`: active if it is their first key or
    `vouched_by` vouches for it, pending otherwise."""
    return services.register_device(
        user,
        label=label,
        agreement_key=spki(),
        signing_key=spki(),
        vouched_by=vouched_by,
        voucher=signature() if vouched_by else "",
    )


def make_recovery_key(user: User, vouched_by: Device) -> Device:
    return services.register_device(
        user,
        label="Recovery key",
        agreement_key="",
        signing_key=spki(),
        kind=Device.Kind.RECOVERY,
        vouched_by=vouched_by,
        voucher=signature(),
    )


def device_of(user: User) -> Device:
    """`user`'s first active browser, made if they have none."""
    found = (
        Device.objects.filter(
            user=user, state=Device.State.ACTIVE, kind=Device.Kind.BROWSER
        )
        .order_by("pk")
        .first()
    )
    return found or make_device(user)


# Member lists ------------------------------------------------------------------------


def key_entry(device: Device) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "device": device.pk,
        "agreement": device.agreement_key,
        "signing": device.signing_key,
    }
    if device.kind == Device.Kind.RECOVERY:
        entry["recovery"] = True
    return entry


def roster_text(
    circle_uid: str,
    number: int,
    people: list[tuple[User, bool, list[Device]]],
    *,
    previous_text: str | None = None,
    **changes: Any,
) -> str:
    """A member list as the browsers write it, of (user, admin, keys); any
    of its fields replaced by `changes`."""
    roster = {
        "v": 1,
        "circle": circle_uid,
        "epoch": number,
        "previous": "" if previous_text is None else digest(previous_text),
        "key_check": random_b64u(32),
        "members": [
            {"user": user.pk, "admin": admin, "keys": [key_entry(d) for d in keys]}
            for user, admin, keys in people
        ],
    }
    return json.dumps(roster | changes, separators=(",", ":"))


def active_keys(user: User) -> list[Device]:
    return list(
        Device.objects.filter(user=user, state=Device.State.ACTIVE).order_by("pk")
    )


def listed_members(
    circle: Circle, *, leave_out: tuple[User, ...] = ()
) -> list[tuple[User, bool, list[Device]]]:
    """Everyone joined or accepted, with all their active keys: the list an
    admin's browser would sign next."""
    seats = (
        CircleMembership.objects.filter(
            circle=circle,
            state__in=[
                CircleMembership.State.JOINED,
                CircleMembership.State.ACCEPTED,
            ],
        )
        .exclude(user__in=[user.pk for user in leave_out])
        .select_related("user")
        .order_by("pk")
    )
    return [(seat.user, seat.is_admin, active_keys(seat.user)) for seat in seats]


def wraps_for(members: list[tuple[User, bool, list[Device]]]) -> list[tuple[int, str]]:
    return [
        (device.pk, wrapped())
        for _user, _admin, keys in members
        for device in keys
        if device.kind == Device.Kind.BROWSER
    ]


# Circles -----------------------------------------------------------------------------


def create_circle(
    admin: User, community: Community, *, uid: str | None = None
) -> Circle:
    device = device_of(admin)
    uid = uid or new_uid()
    members = [(admin, True, active_keys(admin))]
    return services.create_circle(
        admin,
        community=community,
        uid=uid,
        roster=roster_text(uid, 1, members),
        signer=device,
        signature=signature(),
        sealed_meta=sealed(),
        wraps=wraps_for(members),
    )


def current_roster(circle: Circle) -> str:
    circle.refresh_from_db()
    return Epoch.objects.get(circle=circle, number=circle.current_epoch).roster


def next_epoch_args(
    circle: Circle,
    signer: Device,
    *,
    members: list[tuple[User, bool, list[Device]]] | None = None,
    removed: tuple[User, ...] = (),
    **roster_changes: Any,
) -> dict[str, Any]:
    """The arguments of start_epoch for the next key period, listing
    everyone joined or accepted but `removed`."""
    previous = current_roster(circle)
    if members is None:
        members = listed_members(circle, leave_out=removed)
    number = circle.current_epoch + 1
    return {
        "circle": circle,
        "number": number,
        "roster": roster_text(
            circle.uid, number, members, previous_text=previous, **roster_changes
        ),
        "signer": signer,
        "signature": signature(),
        "sealed_meta": sealed(),
        "wraps": wraps_for(members),
        "removed": [user.pk for user in removed],
    }


def next_epoch(actor: User, circle: Circle, *, removed: tuple[User, ...] = ()) -> Epoch:
    args = next_epoch_args(circle, device_of(actor), removed=removed)
    return services.start_epoch(actor, **args)


def make_circle(
    admin: User, community: Community, members: tuple[User, ...] = ()
) -> Circle:
    """A circle of `admin` and `members` (each with a device), all joined,
    in key period 2 (or 1 without members)."""
    circle = create_circle(admin, community)
    if not members:
        return circle
    for user in members:
        device_of(user)
        seat = signed_invite(admin, circle=circle, invitee=user)
        services.accept_circle_invitation(user, membership=seat)
    next_epoch(admin, circle)
    circle.refresh_from_db()
    return circle


def header(circle: Circle, device: Device, counter: int, epoch: int = 0) -> str:
    return json.dumps(
        {
            "v": 1,
            "circle": circle.uid,
            "epoch": epoch or circle.current_epoch,
            "device": device.pk,
            "counter": counter,
        },
        separators=(",", ":"),
    )


def post(
    user: User, circle: Circle, counter: int, *, device: Device | None = None
) -> Message:
    circle.refresh_from_db()
    device = device or device_of(user)
    return services.post_message(
        user,
        circle=circle,
        header=header(circle, device, counter),
        iv=random_b64u(12),
        ciphertext=random_b64u(100),
        signature=signature(),
    )


def signed_invite(
    actor: User,
    *,
    circle: Circle,
    invitee: User,
    signer: Device | None = None,
) -> CircleMembership:
    """An invitation as an admin's browser sends it: signed by `signer`
    (their first browser, on the member list) with a well-formed signature
    (the server does not verify it)."""
    return services.invite_to_circle(
        actor,
        circle=circle,
        invitee=invitee,
        signer=signer or device_of(actor),
        signature=signature(),
    )


# Fixtures of the circles tests: three members of one community, and a
# circle of two of them. Imported by the test modules that use them.


@pytest.fixture
def ann(db: None) -> User:
    return factories.make_user("Ann Admin")


@pytest.fixture
def bea(db: None) -> User:
    return factories.make_user("Bea Member")


@pytest.fixture
def cal(db: None) -> User:
    return factories.make_user("Cal Member")


@pytest.fixture
def group(community: Community, ann: User, bea: User, cal: User) -> Community:
    for user in (ann, bea, cal):
        Membership.objects.create(community=community, user=user)
    return community


@pytest.fixture
def circle(group: Community, ann: User, bea: User) -> Circle:
    """Ann (admin) and Bea, joined, in key period 2."""
    return make_circle(ann, group, (bea,))
