"""The circles message format in Python (kinwell.circles.protocol): round
trips; tampered, replayed, reordered and unlisted messages refused; member
list chains with injected keys, bad signatures, unauthorised signers or
broken links refused, and removal by a plain member accepted; removed
members locked out of the next epoch's key; backups that a wrong passphrase
does not open; and, where Node is installed, Web Crypto itself reading what
Python writes and the other way round."""

import json
import shutil
import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kinwell.circles import protocol as p

UID = "c1rcleUid-0123456789_a"
SENT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="Node is not installed")


@dataclass(frozen=True)
class Key:
    """One key of a member: its device id, its key pairs and its record as
    the server would return it."""

    user: int
    device: int
    keys: p.DeviceKeys | p.RecoveryKey
    vouched_by: int | None = None
    voucher: str = ""

    @property
    def agreement(self) -> str:
        return self.keys.agreement if isinstance(self.keys, p.DeviceKeys) else ""

    @property
    def roster_key(self) -> p.RosterKey:
        recovery = isinstance(self.keys, p.RecoveryKey)
        return p.RosterKey(self.device, self.agreement, self.keys.signing, recovery)

    @property
    def record(self) -> p.DeviceRecord:
        return p.DeviceRecord(
            self.device,
            self.vouched_by,
            self.voucher,
            self.agreement,
            self.keys.signing,
        )

    def sign(self, text: str) -> str:
        return p.sign(self.keys.signing_private, text)


_devices = iter(range(100, 10_000))


def device(user: int) -> Key:
    return Key(user, next(_devices), p.generate_device_keys())


def vouched(by: Key, *, recovery: bool = False, user: int | None = None) -> Key:
    """A new key of `by`'s member (or of `user`), vouched for by `by`."""
    keys = p.generate_recovery_key() if recovery else p.generate_device_keys()
    new = Key(user or by.user, next(_devices), keys)
    voucher = p.sign_voucher(
        by.keys.signing_private, new.user, new.agreement, keys.signing
    )
    return replace(new, vouched_by=by.device, voucher=voucher)


def member(admin: bool, *keys: Key) -> p.RosterMember:
    return p.RosterMember(keys[0].user, admin, tuple(key.roster_key for key in keys))


def roster(
    epoch: int, previous: str, *members: p.RosterMember, key: bytes = b"k" * 32
) -> str:
    previous_hash = p.roster_hash(previous) if previous else ""
    return p.roster_string(
        p.Roster(UID, epoch, previous_hash, p.key_check(key), tuple(members))
    )


def signed(number: int, text: str, signer: Key) -> p.SignedEpoch:
    return p.SignedEpoch(
        number, text, signer.device, p.sign_roster(signer.keys.signing_private, text)
    )


def records(*keys: Key) -> dict[int, p.DeviceRecord]:
    return {key.device: key.record for key in keys}


@pytest.fixture(scope="module")
def people() -> dict[str, Key]:
    """Ada (admin) with a recovery key, Ben and Cy (members)."""
    ada = device(1)
    return {
        "ada": ada,
        "ada_recovery": vouched(ada, recovery=True),
        "ben": device(2),
        "cy": device(3),
    }


@pytest.fixture(scope="module")
def chain(people: dict[str, Key]) -> list[p.SignedEpoch]:
    """Epoch 1: Ada alone; epoch 2: Ben and Cy join."""
    ada, ada_recovery = people["ada"], people["ada_recovery"]
    one = roster(1, "", member(True, ada, ada_recovery))
    two = roster(
        2,
        one,
        member(True, ada, ada_recovery),
        member(False, people["ben"]),
        member(False, people["cy"]),
    )
    return [signed(1, one, ada), signed(2, two, ada)]


def all_records(people: dict[str, Key], *more: Key) -> dict[int, p.DeviceRecord]:
    return records(*people.values(), *more)


def refused_from(
    epochs: list[p.SignedEpoch], devices: dict[int, p.DeviceRecord]
) -> int:
    """The first epoch the chain refuses (0 when all verify)."""
    result = p.verify_chain(epochs, devices, circle=UID)
    if result.error is None:
        return 0
    return len(result.verified) + 1


# Encoding ---------------------------------------------------------------------------


@given(st.binary(max_size=100))
def test_b64u_round_trips_without_padding(data: bytes) -> None:
    text = p.b64u_encode(data)
    assert "=" not in text
    assert p.b64u_decode(text) == data


@pytest.mark.parametrize("text", ["ab+c", "ab/c", "abc=", "a", "ab c", 5])
def test_b64u_refuses_what_is_not_base64url(text: str) -> None:
    with pytest.raises(p.ProtocolError):
        p.b64u_decode(text)


