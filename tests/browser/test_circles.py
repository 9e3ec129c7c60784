"""End-to-end encrypted circles in the browser: people in separate browser
contexts set up their devices, make a circle, invite, accept, are signed in
by the admin's browser, write and read. What the server could have seen of
it is searched for a canary; removal, a server that slips in a device or a
member, tampered and replayed messages, the key backup and the approval of
a new device are tried as a member meets them. Every circle page passes axe."""

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from kinwell.accounts.models import User
from kinwell.circles import protocol
from kinwell.circles.models import (
    Circle,
    CircleMembership,
    Device,
    Epoch,
    KeyWrap,
    Message,
)
from kinwell.communities.models import Community
from tests import factories
from tests.browser import circles_support as steps
from tests.browser.axe import assert_accessible
from tests.browser.circles_support import SLOW_MS, Recorder
from tests.browser.conftest import ContextFactory, LogInByCookie

pytestmark = pytest.mark.browser

REFUSED = "A message could not be verified and is not shown."


@dataclass
class Person:
    user: User
    page: Page


@pytest.fixture
def circle_people(
    db: None, organiser: User, member: User
) -> tuple[Community, list[User]]:
    """A community with three members who are not its organisers."""
    sam = factories.make_user("Sam Shah")
    tess = factories.make_user("Tess Tran")
    community = factories.make_community(
        organiser, name="Carers Together", members=(member, sam, tess)
    )
    return community, [member, sam, tess]


@pytest.fixture(autouse=True)
def _one_request_at_a_time(live_server: Any) -> Iterator[None]:
    with steps.serialised_server(live_server):
        yield


@pytest.fixture
def join(new_context: ContextFactory, log_in_by_cookie: LogInByCookie) -> Any:
    """Opens a browser context for a person, logged in, with a recorder."""

    def open_for(
        user: User, recorder: Recorder | None = None, **options: Any
    ) -> Person:
        context = new_context(**options)
        # Key derivation and several epochs on a busy machine: more than the
        # usual ten seconds.
        context.set_default_timeout(SLOW_MS)
        if recorder is not None:
            recorder.watch(context)
        log_in_by_cookie(context, user)
        page = context.new_page()
        steps.narrate(page, f"user {user.pk}")
        return Person(user, page)

    return open_for


def circle_of(
    admin: Person, others: list[Person], slug: str, name: str, purpose: str = ""
) -> str:
    """A circle made by `admin`'s browser, with `others` invited, accepting and
    signed in by the admin's browser."""
    for person in [admin, *others]:
        steps.set_up_device(person.page)
    uid = steps.create_circle(admin.page, slug, name, purpose)
    for person in others:
        steps.invite(admin.page, uid, person.user)
        steps.accept_invitation(person.page, slug)
    for person in others:
        steps.wait_until_can_read(admin.page, uid, person.user)
    return uid


