"""What `kinwell seed` makes of circles: a few circles of three to twelve
joined members in some communities, one key period each, signed member
lists every client verifies, keys wrapped for each member's device, and
messages that open under the circle's key and pass the replay rule; the
same seed makes the same keys, IVs and sealed names."""

import hashlib
import json
import random
from collections import Counter

import pytest
from django.db import transaction

from kinwell.circles import protocol
from kinwell.circles.models import (
    Circle,
    CircleMembership,
    Device,
    Epoch,
    KeyWrap,
    Message,
)
from kinwell.seeding import accounts, communities
from kinwell.seeding import circles as circle_seeder
from kinwell.seeding.registry import Context, seed
from kinwell.seeding.scales import SCALES

SMALL = SCALES["small"]


def seed_circles_only(number: int) -> None:
    """The seeders circles need (accounts, communities), then the circles
    seeder, each with the Random `seed` would give it."""
    context = Context(
        scale=SMALL, seed=number, rng=random.Random(number), report=lambda _: None
    )
    for seeder in (
        accounts.seed_accounts,
        communities.seed_communities,
        circle_seeder.seed_circles,
    ):
        context.rng = random.Random(f"{number}/{seeder.__name__}")
        seeder(context)


@pytest.fixture
def epoch_keys(db: None, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Seeds, keeping the epoch keys the seeder draws (in the order it
    makes the circles), which nothing else keeps."""
    drawn: list[bytes] = []
    new_epoch_key = protocol.new_epoch_key

    def keeping(**kwargs: object) -> bytes:
        key = new_epoch_key(**kwargs)  # type: ignore[arg-type]
        drawn.append(key)
        return key

    monkeypatch.setattr(protocol, "new_epoch_key", keeping)
    seed_circles_only(1)
    return drawn


def test_a_few_circles_of_joined_members(epoch_keys: list[bytes]) -> None:
    circles = list(Circle.objects.order_by("pk"))
    assert len(circles) == SMALL.circles
    for circle in circles:
        seats = list(CircleMembership.objects.filter(circle=circle).order_by("pk"))
        assert 3 <= len(seats) <= 12
        assert {seat.state for seat in seats} == {CircleMembership.State.JOINED}
        assert [seat.role for seat in seats].count("admin") == 1
        assert seats[0].user_id == circle.created_by_id
        assert Epoch.objects.filter(circle=circle).count() == 1
        assert KeyWrap.objects.filter(epoch__circle=circle).count() == len(seats)
        low, high = SMALL.circle_messages
        assert low <= Message.objects.filter(circle=circle).count() <= high
        last = Message.objects.filter(circle=circle).order_by("-created_at").first()
        assert last is not None
        assert circle.last_message_at == last.created_at


def test_every_member_list_verifies_and_every_message_opens(
    epoch_keys: list[bytes],
) -> None:
    devices = {
        device.pk: protocol.DeviceRecord(device.pk, None, "")
        for device in Device.objects.all()
    }
    kinds: Counter[str] = Counter()
    for circle, key in zip(Circle.objects.order_by("pk"), epoch_keys, strict=True):
        epoch = Epoch.objects.get(circle=circle)
        signed = protocol.SignedEpoch(1, epoch.roster, epoch.signer_id, epoch.signature)
        chain = protocol.verify_chain([signed], devices, circle=circle.uid)
        assert chain.error is None
        roster = chain.verified[0].roster
        assert roster.key_check == protocol.key_check(key)
        assert protocol.open_meta(key, circle.uid, 1, epoch.sealed_meta).name
        messages = Message.objects.filter(circle=circle).order_by("pk")
        result = protocol.accept_in_order(
            [
                (m.pk, protocol.WireMessage(m.header, m.iv, m.ciphertext, m.signature))
                for m in messages
            ],
            circle=circle.uid,
            keys={1: key},
            rosters={1: roster},
        )
        assert result.refused == []
        for message_id, opened in result.accepted:
            kinds[opened.body["kind"]] += 1
            target = opened.body.get("target") or opened.body.get("reply_to")
            assert target is None or target < message_id
    assert kinds["post"] > kinds["reaction"] > 0


def _circle_digest() -> str:
    """What the seed decides apart from database ids (which member lists,
    headers and bodies name, and which PostgreSQL's sequences do not hand
    out again after a rollback)."""
    digest = hashlib.sha256()
    wraps = KeyWrap.objects.order_by("epoch__circle__uid", "device__signing_key")
    rows = [
        *Circle.objects.order_by("uid").values_list(
            "uid", "created_at", "last_message_at"
        ),
        *Epoch.objects.order_by("circle__uid").values_list("sealed_meta"),
        *Device.objects.order_by("signing_key").values_list(
            "agreement_key", "signing_key", "created_at"
        ),
        *[
            json.loads(wrapped)["e"]
            for wrapped in wraps.values_list("wrapped", flat=True)
        ],
        *Message.objects.order_by("circle__uid", "created_at", "counter").values_list(
            "iv", "counter", "created_at"
        ),
    ]
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _seeded_digest(number: int) -> str:
    with transaction.atomic():
        seed_circles_only(number)
        digest = _circle_digest()
        transaction.set_rollback(True)
    return digest


def test_the_same_seed_makes_the_same_circles_and_keys(db: None) -> None:
    first = _seeded_digest(1)
    assert _seeded_digest(1) == first
    assert _seeded_digest(2) != first


def test_the_seed_command_makes_circles(db: None) -> None:
    seed("small", seed=3, report=lambda line: None)
    assert Circle.objects.count() == SMALL.circles
    assert Message.objects.filter(circle__isnull=False).exists()
