"""Circles: a few end-to-end encrypted circles in some communities (a
community may have more than one), each with three to twelve of its members,
all joined, one key period, and a conversation of posts, replies and
reactions, so that a seeded database holds circle rows of the size and shape
real ones have.

Everything is encrypted and signed by kinwell.circles.protocol, as the
browser would: one browser device per member in a circle, its key wrapped
for each member's device, the member list signed by the admin's device, the
circle's name sealed, each message sealed and signed by its sender's device
with counters that go up. Key pairs, epoch keys and IVs are drawn from the
seed (and signatures are deterministic), so a seed makes the same rows byte
for byte. Nobody holds the private keys afterwards: seeded circles are
there to be stored, listed and counted, not read."""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction

from kinwell.circles import protocol
from kinwell.circles.models import (
    Circle,
    CircleMembership,
    Device,
    Epoch,
    KeyWrap,
    Message,
)
from kinwell.seeding import text
from kinwell.seeding.registry import BASE, Context, SeededCommunity
from kinwell.seeding.tracking import next_id

MEMBERS = (3, 12)
# Distinct message texts, drawn once and reused, as the discussions do.
TEXTS = 300
REPLY, REACTION = 0.2, 0.15
Role = CircleMembership.Role
EMOJI = ["❤️", "👍", "🙏", "💛", "🤗"]
NAMES = [
    "Tuesday tea", "Night owls", "Carers' corner", "Pacing pals",
    "Good days and bad", "The quiet room", "Back to work", "Small steps",
    "Parents together", "Sunday check-in", "Walking group", "Newly diagnosed",
]  # fmt: skip
# Circles start once their community has settled, and talk until BASE.
SETTLED = (0.3, 0.9)


@dataclass
class Member:
    """A seeded member's one browser device, shared by all their circles."""

    user_id: int
    keys: protocol.DeviceKeys
    device_id: int = 0
    # circle uid -> the last counter this device used there
    counters: dict[str, int] = field(default_factory=dict)


@dataclass
class Plan:
    community: SeededCommunity
    uid: str
    # The admin first.
    user_ids: list[int]
    created_at: datetime
    message_times: list[datetime]


@dataclass
class Seeded:
    plan: Plan
    circle: Circle
    key: bytes


def seed_circles(context: Context) -> None:
    rng = context.rng
    plans = _plans(context)
    if not plans:
        return
    texts = [body for body, _html in text.bodies(rng, TEXTS)]
    with transaction.atomic():
        members = _devices(context, plans)
        circles = _circles(context, plans)
        seeded = _epochs(context, plans, circles, members)
        _messages(context, seeded, members, texts)
    _reset_sequences()
    context.report(
        f"  {len(plans):,} circles, {context.counts.get('circle messages', 0):,} "
        "messages"
    )