def test_canary_is_read_by_all_three_and_seen_by_no_server_record(
    circle_people: tuple[Community, list[User]], join: Any, live_server: Any
) -> None:
    community, (first, second, third) = circle_people
    canary = f"canary-{secrets.token_hex(12)}"
    name_canary = f"name-{secrets.token_hex(8)}"
    purpose_canary = f"purpose-{secrets.token_hex(8)}"
    file_canary = f"file-{secrets.token_hex(8)}"
    recorder = Recorder()
    with (
        steps.recording_logs(recorder.log_lines),
        steps.recording_server_bodies(live_server, recorder.server_bodies),
    ):
        admin, reader, writer = (
            join(user, recorder) for user in (first, second, third)
        )
        uid = circle_of(
            admin,
            [reader, writer],
            community.slug,
            f"Evening {name_canary}",
            f"For {purpose_canary}",
        )
        assert steps.current_epoch(uid) >= 2  # the admin's browser signed them in

        steps.open_circle(writer.page, uid)
        expect(writer.page.locator("h1")).to_have_text(f"Evening {name_canary}")
        writer.page.get_by_label("Attach files (optional)").set_input_files(
            files=[
                {
                    "name": "note.txt",
                    "mimeType": "text/plain",
                    "buffer": f"A note: {file_canary}".encode(),
                }
            ]
        )
        steps.post_message(writer.page, f"Thinking of you all. **{canary}**")
        for person in (admin, reader, writer):
            steps.open_circle(person.page, uid)
            expect(steps.messages(person.page)).to_contain_text(canary, timeout=SLOW_MS)
            expect(steps.messages(person.page).locator("strong").first).to_have_text(
                writer.user.public_name
            )
        # The attachment is a download made from the decrypted bytes.
        with reader.page.expect_download() as attached:
            reader.page.get_by_role("link", name="note.txt").click()
        assert open(attached.value.path()).read() == f"A note: {file_canary}"  # noqa: SIM115
        # The list page decrypts the name in the browser too.
        reader.page.goto(f"/c/{community.slug}/circles/")
        expect(reader.page.locator(f'[data-circle-uid="{uid}"] h3')).to_have_text(
            f"Evening {name_canary}", timeout=SLOW_MS
        )
        # The member's own history, decrypted in the browser into a file.
        reader.page.goto("/circles/keys/")
        with reader.page.expect_download(timeout=SLOW_MS) as download_info:
            reader.page.get_by_role("button", name="Download as JSON").click()
        history = json.loads(open(download_info.value.path()).read())  # noqa: SIM115
        (circle,) = history["circles"]
        assert circle["name"] == f"Evening {name_canary}"
        assert canary in circle["messages"][0]["text"]

    assert Message.objects.filter(circle__uid=uid).count() == 1
    assert recorder.browser_bodies
    assert recorder.server_bodies
    assert recorder.log_lines
    assert any("/messages" in url for url, _ in recorder.browser_bodies)
    assert any(
        path.endswith("/messages?") and body for path, body in recorder.server_bodies
    )
    for secret in (canary, name_canary, purpose_canary, file_canary):
        recorder.assert_never_saw(secret)
        assert steps.assert_not_in_database(secret) > 100


def test_a_removed_member_cannot_read_what_comes_next(
    circle_people: tuple[Community, list[User]], join: Any
) -> None:
    community, users = circle_people
    admin, stays, goes = (join(user) for user in users)
    uid = circle_of(admin, [stays, goes], community.slug, "Wednesday walkers")
    steps.open_circle(goes.page, uid)
    before = steps.current_epoch(uid)

    admin.page.get_by_role(
        "button", name=f"Remove {goes.user.public_name} from the circle"
    ).click()
    admin.page.get_by_role(
        "button", name=f"Yes, remove {goes.user.public_name}"
    ).click()
    expect(admin.page.locator("#circle-status")).to_contain_text(
        "was removed from the circle", timeout=SLOW_MS
    )
    assert steps.current_epoch(uid) == before + 1
    steps.post_message(admin.page, "Only for those still here.")

    steps.open_circle(stays.page, uid)
    expect(steps.messages(stays.page)).to_contain_text("Only for those still here.")

    # The removed member's browser: the page is gone, the API answers 404,
    # and no key of the new epoch ever reached it.
    response = goes.page.goto(f"/circles/{uid}/")
    assert response is not None
    assert response.status == 404
    api = goes.page.request.get(f"/api/v1/circles/{uid}")
    assert api.status == 404
    goes.page.goto("/circles/keys/")
    kept = steps.local_store(goes.page, f"epoch-keys:{goes.user.pk}")
    assert str(before) in kept[uid]
    assert str(before + 1) not in kept[uid]
    gone_devices = [device.pk for device in steps.browser_devices(goes.user)]
    new_epoch = Epoch.objects.get(circle__uid=uid, number=before + 1)
    assert not KeyWrap.objects.filter(
        epoch=new_epoch, device_id__in=gone_devices
    ).exists()
    assert KeyWrap.objects.filter(
        epoch=new_epoch, device__in=steps.browser_devices(stays.user)
    ).exists()
    assert (
        CircleMembership.objects.get(circle__uid=uid, user=goes.user).state == "removed"
    )


