"""Demo circle: "Tuesday tea", an end-to-end encrypted circle of Long COVID
North among Alex (its admin), Casey (Alex's carer) and Nia, made through
the services the browser's requests reach, with keys, member lists and
messages made by kinwell.circles.protocol exactly as the browser makes them.

Alex makes the circle alone (epoch 1), invites Casey and Nia, who accept,
and signs them into epoch 2; then the three talk: posts, a reply and a
reaction. Morgan, the community's moderator, gets a 404 like everyone else
outside the circle.

No browser holds the demo members' device keys, which are forgotten once
the data is made. Each member has a key backup instead, under
DEMO_CIRCLE_PASSPHRASE: signed in as Alex, Casey or Nia, open the circle
keys page, choose "Restore from a backup", give the passphrase, and the
circle opens in that browser. Each member's recovery key is on the member
lists, so the restored device can be vouched into the next one.

Loading twice changes nothing. The circle is not made when one of the
three already has circle keys (someone tried circles as them first): those
keys could not vouch for the demo's."""

from datetime import timedelta
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.circles import protocol, services
from kinwell.circles.models import Circle, Device, Message
from kinwell.communities.demo import NORTH
from kinwell.communities.models import Community
from kinwell.lib import ratelimit

DEMO_CIRCLE_PASSPHRASE = "tuesday tea in the quiet room"  # noqa: S105 - printed on purpose
# The client chooses a circle's id; the demo's is fixed so that loading
# again finds it: the 16 bytes "kinwell-demo-cir".
DEMO_CIRCLE_UID = protocol.b64u_encode(b"kinwell-demo-cir")
META = protocol.CircleMeta(
    name="Tuesday tea",
    purpose="Somewhere small for the three of us to say how things really are, "
    "between the big group's threads.",
)
ALEX, CASEY, NIA = (
    "alex@demo.kinwell.test",
    "casey@demo.kinwell.test",
    "nia@demo.kinwell.test",
)


class Keys(NamedTuple):
    """A demo member's browser device and recovery key, with their rows."""

    user: User
    device: Device
    browser: protocol.DeviceKeys
    recovery_device: Device
    recovery: protocol.RecoveryKey

    def roster_member(self, *, admin: bool) -> protocol.RosterMember:
        return protocol.RosterMember(
            self.user.pk,
            admin,
            (
                protocol.RosterKey(
                    self.device.pk, self.browser.agreement, self.browser.signing
                ),
                protocol.RosterKey(
                    self.recovery_device.pk, "", self.recovery.signing, recovery=True
                ),
            ),
        )


@transaction.atomic
def load_demo(people: dict[str, User]) -> list[str]:
    """Makes what is missing and returns a line for each thing it made."""
    if Circle.objects.filter(uid=DEMO_CIRCLE_UID).exists():
        return []
    members = [people[ALEX], people[CASEY], people[NIA]]
    if Device.objects.filter(user__in=members).exists():
        return []
    community = Community.objects.get(name=NORTH)
    with ratelimit.suspended():
        alex, casey, nia = (_keys(person) for person in members)
        epoch_keys = _circle(community, alex, [casey, nia])
        # Casey and Nia joined in epoch 2: their browsers never held epoch 1.
        _backup(alex, epoch_keys)
        for guest in (casey, nia):
            _backup(guest, {2: epoch_keys[2]})
    return [
        f"circle {META.name!r} in {NORTH} among Alex, Casey and Nia "
        f"(restore their keys with the passphrase {DEMO_CIRCLE_PASSPHRASE!r})"
    ]


def _keys(user: User) -> Keys:
    """A browser device, trusted on first use, and a recovery key it vouches
    for, as the keys page registers them."""
    browser = protocol.generate_device_keys()
    device = services.register_device(
        user,
        label="Demo browser",
        agreement_key=browser.agreement,
        signing_key=browser.signing,
    )
    recovery = protocol.generate_recovery_key()
    recovery_device = services.register_device(
        user,
        label="Recovery key",
        agreement_key="",
        signing_key=recovery.signing,
        kind=Device.Kind.RECOVERY,
        vouched_by=device,
        voucher=protocol.sign_voucher(
            browser.signing_private, user.pk, "", recovery.signing
        ),
    )
    return Keys(user, device, browser, recovery_device, recovery)


def _circle(community: Community, admin: Keys, guests: list[Keys]) -> dict[int, bytes]:
    """The circle, the invitations, epoch 2 and the conversation; returns
    the epoch keys by number."""
    first = protocol.new_epoch_key()
    roster = _roster(1, "", first, [admin.roster_member(admin=True)])
    signed = _sign(admin, first, roster)
    circle = services.create_circle(
        admin.user,
        community=community,
        uid=DEMO_CIRCLE_UID,
        roster=roster,
        signer=admin.device,
        signature=signed.signature,
        sealed_meta=signed.sealed_meta,
        wraps=signed.wraps,
    )
    for guest in guests:
        seat = services.invite_to_circle(
            admin.user,
            circle=circle,
            invitee=guest.user,
            signer=admin.device,
            signature=protocol.sign_invitation(
                admin.browser.signing_private, circle.uid, 1, guest.user.pk
            ),
        )
        services.accept_circle_invitation(guest.user, membership=seat)
    second = protocol.new_epoch_key()
    members = [admin.roster_member(admin=True)]
    members += [guest.roster_member(admin=False) for guest in guests]
    roster = _roster(2, roster, second, members)
    signed = _sign(admin, second, roster)
    services.start_epoch(
        admin.user,
        circle=circle,
        number=2,
        roster=roster,
        signer=admin.device,
        signature=signed.signature,
        sealed_meta=signed.sealed_meta,
        wraps=signed.wraps,
    )
    circle.refresh_from_db()
    _conversation(circle, second, admin, *guests)
    return {1: first, 2: second}