def test_json_is_written_as_javascript_writes_it() -> None:
    value = {"b": 1, "a": ["é", "😀", "\n\x01\x7f", "\u2028", "\ud800"], "c": None}
    assert p.json_string(value) == (
        '{"b":1,"a":["é","😀","\\n\\u0001\x7f","\u2028","\\ud800"],"c":null}'
    )


def test_dates_are_written_as_javascript_writes_them() -> None:
    moment = datetime(2026, 3, 1, 9, 30, 5, 123_999, tzinfo=UTC)
    assert p.js_iso(moment) == "2026-03-01T09:30:05.123Z"


@needs_node
@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.text(st.characters(exclude_categories=()), max_size=12)
        | st.integers(-(2**53) + 1, 2**53 - 1)
        | st.booleans()
        | st.none(),
        max_size=20,
    )
)
def test_json_matches_node_json_stringify(values: list[object]) -> None:
    # Python's ASCII JSON carries every string, lone surrogates included,
    # to Node intact; Node writes it back with JSON.stringify.
    value = {"z": values, "a": {"ü": values[:3]}}
    script = "process.stdin.on('data', d => process.stdout.write("
    script += "JSON.stringify(JSON.parse(d.toString()))))"
    written = subprocess.run(
        [NODE or "node", "-e", script],
        input=json.dumps(value).encode(),
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    assert p.json_string(value) == written


# Keys, fingerprints, vouchers -------------------------------------------------------


def test_signatures_are_raw_r_and_s_and_verify_only_their_text() -> None:
    keys = p.generate_device_keys()
    signature = p.sign(keys.signing_private, "hello")
    assert len(p.b64u_decode(signature)) == 64
    assert p.verify(keys.signing, signature, "hello")
    assert not p.verify(keys.signing, signature, "hello!")
    assert not p.verify(p.generate_device_keys().signing, signature, "hello")
    assert not p.verify(keys.signing, signature[:-4], "hello")
    assert not p.verify("not a key", signature, "hello")


def test_fingerprint_is_sixteen_digits_in_fours_and_tells_keys_apart() -> None:
    one, two = p.generate_device_keys(), p.generate_device_keys()
    code = p.fingerprint(one.agreement, one.signing)
    groups = code.split(" ")
    assert [len(group) for group in groups] == [4, 4, 4, 4]
    assert all(group.isdigit() for group in groups)
    assert code == p.fingerprint(one.agreement, one.signing)
    assert code != p.fingerprint(one.agreement, two.signing)
    assert code != p.fingerprint(two.agreement, one.signing)


def test_fingerprint_of_known_keys() -> None:
    # Worked out apart, with Node's SHA-256 and BigInt.
    assert p.fingerprint("A", "B") == "9998 2605 3684 6124"


def test_voucher_binds_user_and_both_keys(people: dict[str, Key]) -> None:
    recovery = people["ada_recovery"]
    signing = recovery.keys.signing
    ada_signing = people["ada"].keys.signing
    assert p.verify_voucher(ada_signing, recovery.voucher, 1, "", signing)
    assert not p.verify_voucher(ada_signing, recovery.voucher, 2, "", signing)
    assert not p.verify_voucher(
        ada_signing, recovery.voucher, 1, people["ben"].agreement, signing
    )
    assert not p.verify_voucher(
        people["ben"].keys.signing, recovery.voucher, 1, "", signing
    )


def test_invitation_binds_circle_epoch_and_user(people: dict[str, Key]) -> None:
    admin = people["ada"].keys
    assert p.invitation_string("uid", 3, 7) == "kinwell-invitation-v1\nuid\n3\n7"
    signature = p.sign_invitation(admin.signing_private, "uid", 3, 7)
    assert p.verify_invitation(admin.signing, signature, "uid", 3, 7)
    assert not p.verify_invitation(admin.signing, signature, "uid", 2, 7)
    assert not p.verify_invitation(admin.signing, signature, "uid", 3, 8)
    assert not p.verify_invitation(admin.signing, signature, "other", 3, 7)
    assert not p.verify_invitation(people["ben"].keys.signing, signature, "uid", 3, 7)
    assert not p.verify_invitation(admin.signing, "not a signature", "uid", 3, 7)


def test_recovery_key_survives_pkcs8() -> None:
    recovery = p.generate_recovery_key()
    imported = p.import_recovery_key(recovery.pkcs8)
    assert p.verify(recovery.signing, p.sign(imported, "x"), "x")


# Epoch keys, wraps, circle names ----------------------------------------------------


def test_wrapped_key_opens_for_its_device_only() -> None:
    key, mine, other = (
        p.new_epoch_key(),
        p.generate_device_keys(),
        p.generate_device_keys(),
    )
    wrapped = p.wrap_epoch_key(key, mine.agreement, UID, 3, 31)
    assert p.unwrap_epoch_key(wrapped, mine.agreement_private, UID, 3, 31) == key
    with pytest.raises(p.ProtocolError):
        p.unwrap_epoch_key(wrapped, other.agreement_private, UID, 3, 31)
    for moved in [(UID, 3, 32), (UID, 4, 31), ("another", 3, 31)]:
        with pytest.raises(p.ProtocolError):
            p.unwrap_epoch_key(wrapped, mine.agreement_private, *moved)


def test_wrapped_key_with_a_wrong_key_check_is_refused() -> None:
    key, mine = p.new_epoch_key(), p.generate_device_keys()
    wrapped = p.wrap_epoch_key(key, mine.agreement, UID, 1, 7)
    opened = p.unwrap_epoch_key(
        wrapped, mine.agreement_private, UID, 1, 7, expected_check=p.key_check(key)
    )
    assert opened == key
    with pytest.raises(p.ProtocolError, match="signed member list"):
        p.unwrap_epoch_key(
            wrapped,
            mine.agreement_private,
            UID,
            1,
            7,
            expected_check=p.key_check(p.new_epoch_key()),
        )


def test_removed_member_cannot_unwrap_the_next_epoch_key(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    """Cy is removed in epoch 3: the key is wrapped for the browser keys on
    the new list, none of them Cy's, and none of the wraps opens with Cy's
    key, whichever device id Cy claims."""
    key = p.new_epoch_key()
    three = roster(
        3,
        chain[1].roster,
        member(True, people["ada"], people["ada_recovery"]),
        member(False, people["ben"]),
        key=key,
    )
    wraps = dict(p.wrap_for_roster(key, p.parse_roster(three)))
    cy = people["cy"]
    assert sorted(wraps) == sorted([people["ada"].device, people["ben"].device])
    assert isinstance(cy.keys, p.DeviceKeys)
    for device_id, wrapped in wraps.items():
        for claimed in (device_id, cy.device):
            with pytest.raises(p.ProtocolError):
                p.unwrap_epoch_key(wrapped, cy.keys.agreement_private, UID, 3, claimed)


@given(
    name=st.text(min_size=1, max_size=80).filter(str.strip),
    purpose=st.text(max_size=500),
)
@settings(max_examples=25)
def test_circle_name_and_purpose_round_trip(name: str, purpose: str) -> None:
    key = p.new_epoch_key()
    sealed = p.seal_meta(key, UID, 2, p.CircleMeta(name, purpose))
    assert p.open_meta(key, UID, 2, sealed) == p.CircleMeta(name, purpose)
    with pytest.raises(p.ProtocolError):
        p.open_meta(key, UID, 3, sealed)


@pytest.mark.parametrize(
    ("name", "purpose"), [("", ""), ("  ", ""), ("n" * 81, ""), ("ok", "p" * 501)]
)
def test_circle_name_and_purpose_lengths_are_checked(name: str, purpose: str) -> None:
    with pytest.raises(p.ProtocolError):
        p.seal_meta(p.new_epoch_key(), UID, 1, p.CircleMeta(name, purpose))


# Member lists -----------------------------------------------------------------------


def test_roster_string_has_the_documented_key_order(people: dict[str, Key]) -> None:
    ada, recovery = people["ada"], people["ada_recovery"]
    text = roster(1, "", member(True, ada, recovery))
    assert text.startswith('{"v":1,"circle":"' + UID + '","epoch":1,"previous":""')
    assert (
        f'"members":[{{"user":1,"admin":true,"keys":[{{"device":{ada.device},' in text
    )
    assert text.endswith(f'"signing":"{recovery.keys.signing}","recovery":true}}]}}]}}')
    parsed = p.parse_roster(text)
    assert p.roster_string(parsed) == text
    assert p.roster_string(json.loads(text)) == text


def test_a_good_chain_verifies(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    result = p.verify_chain(chain, all_records(people), circle=UID)
    assert result.error is None
    assert [epoch.number for epoch in result.verified] == [1, 2]
    assert result.verified[1].roster.member(2) is not None


def test_chain_of_another_circle_is_refused(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    result = p.verify_chain(chain, all_records(people), circle="someone-else")
    assert result.verified == ()
    assert result.error is not None


def test_device_injected_without_voucher_is_refused(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    """The server adds a device of its own to Ben, and even gets Ada's
    client to sign the list: the device has no voucher by Ben."""
    injected = device(2)
    three = roster(
        3,
        chain[1].roster,
        member(True, people["ada"], people["ada_recovery"]),
        member(False, people["ben"], injected),
        member(False, people["cy"]),
    )
    epochs = [*chain, signed(3, three, people["ada"])]
    assert refused_from(epochs, all_records(people, injected)) == 3


def test_device_vouched_by_another_members_key_is_refused(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    injected = vouched(people["cy"], user=2)
    three = roster(
        3,
        chain[1].roster,
        member(True, people["ada"], people["ada_recovery"]),
        member(False, people["ben"], injected),
        member(False, people["cy"]),
    )
    epochs = [*chain, signed(3, three, people["ada"])]
    assert refused_from(epochs, all_records(people, injected)) == 3


def test_device_vouched_by_its_member_is_accepted(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    second = vouched(people["ben"])
    three = roster(
        3,
        chain[1].roster,
        member(True, people["ada"], people["ada_recovery"]),
        member(False, people["ben"], second),
        member(False, people["cy"]),
    )
    epochs = [*chain, signed(3, three, people["ada"])]
    assert refused_from(epochs, all_records(people, second)) == 0


def test_restored_device_vouched_by_a_new_recovery_key_is_accepted(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    """Ben sets a passphrase, then restores on a new laptop before anyone
    starts a new epoch: both keys join the list together."""
    recovery = vouched(people["ben"], recovery=True)
    laptop = vouched(recovery)
    three = roster(
        3,
        chain[1].roster,
        member(True, people["ada"], people["ada_recovery"]),
        member(False, people["ben"], recovery, laptop),
        member(False, people["cy"]),
    )
    epochs = [*chain, signed(3, three, people["ada"])]
    assert refused_from(epochs, all_records(people, recovery, laptop)) == 0


def test_vouchers_may_pass_through_a_key_not_on_the_list(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    """Ben's phone vouched for a laptop, then was removed: the laptop's
    chain still reaches a key Ben had on the list before."""
    phone = vouched(people["ben"])
    laptop = vouched(phone)
    three = roster(
        3,
        chain[1].roster,
        member(True, people["ada"], people["ada_recovery"]),
        member(False, people["ben"], laptop),
        member(False, people["cy"]),
    )
    epochs = [*chain, signed(3, three, people["ada"])]
    assert refused_from(epochs, all_records(people, phone, laptop)) == 0
    assert refused_from(epochs, all_records(people, laptop)) == 3


def test_joining_member_with_two_unrelated_devices_is_refused(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    dee, stranger = device(4), device(4)
    three = roster(
        3,
        chain[1].roster,
        member(True, people["ada"], people["ada_recovery"]),
        member(False, people["ben"]),
        member(False, people["cy"]),
        member(False, dee, stranger),
    )
    epochs = [*chain, signed(3, three, people["ada"])]
    assert refused_from(epochs, all_records(people, dee, stranger)) == 3


def test_joining_member_whose_keys_vouch_for_each_other_is_accepted(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    dee = device(4)
    dee_recovery = vouched(dee, recovery=True)
    three = roster(
        3,
        chain[1].roster,
        *p.parse_roster(chain[1].roster).members,
        member(False, dee_recovery, dee),
    )
    epochs = [*chain, signed(3, three, people["ada"])]
    assert refused_from(epochs, all_records(people, dee, dee_recovery)) == 0


def test_unsigned_or_wrongly_signed_list_is_refused(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    devices = all_records(people)
    second = chain[1]
    unsigned = replace(second, signature="")
    by_other_key = replace(
        second, signature=people["ben"].sign(p.roster_signed_text(second.roster))
    )
    over_other_text = replace(second, signature=chain[0].signature)
    for bad in (unsigned, by_other_key, over_other_text):
        assert refused_from([chain[0], bad], devices) == 2


def test_list_signed_by_a_plain_member_that_adds_someone_is_refused(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    dee = device(4)
    three = roster(
        3,
        chain[1].roster,
        *p.parse_roster(chain[1].roster).members,
        member(False, dee),
    )
    epochs = [*chain, signed(3, three, people["ben"])]
    assert refused_from(epochs, all_records(people, dee)) == 3


def test_first_list_signed_by_a_non_admin_is_refused(people: dict[str, Key]) -> None:
    one = roster(1, "", member(True, people["ada"]), member(False, people["ben"]))
    assert refused_from([signed(1, one, people["ben"])], all_records(people)) == 1


def test_broken_previous_link_is_refused(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    members = p.parse_roster(chain[1].roster).members
    three = p.roster_string(
        p.Roster(UID, 3, p.roster_hash(chain[0].roster), "", members)
    )
    epochs = [*chain, signed(3, three, people["ada"])]
    assert refused_from(epochs, all_records(people)) == 3


def test_gaps_and_mismatched_numbers_are_refused(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    devices = all_records(people)
    assert refused_from([chain[1]], devices) == 1
    assert refused_from([chain[0], replace(chain[1], number=3)], devices) == 2


@pytest.mark.parametrize(
    ("ben_is_admin_after", "signer", "refused_at"),
    [
        # Cy goes: a removal any member who stays may sign...
        (False, "ben", 0),
        # ...but not one that makes its signer an admin,
        (True, "ben", 3),
        # nor one signed by the member it removes.
        (False, "cy", 3),
    ],
)
def test_a_removal_signed_by_a_plain_member(
    people: dict[str, Key],
    chain: list[p.SignedEpoch],
    ben_is_admin_after: bool,
    signer: str,
    refused_at: int,
) -> None:
    three = roster(
        3,
        chain[1].roster,
        member(True, people["ada"], people["ada_recovery"]),
        member(ben_is_admin_after, people["ben"]),
    )
    epochs = [*chain, signed(3, three, people[signer])]
    assert refused_from(epochs, all_records(people)) == refused_at


def test_a_refused_epoch_refuses_every_later_one(
    people: dict[str, Key], chain: list[p.SignedEpoch]
) -> None:
    devices = all_records(people)
    bad = replace(chain[1], signature="")
    three = roster(3, chain[1].roster, *p.parse_roster(chain[1].roster).members)
    result = p.verify_chain([chain[0], bad, signed(3, three, people["ada"])], devices)
    assert [epoch.number for epoch in result.verified] == [1]


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_any_change_to_a_signed_list_is_refused(
    people: dict[str, Key], chain: list[p.SignedEpoch], data: st.DataObject
) -> None:
    text = chain[1].roster
    at = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.characters(codec="ascii").filter(lambda c: c != text[at]))
    changed = replace(chain[1], roster=text[:at] + char + text[at + 1 :])
    assert refused_from([chain[0], changed], all_records(people)) == 2


# Messages ---------------------------------------------------------------------------


def seal(
    sender: Key, key: bytes, counter: int, text: str = "hi", epoch: int = 2
) -> p.WireMessage:
    assert isinstance(sender.keys, p.DeviceKeys)
    return p.seal_message(
        key=key,
        circle=UID,
        epoch=epoch,
        device=sender.device,
        counter=counter,
        private_key=sender.keys.signing_private,
        body=p.post_body(text, sent_at=SENT),
    )


@settings(max_examples=25, deadline=None)
@given(text=st.text(max_size=300), reply_to=st.none() | st.integers(1, 2**53 - 1))
def test_message_round_trips(
    people: dict[str, Key], text: str, reply_to: int | None
) -> None:
    ada, key = people["ada"], p.new_epoch_key()
    body = p.post_body(text, sent_at=SENT, reply_to=reply_to)
    assert isinstance(ada.keys, p.DeviceKeys)
    wire = p.seal_message(
        key=key,
        circle=UID,
        epoch=1,
        device=ada.device,
        counter=1,
        private_key=ada.keys.signing_private,
        body=body,
    )
    assert (
        wire.header
        == f'{{"v":1,"circle":"{UID}","epoch":1,"device":{ada.device},"counter":1}}'
    )
    opened = p.open_message(
        key=key, circle=UID, signing_key=ada.keys.signing, wire=wire
    )
    assert opened.body == body
    assert opened.header == p.Header(UID, 1, ada.device, 1)


def test_reaction_body_has_its_fields() -> None:
    assert p.reaction_body(12, "❤️", sent_at=SENT) == {
        "kind": "reaction",
        "target": 12,
        "emoji": "❤️",
        "sent_at": "2026-03-01T09:30:00.000Z",
    }


def _flip(text: str) -> str:
    """One bit of the decoded bytes changed, still valid b64u."""
    raw = bytearray(p.b64u_decode(text))
    raw[len(raw) // 2] ^= 1
    return p.b64u_encode(bytes(raw))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda w: replace(w, header=w.header.replace('"counter":1', '"counter":2')),
        lambda w: replace(w, header=w.header.replace('"epoch":2', '"epoch":1')),
        lambda w: replace(w, header=w.header.replace(",", ", ")),
        lambda w: replace(w, iv=_flip(w.iv)),
        lambda w: replace(w, ct=_flip(w.ct)),
        lambda w: replace(w, ct=w.ct[:-4]),
        lambda w: replace(w, sig=_flip(w.sig)),
        lambda w: replace(w, sig=""),
    ],
    ids=["counter", "epoch", "spacing", "iv", "ct", "truncated", "sig", "no sig"],
)
def test_tampered_message_is_refused(people: dict[str, Key], tamper) -> None:
    key, ben = p.new_epoch_key(), people["ben"]
    wire = tamper(seal(ben, key, 1))
    with pytest.raises(p.MessageRefused):
        p.open_message(key=key, circle=UID, signing_key=ben.keys.signing, wire=wire)


def test_message_resigned_by_another_device_is_refused(people: dict[str, Key]) -> None:
    key, ben, cy = p.new_epoch_key(), people["ben"], people["cy"]
    wire = seal(ben, key, 1)
    forged = replace(
        wire, sig=cy.sign(p.message_signed_text(wire.header, wire.iv, wire.ct))
    )
    with pytest.raises(p.MessageRefused):
        p.open_message(key=key, circle=UID, signing_key=ben.keys.signing, wire=forged)


def test_message_of_another_circle_is_refused(people: dict[str, Key]) -> None:
    key, ben = p.new_epoch_key(), people["ben"]
    wire = seal(ben, key, 1)
    with pytest.raises(p.MessageRefused, match="another circle"):
        p.open_message(key=key, circle="other", signing_key=ben.keys.signing, wire=wire)


@pytest.fixture(scope="module")
def reading(people: dict[str, Key], chain: list[p.SignedEpoch]) -> dict[str, object]:
    verified = p.verify_chain(chain, all_records(people), circle=UID).verified
    keys = {1: p.new_epoch_key(), 2: p.new_epoch_key()}
    return {"keys": keys, "rosters": {e.number: e.roster for e in verified}}


def accept(reading: dict[str, object], messages, last=None) -> p.Acceptance:
    return p.accept_in_order(
        list(enumerate(messages, 1)),
        circle=UID,
        keys=reading["keys"],  # type: ignore[arg-type]
        rosters=reading["rosters"],  # type: ignore[arg-type]
        last_counters=last,
    )


def test_messages_in_order_are_accepted(people, reading) -> None:
    key = reading["keys"][2]
    ben, cy = people["ben"], people["cy"]
    result = accept(reading, [seal(ben, key, 1), seal(cy, key, 1), seal(ben, key, 2)])
    assert [message_id for message_id, _ in result.accepted] == [1, 2, 3]
    assert result.refused == []
    assert result.last_counters == {ben.device: 2, cy.device: 1}


def test_replayed_message_is_refused(people, reading) -> None:
    first = seal(people["ben"], reading["keys"][2], 1)
    result = accept(reading, [first, first])
    assert [message_id for message_id, _ in result.accepted] == [1]
    assert result.refused == [(2, "Replayed or out of order.")]


def test_message_reordered_into_the_past_is_refused(people, reading) -> None:
    key, ben = reading["keys"][2], people["ben"]
    result = accept(reading, [seal(ben, key, 5), seal(ben, key, 4), seal(ben, key, 6)])
    assert [message_id for message_id, _ in result.accepted] == [1, 3]
    assert [message_id for message_id, _ in result.refused] == [2]


def test_counters_accepted_before_still_count(people, reading) -> None:
    ben = people["ben"]
    result = accept(reading, [seal(ben, reading["keys"][2], 3)], {ben.device: 3})
    assert result.accepted == []


def test_message_from_a_device_not_on_the_epoch_roster_is_refused(
    people, reading
) -> None:
    """Ben joined in epoch 2: a message from him in epoch 1 (whose key the
    server might have given him) is refused, as is one from a stranger."""
    ben, stranger = people["ben"], device(2)
    messages = [
        seal(ben, reading["keys"][1], 1, epoch=1),
        seal(stranger, reading["keys"][2], 1),
    ]
    result = accept(reading, messages)
    assert result.accepted == []
    assert [reason for _, reason in result.refused] == [
        "Its device is not on the epoch's member list.",
    ] * 2


def test_message_in_an_unverified_epoch_is_refused(people, reading) -> None:
    ben = people["ben"]
    result = accept(reading, [seal(ben, p.new_epoch_key(), 1, epoch=3)])
    assert result.refused == [(1, "Its epoch is not verified or its key is not known.")]


def test_refused_message_does_not_move_the_counter(people, reading) -> None:
    key, ben = reading["keys"][2], people["ben"]
    broken = replace(seal(ben, key, 9), ct=_flip(seal(ben, key, 9).ct))
    result = accept(reading, [broken, seal(ben, key, 2)])
    assert [message_id for message_id, _ in result.accepted] == [2]


@settings(max_examples=40, deadline=None)
@given(counters=st.lists(st.integers(1, 20), max_size=12))
def test_accepted_counters_are_those_above_every_earlier_one(
    people, reading, counters: list[int]
) -> None:
    key, ben = reading["keys"][2], people["ben"]
    result = accept(reading, [seal(ben, key, counter) for counter in counters])
    expected, highest = [], 0
    for position, counter in enumerate(counters, 1):
        if counter > highest:
            expected.append(position)
            highest = counter
    assert [message_id for message_id, _ in result.accepted] == expected


# Backups ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backup() -> tuple[p.MadeBackup, p.RecoveryKey, dict[tuple[str, int], bytes]]:
    recovery = p.generate_recovery_key()
    keys = {(UID, 1): p.new_epoch_key(), (UID, 2): p.new_epoch_key()}
    made = p.make_backup("a long walk by the sea", 5, 40, recovery.pkcs8, keys)
    return made, recovery, keys


def test_backup_opens_with_its_passphrase(backup) -> None:
    made, recovery, keys = backup
    blob = json.loads(made.blob)
    assert list(blob) == ["v", "kdf", "iterations", "salt", "recovery", "keys"]
    assert (blob["v"], blob["kdf"], blob["iterations"]) == (1, "PBKDF2-SHA256", 600_000)
    opened = p.open_backup("a long walk by the sea", 5, made.blob)
    assert opened.recovery_device == 40
    assert opened.epoch_keys == keys
    assert opened.backup_key == made.backup_key
    signature = p.sign(opened.recovery_private_key, "vouch")
    assert p.verify(recovery.signing, signature, "vouch")


def test_wrong_passphrase_raises_wrong_passphrase(backup) -> None:
    made = backup[0]
    with pytest.raises(p.WrongPassphrase, match="That passphrase does not open"):
        p.open_backup("a long walk by the lake", 5, made.blob)


def test_backup_of_another_member_does_not_open(backup) -> None:
    with pytest.raises(p.WrongPassphrase):
        p.open_backup("a long walk by the sea", 6, backup[0].blob)


def test_backup_with_fewer_iterations_is_refused(backup) -> None:
    blob = json.loads(backup[0].blob)
    blob["iterations"] = 1000
    with pytest.raises(p.ProtocolError, match="cannot open"):
        p.open_backup("a long walk by the sea", 5, json.dumps(blob))


def test_resealed_keys_open_with_the_passphrase(backup) -> None:
    made, _recovery, keys = backup
    more = {**keys, ("another", 1): p.new_epoch_key()}
    blob = p.reseal_backup_keys(made.backup_key, 5, made.blob, more)
    assert json.loads(blob)["recovery"] == json.loads(made.blob)["recovery"]
    assert p.open_backup("a long walk by the sea", 5, blob).epoch_keys == more


def test_reseal_with_another_backups_key_is_refused(backup) -> None:
    other = p.make_backup("another passphrase", 5, 40, backup[1].pkcs8, {})
    with pytest.raises(p.WrongPassphrase):
        p.reseal_backup_keys(other.backup_key, 5, backup[0].blob, backup[2])


# Web Crypto reads Python's output, and the other way round --------------------------

NODE_SCRIPT = r"""
const subtle = globalThis.crypto.subtle;
const enc = new TextEncoder();
const dec = (t) => Uint8Array.from(atob(t.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const b64u = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const ECDH = { name: "ECDH", namedCurve: "P-256" };
const ECDSA = { name: "ECDSA", namedCurve: "P-256" };
const SIG = { name: "ECDSA", hash: "SHA-256" };
const gcm = (iv, aad) => ({ name: "AES-GCM", iv: dec(iv), additionalData: enc.encode(aad) });
async function wrapKey(priv, pub, info, use) {
  const bits = await subtle.deriveBits({ name: "ECDH", public: pub }, priv, 256);
  const hkdf = await subtle.importKey("raw", bits, "HKDF", false, ["deriveKey"]);
  return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: enc.encode(info) },
    hkdf, { name: "AES-GCM", length: 256 }, false, [use]);
}
(async () => {
  const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const out = {};
  const agreement = await subtle.importKey("pkcs8", dec(d.agreement_pkcs8), ECDH, false, ["deriveBits"]);
  const signing = await subtle.importKey("pkcs8", dec(d.signing_pkcs8), ECDSA, false, ["sign"]);
  const info = `kinwell-wrap-v1\n${d.uid}\n2\n${d.device}`;
  const wrapped = JSON.parse(d.wrapped);
  const e = await subtle.importKey("spki", dec(wrapped.e), ECDH, false, []);
  const raw = await subtle.decrypt(gcm(wrapped.iv, info), await wrapKey(agreement, e, info, "decrypt"), dec(wrapped.ct));
  out.key = b64u(raw);
  const key = await subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const pub = await subtle.importKey("spki", dec(d.signing), ECDSA, false, ["verify"]);
  const m = d.message;
  out.verified = await subtle.verify(SIG, pub, dec(m.sig), enc.encode(`kinwell-message-v1\n${m.header}\n${m.iv}\n${m.ct}`));
  out.body = new TextDecoder().decode(await subtle.decrypt(gcm(m.iv, m.header), key, dec(m.ct)));
  const pass = await subtle.importKey("raw", enc.encode(d.passphrase), "PBKDF2", false, ["deriveKey"]);
  const blob = JSON.parse(d.blob);
  const bk = await subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: dec(blob.salt), iterations: blob.iterations },
    pass, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  out.keys = new TextDecoder().decode(await subtle.decrypt(gcm(blob.keys.iv, `kinwell-backup-keys-v1\n${d.user}`), bk, dec(blob.keys.ct)));
  out.fingerprint_digest = b64u(await subtle.digest("SHA-256", enc.encode(`kinwell-device-fp-v1\n${d.agreement}\n${d.signing}`)));
  // Web Crypto writes: a message signed and sealed, a wrap for the same device.
  const header = JSON.stringify({ v: 1, circle: d.uid, epoch: 2, device: d.device, counter: 7 });
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(header) }, key,
    enc.encode(JSON.stringify({ kind: "post", text: "from the browser ✓", reply_to: null, attachments: [], sent_at: new Date(0).toISOString() })));
  const signed = `kinwell-message-v1\n${header}\n${b64u(iv)}\n${b64u(ct)}`;
  out.reply = { header, iv: b64u(iv), ct: b64u(ct), sig: b64u(await subtle.sign(SIG, signing, enc.encode(signed))) };
  const eph = await subtle.generateKey(ECDH, false, ["deriveBits"]);
  const me = await subtle.importKey("spki", dec(d.agreement), ECDH, false, []);
  const wiv = crypto.getRandomValues(new Uint8Array(12));
  const wct = await subtle.encrypt({ name: "AES-GCM", iv: wiv, additionalData: enc.encode(info) }, await wrapKey(eph.privateKey, me, info, "encrypt"), raw);
  out.wrap = JSON.stringify({ e: b64u(await subtle.exportKey("spki", eph.publicKey)), iv: b64u(wiv), ct: b64u(wct) });
  process.stdout.write(JSON.stringify(out));
})().catch((error) => { console.error(error); process.exit(1); });
"""  # noqa: E501 - JavaScript, kept whole


def _pkcs8(private_key) -> str:
    from cryptography.hazmat.primitives import serialization

    return p.b64u_encode(
        private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@needs_node
def test_web_crypto_and_python_read_each_other() -> None:
    keys, key = p.generate_device_keys(), p.new_epoch_key()
    body = p.post_body("Ünïcode and 😀 **bold**", sent_at=SENT)
    message = p.seal_message(
        key=key,
        circle=UID,
        epoch=2,
        device=31,
        counter=1,
        private_key=keys.signing_private,
        body=body,
    )
    made = p.make_backup(
        "pässphrase ☃", 5, 40, p.generate_recovery_key().pkcs8, {(UID, 2): key}
    )
    given = {
        "uid": UID,
        "device": 31,
        "user": 5,
        "passphrase": "pässphrase ☃",
        "agreement": keys.agreement,
        "signing": keys.signing,
        "agreement_pkcs8": _pkcs8(keys.agreement_private),
        "signing_pkcs8": _pkcs8(keys.signing_private),
        "wrapped": p.wrap_epoch_key(key, keys.agreement, UID, 2, 31),
        "message": message.as_dict(),
        "blob": made.blob,
    }
    answer = json.loads(
        subprocess.run(
            [NODE or "node", "-e", NODE_SCRIPT],
            input=json.dumps(given).encode(),
            capture_output=True,
            check=True,
        ).stdout
    )
    assert p.b64u_decode(answer["key"]) == key
    assert answer["verified"] is True
    assert answer["body"] == p.json_string(body)
    assert json.loads(answer["keys"]) == {
        "epochs": [{"circle": UID, "epoch": 2, "key": p.b64u_encode(key)}]
    }
    number = int.from_bytes(p.b64u_decode(answer["fingerprint_digest"])[:8]) % 10**16
    assert (
        p.fingerprint(keys.agreement, keys.signing).replace(" ", "") == f"{number:016d}"
    )
    reply = p.open_message(
        key=key,
        circle=UID,
        signing_key=keys.signing,
        wire=p.WireMessage(**answer["reply"]),
    )
    assert reply.body["text"] == "from the browser ✓"
    assert reply.header.counter == 7
    assert (
        p.unwrap_epoch_key(
            answer["wrap"],
            keys.agreement_private,
            UID,
            2,
            31,
            expected_check=p.key_check(key),
        )
        == key
    )