def test_each_members_device_fingerprints_are_shown_to_compare(
    circle_people: tuple[Community, list[User]], join: Any
) -> None:
    community, users = circle_people
    admin, other = join(users[0]), join(users[1])
    uid = circle_of(admin, [other], community.slug, "Compare codes")
    (device,) = steps.browser_devices(other.user)
    expected = protocol.fingerprint(device.agreement_key, device.signing_key)

    steps.open_circle(admin.page, uid)
    reader = admin.page.locator(f'.circle-reader[data-user="{other.user.pk}"]')
    reader.get_by_text("Fingerprints of").click()
    expect(reader.locator(".circle-fingerprints")).to_have_text(expected)


def _inject_device(user: User) -> Device:
    """A device the server adds on its own: no voucher, active."""
    keys = protocol.generate_device_keys()
    return Device.objects.create(
        user=user,
        kind=Device.Kind.BROWSER,
        state=Device.State.ACTIVE,
        label="Slipped in",
        agreement_key=keys.agreement,
        signing_key=keys.signing,
    )


def test_a_device_or_member_the_server_slips_in_gets_nothing_readable(
    circle_people: tuple[Community, list[User]],
    join: Any,
    organiser: User,
) -> None:
    community, (first, second, third) = circle_people
    admin, member, later = (join(user) for user in (first, second, third))
    uid = circle_of(admin, [member], community.slug, "Night owls")
    steps.set_up_device(later.page)
    circle = Circle.objects.get(uid=uid)

    # As a malicious server would: an unvouched device for a member, and a
    # member no admin signed in (with a device of her own).
    extra_device = _inject_device(member.user)
    intruder = factories.make_user("Ivy Intruder")
    community.memberships.create(user=intruder, role="member")
    intruder_device = _inject_device(intruder)
    CircleMembership.objects.create(
        community=community, circle=circle, user=intruder, state="joined"
    )

    steps.open_circle(admin.page, uid)
    readers = admin.page.locator("#circle-readers")
    expect(readers.locator(f'[data-device="{extra_device.pk}"]')).to_contain_text(
        "cannot read"
    )
    expect(readers.locator(f'li[data-user="{intruder.pk}"]')).to_contain_text(
        "not on the signed member list, so cannot read"
    )
    expect(readers.locator(f'li[data-user="{member.user.pk}"]')).to_contain_text(
        "can read, on 1 device"
    )

    # The next epoch the admin's browser makes (for a real new member) has
    # no key for either.
    before = steps.current_epoch(uid)
    steps.invite(admin.page, uid, later.user)
    steps.accept_invitation(later.page, community.slug)
    steps.wait_until_can_read(admin.page, uid, later.user)
    epoch = Epoch.objects.get(circle=circle, number=before + 1)
    wrapped_for = set(
        KeyWrap.objects.filter(epoch=epoch).values_list("device_id", flat=True)
    )
    assert extra_device.pk not in wrapped_for
    assert intruder_device.pk not in wrapped_for
    roster = json.loads(epoch.roster)
    listed = {key["device"] for m in roster["members"] for key in m["keys"]}
    assert not {extra_device.pk, intruder_device.pk} & listed
    assert intruder.pk not in {m["user"] for m in roster["members"]}
    expect(
        admin.page.locator(f'#circle-readers [data-device="{extra_device.pk}"]')
    ).to_contain_text("cannot read")
    expect(
        admin.page.locator(f'#circle-readers li[data-user="{intruder.pk}"]')
    ).to_have_count(0)

    # The server marks as "accepted", on its own, someone nobody invited,
    # and the member the admin has just removed, replaying her old (real)
    # invitation: the admin's browser lets neither in.
    admin.page.get_by_role(
        "button", name=f"Remove {member.user.public_name} from the circle"
    ).click()
    admin.page.get_by_role(
        "button", name=f"Yes, remove {member.user.public_name}"
    ).click()
    expect(admin.page.locator("#circle-status")).to_contain_text(
        "was removed from the circle", timeout=SLOW_MS
    )
    replayed = CircleMembership.objects.get(circle=circle, user=member.user)
    assert replayed.invitation_signer is not None
    assert replayed.invitation_epoch < steps.current_epoch(uid)
    replayed.state = CircleMembership.State.ACCEPTED
    replayed.save(update_fields=["state"])
    stranger = factories.make_user("Sid Stranger")
    community.memberships.create(user=stranger, role="member")
    stranger_device = _inject_device(stranger)
    CircleMembership.objects.create(
        community=community, circle=circle, user=stranger, state="accepted"
    )
    before = steps.current_epoch(uid)
    steps.open_circle(admin.page, uid)
    for person in (member.user, stranger):
        expect(
            admin.page.locator(f'#circle-readers li[data-user="{person.pk}"]')
        ).to_contain_text("Waiting: their invitation could not be checked")
    assert steps.current_epoch(uid) == before

    # The next epoch the admin's browser makes (making Tess an admin) leaves
    # both out, and marks her admin.
    admin.page.get_by_role(
        "button", name=f"Make {later.user.public_name} an admin"
    ).click()
    expect(admin.page.locator("#circle-status")).to_contain_text(
        "is now a circle admin", timeout=SLOW_MS
    )
    epoch = Epoch.objects.get(circle=circle, number=before + 1)
    roster = json.loads(epoch.roster)
    admins = {m["user"]: m["admin"] for m in roster["members"]}
    assert admins == {admin.user.pk: True, later.user.pk: True}
    shut_out = [stranger_device.pk, *(d.pk for d in steps.browser_devices(member.user))]
    assert not KeyWrap.objects.filter(epoch=epoch, device_id__in=shut_out).exists()
    assert CircleMembership.objects.get(circle=circle, user=later.user).is_admin

    # The admin removes the stranger, to be invited properly if at all.
    name = stranger.public_name
    admin.page.get_by_role("button", name=f"Remove {name} from the circle").click()
    admin.page.get_by_role("button", name=f"Yes, remove {name}").click()
    expect(admin.page.locator("#circle-status")).to_contain_text(
        "was removed from the circle", timeout=SLOW_MS
    )
    gone = CircleMembership.objects.get(circle=circle, user=stranger)
    assert gone.state == CircleMembership.State.REMOVED