def _roster(
    number: int, previous: str, key: bytes, members: list[protocol.RosterMember]
) -> str:
    return protocol.roster_string(
        protocol.Roster(
            circle=DEMO_CIRCLE_UID,
            epoch=number,
            previous=protocol.roster_hash(previous) if previous else "",
            key_check=protocol.key_check(key),
            members=tuple(members),
        )
    )


class Signed(NamedTuple):
    signature: str
    sealed_meta: str
    wraps: list[tuple[int, str]]


def _sign(signer: Keys, key: bytes, roster: str) -> Signed:
    """What the admin's browser sends with a member list: its signature, the
    sealed name and the key wrapped for every browser on the list."""
    parsed = protocol.parse_roster(roster)
    return Signed(
        signature=protocol.sign_roster(signer.browser.signing_private, roster),
        sealed_meta=protocol.seal_meta(key, DEMO_CIRCLE_UID, parsed.epoch, META),
        wraps=protocol.wrap_for_roster(key, parsed),
    )


class _Sender:
    """Posts as one demo member's device, counting as the browser counts."""

    def __init__(self, circle: Circle, key: bytes, keys: Keys) -> None:
        self.circle, self.key, self.keys, self.counter = circle, key, keys, 0

    def post(self, body: dict[str, Any]) -> Message:
        self.counter += 1
        wire = protocol.seal_message(
            key=self.key,
            circle=self.circle.uid,
            epoch=self.circle.current_epoch,
            device=self.keys.device.pk,
            counter=self.counter,
            private_key=self.keys.browser.signing_private,
            body=body,
        )
        return services.post_message(
            self.keys.user,
            circle=self.circle,
            header=wire.header,
            iv=wire.iv,
            ciphertext=wire.ct,
            signature=wire.sig,
        )


def _conversation(
    circle: Circle, key: bytes, alex_keys: Keys, casey_keys: Keys, nia_keys: Keys
) -> None:
    alex, casey, nia = (
        _Sender(circle, key, keys) for keys in (alex_keys, casey_keys, nia_keys)
    )
    start = timezone.now() - timedelta(hours=5)

    def post(
        minutes: int, text: str, reply_to: Message | None = None
    ) -> dict[str, Any]:
        return protocol.post_body(
            text,
            sent_at=start + timedelta(minutes=minutes),
            reply_to=reply_to.pk if reply_to else None,
        )

    opening = alex.post(post(0, OPENING))
    nia.post(post(25, NIA_WELCOME, reply_to=opening))
    casey.post(post(40, CASEY_SATURDAY))
    plan = alex.post(post(95, ALEX_PLAN))
    casey.post(
        protocol.reaction_body(plan.pk, "❤️", sent_at=start + timedelta(minutes=97))
    )
    nia.post(post(130, NIA_REVIEW, reply_to=plan))


OPENING = (
    "Thank you both for saying yes. I wanted somewhere smaller than the main "
    "group to say how things really are.\n\nThis week was a crash week: two "
    "good days, then flat on the sofa for three."
)
NIA_WELCOME = (
    "Glad to be here, Alex. Crash weeks are hard, and it's good you can say "
    "so. Did anything set it off, or did it come out of nowhere?"
)
CASEY_SATURDAY = (
    "I think it was Saturday: we stayed at your sister's much longer than we "
    "planned. I should have called it earlier. 💛"
)
ALEX_PLAN = (
    "Not your fault! I'm going to try a stricter energy envelope for two "
    "weeks and note what I do each day.\n\n**Small goals:**\n\n"
    "- a short walk on good days only\n- rest *before* the crash, not after\n"
    "- one visit a week, and leave while I still feel fine"
)
NIA_REVIEW = (
    "That sounds like a good plan. Take the notes to your review next month: "
    "two weeks written down says more than any of us can remember."
)


def _backup(member: Keys, held: dict[int, bytes]) -> None:
    """The key backup the keys page makes when a member sets a passphrase:
    their recovery key and the epoch keys their browser holds."""
    made = protocol.make_backup(
        DEMO_CIRCLE_PASSPHRASE,
        member.user.pk,
        member.recovery_device.pk,
        member.recovery.pkcs8,
        {(DEMO_CIRCLE_UID, number): key for number, key in held.items()},
    )
    services.save_key_backup(
        member.user, blob=made.blob, recovery_device=member.recovery_device
    )