def _plans(context: Context) -> list[Plan]:
    rng, scale = context.rng, context.scale
    eligible = [c for c in context.communities if len(c.member_ids) >= MEMBERS[0]]
    if not eligible or not scale.circles:
        return []
    plans = []
    for _ in range(scale.circles):
        community = rng.choice(eligible)
        size = rng.randint(MEMBERS[0], min(MEMBERS[1], len(community.member_ids)))
        # The admin is among the more active members; the rest from anyone.
        admin = rng.choice(
            community.member_ids[: max(3, len(community.member_ids) // 3)]
        )
        others = [m for m in community.member_ids if m != admin]
        started = _between(rng, community.created_at, BASE, SETTLED)
        plans.append(
            Plan(
                community=community,
                uid=protocol.b64u_encode(rng.randbytes(16)),
                user_ids=[admin, *rng.sample(others, size - 1)],
                created_at=started,
                message_times=_times(rng, started, rng.randint(*scale.circle_messages)),
            )
        )
    return plans


def _between(
    rng: random.Random, start: datetime, end: datetime, share: tuple[float, float]
) -> datetime:
    return start + (end - start) * rng.uniform(*share)


def _times(rng: random.Random, start: datetime, count: int) -> list[datetime]:
    # To the millisecond, as the browser writes `sent_at`.
    times = (_between(rng, start, BASE, (0.0, 1.0)) for _ in range(count))
    return sorted(t.replace(microsecond=t.microsecond // 1000 * 1000) for t in times)


def _devices(context: Context, plans: list[Plan]) -> dict[int, Member]:
    """One browser device for each member of a circle, active since just
    before their first circle."""
    first: dict[int, datetime] = {}
    for plan in plans:
        for user_id in plan.user_ids:
            first[user_id] = min(first.get(user_id, plan.created_at), plan.created_at)
    members = {
        user_id: Member(
            user_id, protocol.generate_device_keys(randbytes=context.rng.randbytes)
        )
        for user_id in first
    }
    rows = Device.objects.bulk_create(
        Device(
            user_id=member.user_id,
            kind=Device.Kind.BROWSER,
            state=Device.State.ACTIVE,
            label="Browser",
            agreement_key=member.keys.agreement,
            signing_key=member.keys.signing,
            created_at=first[member.user_id] - timedelta(days=1),
        )
        for member in members.values()
    )
    for member, row in zip(members.values(), rows, strict=True):
        member.device_id = row.pk
    context.count("circle devices", len(rows))
    return members


def _circles(context: Context, plans: list[Plan]) -> list[Circle]:
    circles = Circle.objects.bulk_create(
        Circle(
            community_id=plan.community.id,
            uid=plan.uid,
            created_by_id=plan.user_ids[0],
            created_at=plan.created_at,
            current_epoch=1,
            last_message_at=plan.message_times[-1] if plan.message_times else None,
        )
        for plan in plans
    )
    CircleMembership.objects.bulk_create(
        CircleMembership(
            community_id=plan.community.id,
            circle=circle,
            user_id=user_id,
            role=Role.ADMIN if position == 0 else Role.MEMBER,
            state=CircleMembership.State.JOINED,
            invited_by_id=plan.user_ids[0],
            invited_at=plan.created_at,
            joined_at=plan.created_at,
        )
        for plan, circle in zip(plans, circles, strict=True)
        for position, user_id in enumerate(plan.user_ids)
    )
    context.count("circles", len(circles))
    return circles


def _epochs(
    context: Context,
    plans: list[Plan],
    circles: list[Circle],
    members: dict[int, Member],
) -> list[Seeded]:
    """Epoch 1 of each circle, signed by its admin's device, with its key
    wrapped for every member's device."""
    randbytes = context.rng.randbytes
    seeded, epochs, wraps = [], [], []
    for plan, circle in zip(plans, circles, strict=True):
        key = protocol.new_epoch_key(randbytes=randbytes)
        roster = _roster(plan, key, members)
        admin = members[plan.user_ids[0]]
        epoch = Epoch(
            community_id=plan.community.id,
            circle=circle,
            number=1,
            roster=roster,
            signer_id=admin.device_id,
            signature=protocol.sign_roster(admin.keys.signing_private, roster),
            sealed_meta=protocol.seal_meta(
                key, plan.uid, 1, _meta(context.rng), randbytes=randbytes
            ),
            created_at=plan.created_at,
        )
        parsed = protocol.parse_roster(roster)
        wrapped = protocol.wrap_for_roster(key, parsed, randbytes=randbytes)
        seeded.append(Seeded(plan, circle, key))
        epochs.append(epoch)
        wraps.append((epoch, wrapped))
    Epoch.objects.bulk_create(epochs)
    KeyWrap.objects.bulk_create(
        KeyWrap(
            community_id=epoch.community_id,
            epoch=epoch,
            device_id=device_id,
            wrapped=wrapped_key,
            created_at=epoch.created_at,
        )
        for epoch, wrapped in wraps
        for device_id, wrapped_key in wrapped
    )
    context.count("circle epochs", len(epochs))
    return seeded


def _roster(plan: Plan, key: bytes, members: dict[int, Member]) -> str:
    listed = tuple(
        protocol.RosterMember(
            user_id,
            position == 0,
            (
                protocol.RosterKey(
                    members[user_id].device_id,
                    members[user_id].keys.agreement,
                    members[user_id].keys.signing,
                ),
            ),
        )
        for position, user_id in enumerate(plan.user_ids)
    )
    return protocol.roster_string(
        protocol.Roster(plan.uid, 1, "", protocol.key_check(key), listed)
    )


def _meta(rng: random.Random) -> protocol.CircleMeta:
    topic = rng.choice(text.TOPICS)
    return protocol.CircleMeta(
        rng.choice(NAMES),
        f"Somewhere small to talk about {topic}, and everything else.",
    )


def _messages(
    context: Context,
    seeded: list[Seeded],
    members: dict[int, Member],
    texts: list[str],
) -> None:
    batch: list[Message] = []
    for message in _all_messages(context, seeded, members, texts):
        batch.append(message)
        if len(batch) >= context.scale.batch:
            Message.objects.bulk_create(batch)
            context.count("circle messages", len(batch))
            batch = []
    Message.objects.bulk_create(batch)
    context.count("circle messages", len(batch))


def _all_messages(
    context: Context,
    seeded: list[Seeded],
    members: dict[int, Member],
    texts: list[str],
) -> Iterator[Message]:
    # Ids are given here, so a reply or a reaction can name an earlier
    # message without reading it back.
    message_id = next_id(Message)
    for circle in seeded:
        posts: list[int] = []
        for sent_at in circle.plan.message_times:
            sender = members[context.rng.choice(circle.plan.user_ids)]
            body = _body(context.rng, texts, posts, sent_at)
            if body["kind"] == "post":
                posts.append(message_id)
            yield _message(context, circle, sender, body, message_id, sent_at)
            message_id += 1


def _body(
    rng: random.Random, texts: list[str], posts: list[int], sent_at: datetime
) -> dict[str, Any]:
    if posts and rng.random() < REACTION:
        emoji = rng.choice(EMOJI)
        return protocol.reaction_body(rng.choice(posts), emoji, sent_at=sent_at)
    reply_to = rng.choice(posts) if posts and rng.random() < REPLY else None
    return protocol.post_body(rng.choice(texts), sent_at=sent_at, reply_to=reply_to)


def _message(
    context: Context,
    seeded: Seeded,
    sender: Member,
    body: dict[str, Any],
    message_id: int,
    sent_at: datetime,
) -> Message:
    plan = seeded.plan
    counter = sender.counters.get(plan.uid, 0) + 1
    sender.counters[plan.uid] = counter
    wire = protocol.seal_message(
        key=seeded.key,
        circle=plan.uid,
        epoch=1,
        device=sender.device_id,
        counter=counter,
        private_key=sender.keys.signing_private,
        body=body,
        randbytes=context.rng.randbytes,
    )
    return Message(
        id=message_id,
        community_id=plan.community.id,
        circle=seeded.circle,
        sender_id=sender.user_id,
        device_id=sender.device_id,
        epoch=1,
        counter=counter,
        header=wire.header,
        iv=wire.iv,
        ciphertext=wire.ct,
        signature=wire.sig,
        created_at=sent_at,
    )


def _reset_sequences() -> None:
    """Message ids were given here: tell PostgreSQL's sequence where they
    now stand."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Message]):
            cursor.execute(statement)