def test_tampered_and_replayed_messages_are_refused_and_never_shown(
    circle_people: tuple[Community, list[User]], join: Any
) -> None:
    community, (first, second, _third) = circle_people
    admin, member = join(first), join(second)
    uid = circle_of(admin, [member], community.slug, "Quiet corner")
    steps.open_circle(member.page, uid)
    steps.post_message(member.page, "The first words, soon tampered with.")
    steps.post_message(member.page, "The second words, soon replayed.")

    first_message, second_message = Message.objects.filter(circle__uid=uid).order_by(
        "pk"
    )
    ct = first_message.ciphertext
    first_message.ciphertext = ct[:10] + ("A" if ct[10] != "A" else "B") + ct[11:]
    first_message.save(update_fields=["ciphertext"])
    # The same message again, under a new id: the server's own check on
    # counters is bypassed by giving its column another number.
    second_message.pk = None
    second_message.counter += 1000
    second_message.save()

    for person in (admin, member):
        steps.open_circle(person.page, uid)
        listed = steps.messages(person.page)
        expect(listed.locator(".circle-refused")).to_have_count(2, timeout=SLOW_MS)
        expect(listed.locator(".circle-refused").first).to_have_text(REFUSED)
        expect(listed).to_contain_text("The second words, soon replayed.")
        expect(listed.get_by_text("The second words, soon replayed.")).to_have_count(1)
        expect(person.page.locator("main")).not_to_contain_text("The first words")


