"""The circle pages through HTTP: a community's circles and invitations, a new
circle, a circle, this device's keys and the moderators' circle reports, for a
member, a circle admin, someone invited, a member of the community outside
the circle, a moderator, an organiser, a superuser and a visitor.

Circles are made through the real services with well-formed P-256 keys and
signatures from `cryptography` (the pages never decrypt, so the ciphertext
here is random bytes of the right shape)."""

import base64
import hashlib
import html
import json
import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from kinwell.accounts.models import User
from kinwell.circles import services
from kinwell.circles.models import (
    Circle,
    CircleMembership,
    Device,
    Epoch,
    Message,
    Report,
)
from kinwell.circles.scripts import CIRCLE_SCRIPTS
from kinwell.communities.models import Community, Membership
from tests import factories
from tests.helpers import assert_bounded_queries

ClientFor = Callable[[User], Client]
NOSCRIPT = (
    "Circles need JavaScript: your messages are encrypted and decrypted in your "
    "browser, so the server cannot read them."
)
SERVER_SEES = "What the server can see"


# Making circles through the services -----------------------------------------


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def spki(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return b64u(der)


def new_public_key() -> str:
    return spki(ec.generate_private_key(ec.SECP256R1()))


def sign(key: ec.EllipticCurvePrivateKey, text: str) -> str:
    """The raw r||s form Web Crypto makes."""
    r, s = decode_dss_signature(key.sign(text.encode(), ec.ECDSA(hashes.SHA256())))
    return b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def sealed(size: int = 48) -> str:
    return json.dumps(
        {"iv": b64u(os.urandom(12)), "ct": b64u(os.urandom(size))},
        separators=(",", ":"),
    )


def wrapped() -> str:
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    return json.dumps(
        {"e": spki(ephemeral), "iv": b64u(os.urandom(12)), "ct": b64u(os.urandom(48))},
        separators=(",", ":"),
    )


class Keyring:
    """Each person's one browser device, and circles made with them."""

    def __init__(self) -> None:
        self.keys: dict[int, tuple[Device, ec.EllipticCurvePrivateKey]] = {}

    def device(self, user: User) -> tuple[Device, ec.EllipticCurvePrivateKey]:
        if user.pk not in self.keys:
            signing = ec.generate_private_key(ec.SECP256R1())
            agreement = ec.generate_private_key(ec.SECP256R1())
            device = services.register_device(
                user,
                label="Laptop",
                agreement_key=spki(agreement),
                signing_key=spki(signing),
            )
            self.keys[user.pk] = (device, signing)
        return self.keys[user.pk]

    def roster(
        self, uid: str, number: int, previous: str, admins: set[int], users: list[User]
    ) -> str:
        members = []
        for user in users:
            device, _ = self.device(user)
            key = {
                "device": device.pk,
                "agreement": device.agreement_key,
                "signing": device.signing_key,
            }
            members.append({"user": user.pk, "admin": user.pk in admins, "keys": [key]})
        body = {
            "v": 1,
            "circle": uid,
            "epoch": number,
            "previous": previous,
            "key_check": b64u(os.urandom(32)),
            "members": members,
        }
        return json.dumps(body, separators=(",", ":"))

    def create_circle(self, admin: User, community: Community) -> Circle:
        device, signing = self.device(admin)
        uid = b64u(os.urandom(16))
        roster = self.roster(uid, 1, "", {admin.pk}, [admin])
        return services.create_circle(
            admin,
            community=community,
            uid=uid,
            roster=roster,
            signer=device,
            signature=sign(signing, "kinwell-roster-v1\n" + roster),
            sealed_meta=sealed(),
            wraps=[(device.pk, wrapped())],
        )

    def next_epoch(
        self, circle: Circle, admin: User, removed: tuple[User, ...] = ()
    ) -> Epoch:
        """The admin's device signs everyone joined or accepted (bar `removed`)
        into the next key period."""
        circle.refresh_from_db()
        seats = CircleMembership.objects.filter(
            circle=circle,
            state__in=[CircleMembership.State.JOINED, CircleMembership.State.ACCEPTED],
        ).select_related("user")
        gone = {user.pk for user in removed}
        users = [seat.user for seat in seats.order_by("pk") if seat.user_id not in gone]
        admins = {seat.user_id for seat in seats if seat.is_admin}
        previous = Epoch.objects.get(circle=circle, number=circle.current_epoch)
        number = circle.current_epoch + 1
        roster = self.roster(
            circle.uid,
            number,
            b64u(hashlib.sha256(previous.roster.encode()).digest()),
            admins,
            users,
        )
        device, signing = self.device(admin)
        return services.start_epoch(
            admin,
            circle=circle,
            number=number,
            roster=roster,
            signer=device,
            signature=sign(signing, "kinwell-roster-v1\n" + roster),
            sealed_meta=sealed(),
            wraps=[(self.device(user)[0].pk, wrapped()) for user in users],
            removed=[user.pk for user in removed],
        )

    def invite(self, circle: Circle, admin: User, user: User) -> CircleMembership:
        self.device(user)
        circle.refresh_from_db()
        device, signing = self.device(admin)
        text = f"kinwell-invitation-v1\n{circle.uid}\n{circle.current_epoch}\n{user.pk}"
        return services.invite_to_circle(
            admin,
            circle=circle,
            invitee=user,
            signer=device,
            signature=sign(signing, text),
        )

    def seat(self, circle: Circle, admin: User, *users: User) -> None:
        """Invites, accepts and signs `users` in as joined members."""
        for user in users:
            invitation = self.invite(circle, admin, user)
            services.accept_circle_invitation(user, membership=invitation)
        self.next_epoch(circle, admin)

    def post(self, circle: Circle, user: User, size: int = 64) -> Message:
        circle.refresh_from_db()
        device, signing = self.device(user)
        counter = Message.objects.filter(circle=circle, device=device).count() + 1
        header = json.dumps(
            {
                "v": 1,
                "circle": circle.uid,
                "epoch": circle.current_epoch,
                "device": device.pk,
                "counter": counter,
            },
            separators=(",", ":"),
        )
        iv, ciphertext = b64u(os.urandom(12)), b64u(os.urandom(size))
        text = f"kinwell-message-v1\n{header}\n{iv}\n{ciphertext}"
        return services.post_message(
            user,
            circle=circle,
            header=header,
            iv=iv,
            ciphertext=ciphertext,
            signature=sign(signing, text),
        )

    def backup(self, user: User) -> str:
        """A recovery key vouched for by the user's device, and a key backup of
        the right shape under it; returns the backup."""
        device, signing = self.device(user)
        recovery_key = new_public_key()
        voucher = sign(signing, f"kinwell-voucher-v1\n{user.pk}\n\n{recovery_key}")
        recovery = services.register_device(
            user,
            label="Recovery key",
            agreement_key="",
            signing_key=recovery_key,
            kind=Device.Kind.RECOVERY,
            vouched_by=device,
            voucher=voucher,
        )
        part = {"iv": b64u(os.urandom(12)), "ct": b64u(os.urandom(64))}
        blob = json.dumps(
            {
                "v": 1,
                "kdf": "PBKDF2-SHA256",
                "iterations": 600_000,
                "salt": b64u(os.urandom(16)),
                "recovery": part,
                "keys": part,
            }
        )
        services.save_key_backup(user, blob=blob, recovery_device=recovery)
        return blob


def join_community(community: Community, *users: User) -> None:
    for user in users:
        Membership.objects.create(community=community, user=user)


# The people -----------------------------------------------------------------


@pytest.fixture
def keyring() -> Keyring:
    return Keyring()


@pytest.fixture
def circle_admin(community: Community) -> User:
    user = factories.make_user("Ceri Circle-Admin")
    join_community(community, user)
    return user


@pytest.fixture
def invited(community: Community) -> User:
    user = factories.make_user("Ivy Invited")
    join_community(community, user)
    return user


@pytest.fixture
def neighbour(community: Community) -> User:
    """A member of the community with no seat in the circle."""
    user = factories.make_user("Nia Neighbour")
    join_community(community, user)
    return user


@pytest.fixture
def circle(
    keyring: Keyring,
    community: Community,
    circle_admin: User,
    member: User,
    invited: User,
    neighbour: User,
) -> Circle:
    """The admin and the member are in; Ivy is invited; Nia, the moderator
    and the organiser are in the community but not the circle."""
    made = keyring.create_circle(circle_admin, community)
    keyring.seat(made, circle_admin, member)
    keyring.invite(made, circle_admin, invited)
    made.refresh_from_db()
    return made


def list_url(community: Community) -> str:
    return reverse("circles:list", args=[community.slug])


def detail_url(circle: Circle) -> str:
    return reverse("circles:detail", args=[circle.uid])


def seat_of(circle: Circle, user: User) -> CircleMembership:
    return CircleMembership.objects.get(circle=circle, user=user)


def text_of(response: Any) -> str:
    return str(response.content.decode())


def app_div(response: Any) -> dict[str, str]:
    found = re.search(r'<div id="circle-app"([^>]*)>', text_of(response))
    assert found, "the page has no #circle-app"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', found.group(1)))


def assert_only_pinned_scripts(response: Any) -> None:
    """The page loads the pinned scripts, each with its digest, and nothing
    else; its policy allows exactly those digests."""
    tags = re.findall(r"<script\b([^>]*)>", text_of(response))
    loaded = [
        (
            re.search(r'src="([^"]*)"', tag).group(1),  # type: ignore[union-attr]
            re.search(r'integrity="([^"]*)"', tag).group(1),  # type: ignore[union-attr]
        )
        for tag in tags
    ]
    assert loaded == [(static(path), digest) for path, digest in CIRCLE_SCRIPTS]
    assert script_sources(response) == [
        f"'{digest}'" for _path, digest in CIRCLE_SCRIPTS
    ]
    assert "nonce" not in response["Content-Security-Policy"]


def script_sources(response: Any) -> list[str]:
    policy = str(response["Content-Security-Policy"])
    (directive,) = [
        part.strip()
        for part in policy.split(";")
        if part.strip().startswith("script-src")
    ]
    return directive.split()[1:]


# A community's circles -------------------------------------------------------


def test_member_sees_their_circle_with_its_sealed_name_members_and_role(
    circle: Circle, member: User, client_for: ClientFor, community: Community
) -> None:
    response = client_for(member).get(list_url(community))
    assert response.status_code == 200
    page = text_of(response)
    epoch = Epoch.objects.get(circle=circle, number=circle.current_epoch)
    item = (
        f'<li data-circle-uid="{circle.uid}" '
        f'data-sealed-meta="{html.escape(epoch.sealed_meta)}">'
    )
    assert item in page
    assert "Encrypted circle" in page
    assert "2 members" in page
    assert "You are a member" in page
    assert "No messages yet" in page
    assert detail_url(circle) in page


def test_circle_admin_sees_their_role_and_the_last_message_time(
    circle: Circle,
    circle_admin: User,
    keyring: Keyring,
    client_for: ClientFor,
    community: Community,
) -> None:
    keyring.post(circle, circle_admin)
    page = text_of(client_for(circle_admin).get(list_url(community)))
    assert "You are a circle admin" in page
    assert "Last message" in page


def test_the_list_shows_no_circle_to_members_outside_it(
    circle: Circle,
    neighbour: User,
    moderator: User,
    organiser: User,
    client_for: ClientFor,
    community: Community,
) -> None:
    for person in (neighbour, moderator, organiser):
        response = client_for(person).get(list_url(community))
        assert response.status_code == 200
        assert circle.uid not in text_of(response)
        assert "You are not in a circle of this community yet." in text_of(response)


def test_the_list_page_is_a_circle_page_with_the_noscript_notice(
    circle: Circle, member: User, client_for: ClientFor, community: Community
) -> None:
    response = client_for(member).get(list_url(community))
    assert app_div(response) == {
        "user": str(member.pk),
        "community": community.slug,
        "circle": "",
        "page": "list",
        "api": "/api/v1/",
    }
    assert NOSCRIPT in text_of(response)
    assert reverse("circles:new", args=[community.slug]) in text_of(response)
    assert reverse("circles:keys") in text_of(response)


def test_people_outside_the_community_may_not_see_its_circles(
    circle: Circle,
    outsider: User,
    administrator: User,
    client_for: ClientFor,
    community: Community,
    hidden_community: Community,
) -> None:
    for person in (outsider, administrator):
        assert client_for(person).get(list_url(community)).status_code == 403
        assert client_for(person).get(list_url(hidden_community)).status_code == 404


def test_visitors_are_asked_to_log_in(
    circle: Circle, visitor_client: Client, community: Community
) -> None:
    for url in (
        list_url(community),
        reverse("circles:new", args=[community.slug]),
        reverse("circles:keys"),
        detail_url(circle),
    ):
        response = visitor_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_list_page_queries_stay_bounded_as_circles_grow(
    django_assert_max_num_queries: Any,
    community: Community,
    member: User,
    circle_admin: User,
    keyring: Keyring,
    client_for: ClientFor,
) -> None:
    client = client_for(member)

    def add_circles(count: int) -> None:
        for _ in range(count):
            made = keyring.create_circle(circle_admin, community)
            keyring.seat(made, circle_admin, member)
            keyring.post(made, member)
            invitation = keyring.create_circle(circle_admin, community)
            keyring.invite(invitation, circle_admin, member)

    def fetch() -> None:
        assert client.get(list_url(community)).status_code == 200

    assert_bounded_queries(fetch, add_circles, max_queries=12, rows=2)
    with django_assert_max_num_queries(12):
        fetch()


# Invitations ------------------------------------------------------------------


def test_invited_member_sees_the_invitation_with_accept_and_decline_forms(
    circle: Circle, invited: User, client_for: ClientFor, community: Community
) -> None:
    page = text_of(client_for(invited).get(list_url(community)))
    assert "Ceri Circle-Admin invited you to a circle" in page
    assert f'action="{reverse("circles:accept", args=[circle.uid])}"' in page
    assert f'action="{reverse("circles:decline", args=[circle.uid])}"' in page
    assert "csrfmiddlewaretoken" in page


def test_accepting_an_invitation_waits_for_an_admin_to_sign_them_in(
    circle: Circle, invited: User, client_for: ClientFor, community: Community
) -> None:
    client = client_for(invited)
    response = client.post(reverse("circles:accept", args=[circle.uid]))
    assert response.status_code == 302
    assert response["Location"] == list_url(community)
    assert seat_of(circle, invited).state == CircleMembership.State.ACCEPTED
    page = text_of(client.get(list_url(community)))
    assert "Waiting for keys" in page
    assert "invited you to a circle" not in page
    # Until an admin's device signs them in, the circle page sends them back.
    response = client.get(detail_url(circle))
    assert response.status_code == 302
    assert response["Location"] == list_url(community)


def test_declining_an_invitation_ends_it(
    circle: Circle, invited: User, client_for: ClientFor, community: Community
) -> None:
    client = client_for(invited)
    response = client.post(reverse("circles:decline", args=[circle.uid]))
    assert response.status_code == 302
    assert seat_of(circle, invited).state == CircleMembership.State.DECLINED
    assert circle.uid not in text_of(client.get(list_url(community)))
    assert client.get(detail_url(circle)).status_code == 404


def test_only_the_invited_person_answers_an_invitation(
    circle: Circle,
    member: User,
    neighbour: User,
    moderator: User,
    administrator: User,
    client_for: ClientFor,
) -> None:
    for person in (member, neighbour, moderator, administrator):
        for name in ("circles:accept", "circles:decline"):
            url = reverse(name, args=[circle.uid])
            assert client_for(person).post(url).status_code == 404
    invitation = CircleMembership.objects.get(
        circle=circle, state=CircleMembership.State.INVITED
    )
    assert invitation.state == CircleMembership.State.INVITED


def test_answering_needs_a_post(
    circle: Circle, invited: User, client_for: ClientFor
) -> None:
    url = reverse("circles:accept", args=[circle.uid])
    assert client_for(invited).get(url).status_code == 405
    assert seat_of(circle, invited).state == CircleMembership.State.INVITED


# A circle --------------------------------------------------------------------


def test_member_gets_the_circle_under_the_pinned_scripts_policy(
    circle: Circle, member: User, client_for: ClientFor, community: Community
) -> None:
    response = client_for(member).get(detail_url(circle))
    assert response.status_code == 200
    assert app_div(response) == {
        "user": str(member.pk),
        "community": community.slug,
        "circle": circle.uid,
        "page": "detail",
        "api": "/api/v1/",
    }
    assert NOSCRIPT in text_of(response)
    assert_only_pinned_scripts(response)
    assert "connect-src 'self'" in response["Content-Security-Policy"]


def test_the_circle_page_names_what_the_server_can_see(
    circle: Circle, member: User, client_for: ClientFor
) -> None:
    page = text_of(client_for(member).get(detail_url(circle)))
    assert SERVER_SEES in page
    assert "who is in the circle" in page
    assert "when each message was sent" in page
    assert "how big it is" in page
    assert "which devices each member has" in page
    assert "cannot see the circle's name or purpose" in page
    assert "Encrypted circle" in page


def test_members_are_listed_with_roles_and_states(
    circle: Circle, member: User, client_for: ClientFor
) -> None:
    page = text_of(client_for(member).get(detail_url(circle)))
    rows = re.findall(r'<tr data-user="(\d+)"[^>]*>(.*?)</tr>', page, flags=re.S)
    seen = {int(user): re.sub(r"\s+", " ", row) for user, row in rows}
    seats = circle.memberships.select_related("user")
    by_name = {seat.user.display_name: seat.user_id for seat in seats}
    assert set(seen) == set(by_name.values())
    assert "Circle admin" in seen[by_name["Ceri Circle-Admin"]]
    assert "Mo Member (you)" in seen[by_name["Mo Member"]]
    assert "Invited" in seen[by_name["Ivy Invited"]]


@pytest.mark.parametrize(
    "who", ["neighbour", "moderator", "organiser", "administrator", "outsider"]
)
def test_everyone_without_a_seat_gets_404(
    who: str,
    circle: Circle,
    client_for: ClientFor,
    request: pytest.FixtureRequest,
) -> None:
    client = client_for(request.getfixturevalue(who))
    assert client.get(detail_url(circle)).status_code == 404
    assert client.post(reverse("circles:leave", args=[circle.uid])).status_code == 404
    invite = reverse("circles:invite", args=[circle.uid])
    assert client.post(invite, {"user": "1"}).status_code == 404


def test_an_unknown_circle_is_404(member: User, client_for: ClientFor) -> None:
    assert client_for(member).get("/circles/no-such-circle/").status_code == 404


def test_a_member_who_left_gets_404(
    circle: Circle, member: User, client_for: ClientFor, community: Community
) -> None:
    client = client_for(member)
    response = client.post(reverse("circles:leave", args=[circle.uid]))
    assert response.status_code == 302
    assert response["Location"] == list_url(community)
    assert seat_of(circle, member).state == CircleMembership.State.LEFT
    assert client.get(detail_url(circle)).status_code == 404
    assert circle.uid not in text_of(client.get(list_url(community)))


def test_leaving_needs_a_post(
    circle: Circle, member: User, client_for: ClientFor
) -> None:
    url = reverse("circles:leave", args=[circle.uid])
    assert client_for(member).get(url).status_code == 405
    assert seat_of(circle, member).state == CircleMembership.State.JOINED


# Inviting ---------------------------------------------------------------------


def test_the_invite_form_lists_community_members_without_a_seat(
    circle: Circle,
    circle_admin: User,
    neighbour: User,
    moderator: User,
    member: User,
    invited: User,
    outsider: User,
    client_for: ClientFor,
) -> None:
    page = text_of(client_for(circle_admin).get(detail_url(circle)))
    options = dict(
        (int(value), label)
        for value, label in re.findall(r'<option value="(\d+)">([^<]*)</option>', page)
    )
    assert neighbour.pk in options
    assert moderator.pk in options
    assert options[neighbour.pk] == "Nia Neighbour"
    for seated in (circle_admin, member, invited, outsider):
        assert seated.pk not in options
    assert '<label for="id_user">' in page


def test_members_who_are_not_admins_see_no_invite_form(
    circle: Circle, member: User, client_for: ClientFor
) -> None:
    page = text_of(client_for(member).get(detail_url(circle)))
    assert "Send the invitation" not in page
    assert "Invite a member" not in page


def signed_form(
    keyring: Keyring, circle: Circle, admin: User, user: Any
) -> dict[str, str]:
    """The invite form as the circle script sends it: signed by the admin's
    device with the current key period."""
    device, signing = keyring.device(admin)
    circle.refresh_from_db()
    text = f"kinwell-invitation-v1\n{circle.uid}\n{circle.current_epoch}\n{user}"
    return {
        "user": str(user),
        "signer": str(device.pk),
        "signature": sign(signing, text),
    }


def test_circle_admin_invites_a_member_of_the_community(
    circle: Circle,
    circle_admin: User,
    neighbour: User,
    client_for: ClientFor,
    keyring: Keyring,
) -> None:
    url = reverse("circles:invite", args=[circle.uid])
    form = signed_form(keyring, circle, circle_admin, neighbour.pk)
    response = client_for(circle_admin).post(url, form)
    assert response.status_code == 302
    assert response["Location"] == detail_url(circle)
    invitation = seat_of(circle, neighbour)
    assert invitation.state == CircleMembership.State.INVITED
    assert invitation.invited_by == circle_admin
    assert invitation.invitation_signer == keyring.device(circle_admin)[0]
    assert invitation.invitation_signature == form["signature"]
    assert invitation.invitation_epoch == circle.current_epoch


def test_the_invite_form_is_signed_by_the_script(
    circle: Circle, circle_admin: User, client_for: ClientFor
) -> None:
    page = text_of(client_for(circle_admin).get(detail_url(circle)))
    assert 'id="circle-invite-form"' in page
    assert "data-circle-invite-signer" in page
    assert "data-circle-invite-signature" in page
    assert "inviting needs JavaScript" in page


def test_an_unsigned_invitation_is_a_form_error(
    circle: Circle, circle_admin: User, neighbour: User, client_for: ClientFor
) -> None:
    url = reverse("circles:invite", args=[circle.uid])
    response = client_for(circle_admin).post(url, {"user": str(neighbour.pk)})
    assert response.status_code == 200
    assert "circles need JavaScript" in text_of(response)
    assert not CircleMembership.objects.filter(circle=circle, user=neighbour).exists()


def test_the_only_admin_is_told_to_make_another_before_leaving(
    circle: Circle, circle_admin: User, client_for: ClientFor
) -> None:
    client = client_for(circle_admin)
    response = client.post(reverse("circles:leave", args=[circle.uid]), follow=True)
    assert "Make someone else an admin first." in text_of(response)
    assert seat_of(circle, circle_admin).state == CircleMembership.State.JOINED


@pytest.mark.parametrize("who", ["outsider", "member", "invited", "nobody", "blank"])
def test_inviting_someone_who_cannot_be_invited_is_a_form_error(
    who: str,
    circle: Circle,
    circle_admin: User,
    client_for: ClientFor,
    keyring: Keyring,
    request: pytest.FixtureRequest,
) -> None:
    values = {"nobody": "999999", "blank": ""}
    value = values[who] if who in values else str(request.getfixturevalue(who).pk)
    before = list(CircleMembership.objects.values_list("pk", "state"))
    url = reverse("circles:invite", args=[circle.uid])
    form = signed_form(keyring, circle, circle_admin, value)
    response = client_for(circle_admin).post(url, form)
    assert response.status_code == 200
    assert 'class="errorlist' in text_of(response)
    assert list(CircleMembership.objects.values_list("pk", "state")) == before


def test_a_member_who_is_not_an_admin_may_not_invite(
    circle: Circle, member: User, neighbour: User, client_for: ClientFor
) -> None:
    url = reverse("circles:invite", args=[circle.uid])
    response = client_for(member).post(url, {"user": str(neighbour.pk)})
    assert response.status_code == 403
    assert not CircleMembership.objects.filter(circle=circle, user=neighbour).exists()


def test_inviting_needs_a_post(
    circle: Circle, circle_admin: User, client_for: ClientFor
) -> None:
    url = reverse("circles:invite", args=[circle.uid])
    assert client_for(circle_admin).get(url).status_code == 405


# A new circle and this device's keys ------------------------------------------


def test_new_circle_page_is_a_shell_for_the_script(
    community: Community, member: User, client_for: ClientFor
) -> None:
    response = client_for(member).get(reverse("circles:new", args=[community.slug]))
    assert response.status_code == 200
    assert app_div(response)["page"] == "new"
    assert app_div(response)["circle"] == ""
    assert app_div(response)["community"] == community.slug
    assert NOSCRIPT in text_of(response)
    assert SERVER_SEES in text_of(response)


def test_only_members_of_the_community_open_the_new_circle_page(
    community: Community, outsider: User, client_for: ClientFor
) -> None:
    url = reverse("circles:new", args=[community.slug])
    assert client_for(outsider).get(url).status_code == 403


def test_keys_page_is_a_shell_for_the_script(
    outsider: User, client_for: ClientFor
) -> None:
    response = client_for(outsider).get(reverse("circles:keys"))
    assert response.status_code == 200
    assert app_div(response) == {
        "user": str(outsider.pk),
        "community": "",
        "circle": "",
        "page": "keys",
        "api": "/api/v1/",
    }
    assert "the server receives only their public halves" in text_of(response)
    assert NOSCRIPT in text_of(response)
    assert_only_pinned_scripts(response)


# Links from the community ---------------------------------------------------


def test_the_community_page_links_members_to_its_circles(
    community: Community,
    member: User,
    client_for: ClientFor,
    visitor_client: Client,
) -> None:
    link = f'href="{list_url(community)}"'
    assert link in text_of(client_for(member).get(community.get_absolute_url()))
    assert link not in text_of(visitor_client.get(community.get_absolute_url()))


# Reports to the moderators ----------------------------------------------------

REVEALED = "**Please** look at this. <script>alert('x')</script>"


@pytest.fixture
def report(
    circle: Circle, member: User, circle_admin: User, keyring: Keyring
) -> Report:
    message = keyring.post(circle, circle_admin)
    return services.report_message(
        member, circle=circle, message=message, text=REVEALED, reason="Unkind words"
    )


def reports_url(community: Community) -> str:
    return reverse("circles:reports", args=[community.slug])


def decide_url(report: Report) -> str:
    slug = report.community.slug
    return reverse("circles:report_decide", args=[slug, report.pk])


def test_moderators_read_the_revealed_text_rendered_and_sanitised(
    report: Report,
    moderator: User,
    organiser: User,
    client_for: ClientFor,
    community: Community,
) -> None:
    for person in (moderator, organiser):
        response = client_for(person).get(reports_url(community))
        assert response.status_code == 200
        page = text_of(response)
        assert "<strong>Please</strong> look at this." in page
        assert "<script>alert" not in page
        assert "Mo Member" in page
        assert "Unkind words" in page
        assert f'action="{decide_url(report)}"' in page
        assert "csrfmiddlewaretoken" in page


def test_reports_show_nothing_else_of_the_circle(
    report: Report, moderator: User, client_for: ClientFor, community: Community
) -> None:
    page = text_of(client_for(moderator).get(reports_url(community)))
    message = Message.objects.get(pk=report.message_id)
    assert report.circle.uid not in page
    assert message.ciphertext not in page
    assert "Ceri Circle-Admin" not in page  # the author is not revealed


def test_moderator_dismisses_a_report_and_the_message_stays(
    report: Report, moderator: User, client_for: ClientFor, community: Community
) -> None:
    client = client_for(moderator)
    response = client.post(decide_url(report), {"action": "dismiss"})
    assert response.status_code == 302
    assert response["Location"] == reports_url(community)
    report.refresh_from_db()
    assert report.status == Report.Status.DISMISSED
    assert Message.objects.get(pk=report.message_id).removed_at is None
    assert "No open reports" in text_of(client.get(reports_url(community)))


def test_moderator_removes_the_reported_message(
    report: Report, moderator: User, client_for: ClientFor
) -> None:
    response = client_for(moderator).post(decide_url(report), {"action": "remove"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.REMOVED
    assert Message.objects.get(pk=report.message_id).removed_at is not None


@pytest.mark.parametrize("action", ["", "delete-everything"])
def test_an_unknown_decision_changes_nothing(
    action: str, report: Report, moderator: User, client_for: ClientFor
) -> None:
    response = client_for(moderator).post(decide_url(report), {"action": action})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
    assert Message.objects.get(pk=report.message_id).removed_at is None


@pytest.mark.parametrize(
    "who", ["member", "circle_admin", "neighbour", "outsider", "administrator"]
)
def test_reports_are_for_the_communitys_moderators_only(
    who: str,
    report: Report,
    client_for: ClientFor,
    community: Community,
    request: pytest.FixtureRequest,
) -> None:
    client = client_for(request.getfixturevalue(who))
    assert client.get(reports_url(community)).status_code == 403
    assert client.post(decide_url(report), {"action": "remove"}).status_code == 403
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN


def test_a_moderator_of_another_community_gets_404_for_the_report(
    report: Report, organiser: User, client_for: ClientFor
) -> None:
    other = factories.make_community(organiser, name="Elsewhere")
    url = reverse("circles:report_decide", args=[other.slug, report.pk])
    assert client_for(organiser).post(url, {"action": "remove"}).status_code == 404
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN


def test_moderators_without_two_factor_are_sent_to_set_it_up(
    report: Report, community: Community, client_for: ClientFor
) -> None:
    fresh = factories.make_user("Fen Fresh-Moderator")
    Membership.objects.create(
        community=community, user=fresh, role=Membership.Role.MODERATOR
    )
    response = client_for(fresh).get(reports_url(community))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_the_moderation_queue_links_to_circle_reports_with_their_count(
    report: Report, moderator: User, client_for: ClientFor, community: Community
) -> None:
    page = text_of(client_for(moderator).get(f"/c/{community.slug}/moderation/"))
    assert f'href="{reports_url(community)}"' in page
    assert "Circle reports (1)" in page


def test_reports_page_queries_stay_bounded(
    circle: Circle,
    member: User,
    circle_admin: User,
    moderator: User,
    keyring: Keyring,
    client_for: ClientFor,
    community: Community,
) -> None:
    client = client_for(moderator)

    def add_reports(count: int) -> None:
        for _ in range(count):
            message = keyring.post(circle, circle_admin)
            services.report_message(
                member, circle=circle, message=message, text="Look", reason=""
            )

    def fetch() -> None:
        assert client.get(reports_url(community)).status_code == 200

    assert_bounded_queries(fetch, add_reports, max_queries=12)
