"""The demo circle: Alex, Casey and Nia in Long COVID North, made through
the services with keys and messages the browser could have made; each of
them restores their keys from the backup under the documented passphrase
and reads every message through the API; outsiders, the community's
moderator and the administrator get 404; loading twice changes nothing."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from kinwell.accounts import services as account_services
from kinwell.accounts.models import User
from kinwell.circles import demo as circles_demo
from kinwell.circles import protocol
from kinwell.circles.demo import DEMO_CIRCLE_PASSPHRASE, DEMO_CIRCLE_UID
from kinwell.circles.models import (
    Circle,
    CircleMembership,
    Device,
    Epoch,
    KeyBackup,
    KeyWrap,
    Message,
)
from kinwell.communities import demo as communities_demo
from kinwell.communities.demo import NORTH
from kinwell.web.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
API = "/api/v1"
THREE = ("alex", "casey", "nia")


@pytest.fixture
def loaded() -> None:
    call_command("load_demo")


@pytest.fixture
def circle_demo() -> None:
    """Only what the circle needs of the demo (its three members and their
    communities), much quicker to load than all of it."""
    people = {
        f"{name}@demo.kinwell.test": account_services.create_account(
            f"{name}@demo.kinwell.test", DEMO_PASSWORD, display_name=name.title()
        )
        for name in THREE
    }
    communities_demo.load_demo(people)
    assert circles_demo.load_demo(people)


def person(name: str) -> User:
    return User.objects.get(email=f"{name}@demo.kinwell.test")


def restore(client: Client, user: User) -> dict[tuple[str, int], bytes]:
    """What the keys page does with the passphrase: open the backup, and
    register this browser with a voucher by the recovery key. Returns the
    epoch keys the backup held."""
    backup = client.get(f"{API}/me/circle-backup").json()
    opened = protocol.open_backup(DEMO_CIRCLE_PASSPHRASE, user.pk, backup["blob"])
    assert opened.recovery_device == backup["recovery_device"]
    keys = protocol.generate_device_keys()
    voucher = protocol.sign_voucher(
        opened.recovery_private_key, user.pk, keys.agreement, keys.signing
    )
    response = client.post(
        f"{API}/me/circle-devices",
        {
            "label": "Restored browser",
            "agreement": keys.agreement,
            "signing": keys.signing,
            "vouched_by": opened.recovery_device,
            "voucher": voucher,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "active"
    return opened.epoch_keys


def read_circle(
    client: Client, keys: dict[tuple[str, int], bytes]
) -> tuple[protocol.CircleMeta, list[dict[str, Any]]]:
    """The circle's name and the bodies of its messages, as a client
    verifies and opens them."""
    state = client.get(f"{API}/circles/{DEMO_CIRCLE_UID}").json()
    epochs = [
        protocol.SignedEpoch(e["number"], e["roster"], e["signer"], e["signature"])
        for e in state["epochs"]
    ]
    chain = protocol.verify_chain(
        epochs, protocol.device_records(state["devices"]), circle=DEMO_CIRCLE_UID
    )
    assert chain.error is None
    rosters = {epoch.number: epoch.roster for epoch in chain.verified}
    held = {epoch: key for (uid, epoch), key in keys.items() if uid == DEMO_CIRCLE_UID}
    for number, key in held.items():
        assert protocol.key_check(key) == rosters[number].key_check
    current = state["current_epoch"]
    meta = protocol.open_meta(
        held[current], DEMO_CIRCLE_UID, current, state["epochs"][-1]["sealed_meta"]
    )
    listed = client.get(f"{API}/circles/{DEMO_CIRCLE_UID}/messages").json()
    result = protocol.accept_in_order(
        [
            (m["id"], protocol.WireMessage(m["header"], m["iv"], m["ct"], m["sig"]))
            for m in listed["messages"]
        ],
        circle=DEMO_CIRCLE_UID,
        keys=held,
        rosters=rosters,
    )
    assert result.refused == []
    return meta, [{"id": i, **opened.body} for i, opened in result.accepted]


@pytest.mark.usefixtures("circle_demo")
def test_circle_of_three_in_long_covid_north() -> None:
    circle = Circle.objects.get(uid=DEMO_CIRCLE_UID)
    assert circle.community.name == NORTH
    assert circle.current_epoch == 2
    seats = {
        seat.user.email.split("@")[0]: (seat.role, seat.state)
        for seat in CircleMembership.objects.filter(circle=circle).select_related(
            "user"
        )
    }
    assert seats == {
        "alex": ("admin", "joined"),
        "casey": ("member", "joined"),
        "nia": ("member", "joined"),
    }


@pytest.mark.usefixtures("circle_demo")
@pytest.mark.parametrize("name", THREE)
def test_each_member_restores_their_backup_and_reads_the_circle(
    client_for: ClientFor, name: str
) -> None:
    user = person(name)
    client = client_for(user)
    meta, bodies = read_circle(client, restore(client, user))
    assert meta.name == "Tuesday tea"
    posts = [body for body in bodies if body["kind"] == "post"]
    reactions = [body for body in bodies if body["kind"] == "reaction"]
    assert len(posts) == 5
    assert posts[0]["text"].startswith("Thank you both for saying yes.")
    assert posts[1]["reply_to"] == posts[0]["id"]
    assert reactions == [
        {
            "id": reactions[0]["id"],
            "kind": "reaction",
            "target": posts[3]["id"],
            "emoji": "❤️",
            "sent_at": reactions[0]["sent_at"],
        }
    ]


@pytest.mark.usefixtures("circle_demo")
def test_alex_backup_holds_both_epochs_and_guests_only_the_second() -> None:
    held = {
        name: set(
            protocol.open_backup(
                DEMO_CIRCLE_PASSPHRASE,
                person(name).pk,
                KeyBackup.objects.get(user=person(name)).blob,
            ).epoch_keys
        )
        for name in THREE
    }
    assert held == {
        "alex": {(DEMO_CIRCLE_UID, 1), (DEMO_CIRCLE_UID, 2)},
        "casey": {(DEMO_CIRCLE_UID, 2)},
        "nia": {(DEMO_CIRCLE_UID, 2)},
    }


@pytest.mark.usefixtures("circle_demo")
def test_a_wrong_passphrase_does_not_open_a_demo_backup() -> None:
    alex = person("alex")
    with pytest.raises(protocol.WrongPassphrase):
        protocol.open_backup(
            "tuesday tea", alex.pk, KeyBackup.objects.get(user=alex).blob
        )


@pytest.mark.usefixtures("circle_demo")
def test_recovery_keys_are_on_the_member_lists() -> None:
    """So that a browser restored from a backup, vouched for by the
    recovery key, can be signed into the next member list."""
    roster = protocol.parse_roster(
        Epoch.objects.get(circle__uid=DEMO_CIRCLE_UID, number=2).roster
    )
    recovery = set(
        Device.objects.filter(kind=Device.Kind.RECOVERY).values_list("pk", flat=True)
    )
    for member in roster.members:
        assert {key.device for key in member.keys if key.recovery} & recovery


@pytest.mark.usefixtures("circle_demo")
def test_casey_and_nia_were_invited_by_alexs_signed_invitations() -> None:
    """As a browser checks them before signing someone in: by a key listed
    under an admin on the member list of the invitation's key period."""
    first = protocol.parse_roster(
        Epoch.objects.get(circle__uid=DEMO_CIRCLE_UID, number=1).roster
    )
    guests = CircleMembership.objects.filter(
        circle__uid=DEMO_CIRCLE_UID, role=CircleMembership.Role.MEMBER
    )
    assert guests.count() == 2
    for seat in guests:
        assert seat.invitation_epoch == 1
        [admin] = first.members
        [key] = [k for k in admin.keys if k.device == seat.invitation_signer_id]
        assert admin.admin
        assert protocol.verify_invitation(
            key.signing,
            seat.invitation_signature,
            DEMO_CIRCLE_UID,
            seat.invitation_epoch,
            seat.user_id,
        )


@pytest.mark.usefixtures("loaded")
def test_moderator_administrator_and_others_get_404(client_for: ClientFor) -> None:
    for email in ("morgan", "admin", "jo"):
        client = client_for(User.objects.get(email=f"{email}@demo.kinwell.test"))
        for path in ("", "/messages"):
            response = client.get(f"{API}/circles/{DEMO_CIRCLE_UID}{path}")
            assert response.status_code == 404


def _rows() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Circle,
            CircleMembership,
            Device,
            Epoch,
            KeyWrap,
            KeyBackup,
            Message,
        )
    )


@pytest.mark.usefixtures("loaded")
def test_the_demo_loader_makes_the_circle_once() -> None:
    before = _rows()
    call_command("load_demo")
    assert _rows() == before
    assert before == (1, 3, 6, 2, 4, 3, 6)