def test_restoring_a_backup_needs_the_right_passphrase(
    circle_people: tuple[Community, list[User]], join: Any
) -> None:
    community, (first, _second, _third) = circle_people
    laptop = join(first)
    steps.set_up_device(laptop.page, "Laptop")
    expect(laptop.page.locator("#circle-backup")).to_contain_text("no key backup yet")
    expect(laptop.page.locator("main")).to_contain_text(
        "If you lose every device and this passphrase, nobody, not even the "
        "site's operators, can recover your circle history."
    )
    passphrase = "heron violet kettle summer"
    laptop.page.get_by_label("Choose a passphrase").fill(passphrase)
    laptop.page.get_by_label("The same passphrase again").fill(passphrase)
    laptop.page.get_by_role("button", name="Save my key backup").click()
    expect(laptop.page.locator("#circle-status")).to_contain_text(
        "Your key backup is saved", timeout=SLOW_MS
    )
    uid = steps.create_circle(laptop.page, community.slug, "Just me for now")
    steps.post_message(laptop.page, "A line of history worth keeping.")

    phone = join(first)
    phone.page.goto("/circles/keys/")
    devices_before = Device.objects.filter(user=first).count()
    blob_before = first_backup_blob(first)
    expect(phone.page.get_by_label("Your backup passphrase")).to_be_visible()
    assert_accessible(phone.page)
    phone.page.get_by_label("Your backup passphrase").fill("heron violet kettle autumn")
    phone.page.get_by_role("button", name="Restore from my backup").click()
    expect(phone.page.locator("#circle-problem")).to_have_text(
        "That passphrase does not open your backup.", timeout=SLOW_MS
    )
    assert Device.objects.filter(user=first).count() == devices_before
    assert first_backup_blob(first) == blob_before
    assert steps.local_store(phone.page, f"device:{first.pk}") is None

    phone.page.get_by_label("Your backup passphrase").fill(passphrase)
    phone.page.get_by_role("button", name="Restore from my backup").click()
    expect(phone.page.locator("#circle-this-device")).to_contain_text(
        "is set up for circles", timeout=SLOW_MS
    )
    restored = Device.objects.filter(user=first, kind="browser").latest("pk")
    assert restored.state == "active"
    assert restored.vouched_by is not None
    assert restored.vouched_by.kind == "recovery"
    steps.open_circle(phone.page, uid)
    expect(steps.messages(phone.page)).to_contain_text(
        "A line of history worth keeping."
    )
    expect(phone.page.locator("h1")).to_have_text("Just me for now")

    # The member is the circle's admin: while restoring, the recovery key
    # (on the signed list) signed the restored device in.
    second = Epoch.objects.get(circle__uid=uid, number=2)
    assert second.signer == restored.vouched_by
    assert KeyWrap.objects.filter(epoch=second, device=restored).exists()
    steps.open_circle(laptop.page, uid)
    expect(
        laptop.page.locator(f'#circle-readers li[data-user="{first.pk}"]')
    ).to_contain_text("can read, on 2 devices", timeout=SLOW_MS)
    steps.open_circle(phone.page, uid)
    steps.post_message(phone.page, "Written on the restored phone.")
    steps.open_circle(laptop.page, uid)
    expect(steps.messages(laptop.page)).to_contain_text(
        "Written on the restored phone."
    )


def first_backup_blob(user: User) -> str:
    from kinwell.circles.models import KeyBackup

    return KeyBackup.objects.get(user=user).blob


def test_a_new_device_is_approved_by_comparing_codes(
    circle_people: tuple[Community, list[User]], join: Any
) -> None:
    community, (first, _second, _third) = circle_people
    old = join(first)
    steps.set_up_device(old.page, "Old phone")
    uid = steps.create_circle(old.page, community.slug, "Approval test circle")
    steps.post_message(old.page, "Written before the new device came.")

    new = join(first)
    new.page.goto("/circles/keys/")
    new.page.get_by_label("A name for this device").fill("New tablet")
    new.page.get_by_role("button", name="Set up this device by approval").click()
    expect(new.page.locator("#circle-this-device")).to_contain_text(
        "waiting for approval", timeout=SLOW_MS
    )
    shown_on_new = new.page.locator("#circle-this-device .circle-code").inner_text()
    assert_accessible(new.page)
    pending = Device.objects.get(user=first, label="New tablet")
    assert pending.state == "pending"

    old.page.goto("/circles/keys/")
    item = old.page.locator(f'#circle-devices li[data-device="{pending.pk}"]')
    expect(item.locator(".circle-code")).to_have_text(shown_on_new)
    assert_accessible(old.page)
    item.get_by_role("button", name="The codes match: approve it").click()
    expect(old.page.locator("#circle-status")).to_contain_text(
        "The device is approved", timeout=SLOW_MS
    )
    pending.refresh_from_db()
    assert pending.state == "active"
    assert pending.vouched_by is not None

    # The new device notices by itself, and reads the history it was given.
    expect(new.page.locator("#circle-this-device")).to_contain_text(
        "is set up for circles", timeout=SLOW_MS
    )
    steps.open_circle(new.page, uid)
    expect(steps.messages(new.page)).to_contain_text(
        "Written before the new device came."
    )
    expect(new.page.locator("#circle-composer-note")).to_contain_text(
        "not on the circle's signed member list yet"
    )

    # The old device, the circle's admin, signs the new one in as it opens
    # the circle; then the new one writes.
    steps.open_circle(old.page, uid)
    readers = old.page.locator(f'#circle-readers li[data-user="{first.pk}"]')
    expect(readers).to_contain_text("can read, on 2 devices", timeout=SLOW_MS)
    steps.open_circle(new.page, uid)
    steps.post_message(new.page, "Written on the new tablet.")

    # Removing the tablet on the keys page: the next epoch leaves it out.
    old.page.goto("/circles/keys/")
    item = old.page.locator(f'#circle-devices li[data-device="{pending.pk}"]')
    item.get_by_role("button", name="Remove \u201cNew tablet\u201d").click()
    item.get_by_role("button", name="Yes, remove it").click()
    expect(old.page.locator("#circle-status")).to_contain_text("was removed")
    pending.refresh_from_db()
    assert pending.state == "revoked"
    before = steps.current_epoch(uid)
    steps.open_circle(old.page, uid)
    expect(readers).to_contain_text("can read, on 1 device.", timeout=SLOW_MS)
    assert steps.current_epoch(uid) == before + 1
    latest = Epoch.objects.get(circle__uid=uid, number=before + 1)
    assert not KeyWrap.objects.filter(epoch=latest, device=pending).exists()
    new.page.goto("/circles/keys/")
    expect(new.page.locator("#circle-this-device")).to_contain_text(
        "This device was removed"
    )


def test_circle_pages_pass_axe_and_posting_works_at_360_pixels(
    circle_people: tuple[Community, list[User]], join: Any
) -> None:
    community, (first, second, _third) = circle_people
    admin = join(first, viewport={"width": 360, "height": 740})
    member = join(second)
    admin.page.goto("/circles/keys/")
    expect(admin.page.locator("#circle-this-device form")).to_be_visible()
    assert_accessible(admin.page)
    uid = circle_of(admin, [member], community.slug, "Small screens circle", "Testing.")
    admin.page.goto("/circles/keys/")
    expect(admin.page.locator("#circle-backup form")).to_be_visible()
    assert_accessible(admin.page)
    admin.page.goto(f"/c/{community.slug}/circles/new/")
    expect(admin.page.get_by_label("Name")).to_be_visible()
    assert_accessible(admin.page)
    admin.page.goto(f"/c/{community.slug}/circles/")
    expect(admin.page.locator(f'[data-circle-uid="{uid}"] h3')).to_have_text(
        "Small screens circle", timeout=SLOW_MS
    )
    assert_accessible(admin.page)

    steps.open_circle(admin.page, uid)
    steps.post_message(
        admin.page, "Hello from a *small* screen, with a [link](https://example.org/)."
    )
    body = steps.messages(admin.page).locator(".circle-message-body").last
    expect(body.locator("em")).to_have_text("small")
    expect(body.locator("a")).to_have_attribute("rel", "noopener noreferrer")
    focused = admin.page.evaluate("document.activeElement.id")
    assert focused == "circle-message-text"
    width = admin.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"
    assert_accessible(admin.page)

    steps.open_circle(member.page, uid)
    message = steps.messages(member.page).locator(".circle-message").first
    message.get_by_role("button", name="Reply").click()
    steps.post_message(member.page, "Replying to the small screen.")
    expect(steps.messages(member.page).locator(".circle-quote").last).to_contain_text(
        "In reply to"
    )
    message.get_by_role("button", name="React with a heart").click()
    expect(message.get_by_role("button", name="React with a heart")).to_have_attribute(
        "aria-pressed", "true", timeout=SLOW_MS
    )
    message.get_by_role("button", name="Report to moderators").click()
    dialog = member.page.get_by_role("dialog")
    expect(dialog.locator("#circle-report-text")).to_have_text(
        "Hello from a *small* screen, with a [link](https://example.org/)."
    )
    assert_accessible(member.page)
    dialog.get_by_label("Why are you reporting it? (optional)").fill("Testing reports.")
    dialog.get_by_role("button", name="Send the report").click()
    expect(member.page.locator("#circle-status")).to_have_text(
        "Your report was sent to the community's moderators.", timeout=SLOW_MS
    )


def test_outsiders_get_404_for_a_circle(
    circle_people: tuple[Community, list[User]], join: Any, organiser: User
) -> None:
    community, (first, _second, _third) = circle_people
    admin = join(first)
    steps.set_up_device(admin.page)
    uid = steps.create_circle(admin.page, community.slug, "Not for organisers")
    client = Client()
    client.force_login(organiser)
    assert client.get(f"/circles/{uid}/").status_code == 404
    assert client.get(f"/api/v1/circles/{uid}").status_code == 404


def test_markdown_is_sanitised_and_oversized_files_are_refused(
    circle_people: tuple[Community, list[User]], join: Any
) -> None:
    community, (first, _second, _third) = circle_people
    author = join(first)
    steps.set_up_device(author.page)
    steps.create_circle(author.page, community.slug, "Sanitiser check")
    attach = author.page.get_by_label("Attach files (optional)")
    attach.set_input_files(files=files_of(100 * 1024, 100 * 1024, 100 * 1024))
    expect(author.page.locator("#circle-attach-error")).to_have_text(
        "These files come to 300 KiB: a message can carry at most 256 KiB of "
        "files in all. Send them in separate messages."
    )
    author.page.get_by_label("Your message").fill("Not sent with those files.")
    author.page.get_by_role("button", name="Send to the circle").click()
    expect(attach).to_be_focused()
    attach.set_input_files(files=files_of(257 * 1024))
    expect(author.page.locator("#circle-attach-error")).to_contain_text(
        "\u201cfile-0.bin\u201d is 257 KiB"
    )
    # Three files of 256 KiB in all, base64url inside the message and again
    # once encrypted, still fit the server's limit on a message.
    attach.set_input_files(files=files_of(86 * 1024, 85 * 1024, 85 * 1024))
    expect(author.page.locator("#circle-attach-error")).to_be_hidden()
    steps.post_message(author.page, "Three files, 256 KiB in all.")
    expect(steps.messages(author.page).locator(".circle-attachments li")).to_have_count(
        3
    )
    attach.set_input_files(files=[])
    steps.post_message(
        author.page,
        'Look: <img src=x onerror="window.hacked=1"> <script>window.hacked=2</script>'
        "\n\n[a link](javascript:window.hacked=3) and "
        '<a href="https://example.org/" onclick="window.hacked=4">another</a>'
        "\n\n![picture](https://example.org/tracker.png)",
    )
    body = steps.messages(author.page).locator(".circle-message-body").last
    expect(body).to_contain_text("Look:")
    expect(body.locator("img, script, [onclick], [onerror]")).to_have_count(0)
    for link in body.locator("a").all():
        assert not (link.get_attribute("href") or "").startswith("javascript:")
        assert link.get_attribute("rel") == "noopener noreferrer"
    body.get_by_text("another").click()
    assert author.page.evaluate("window.hacked") is None
    assert Message.objects.count() == 2


def files_of(*sizes: int) -> list[Any]:
    """Files of random bytes (which do not compress) of these sizes."""
    return [
        {
            "name": f"file-{number}.bin",
            "mimeType": "application/octet-stream",
            "buffer": secrets.token_bytes(size),
        }
        for number, size in enumerate(sizes)
    ]


def test_without_web_crypto_the_pages_say_they_need_https(
    circle_people: tuple[Community, list[User]], join: Any
) -> None:
    _community, (first, _second, _third) = circle_people
    person = join(first)
    person.page.add_init_script(
        "Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined});"
    )
    person.page.goto("/circles/keys/")
    expect(person.page.locator("#circle-problem")).to_have_text(
        "Circles need a secure (https) connection."
    )
    expect(person.page.locator("#circle-this-device")).to_be_hidden()
