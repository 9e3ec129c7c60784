"""Circles never leave with a community: an organiser's archive export holds no
circle, and importing an archive makes none. A member exports their own
circle history in their browser instead (the keys page)."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client

from kinwell.accounts.models import User
from kinwell.circles import services
from kinwell.circles.models import (
    Circle,
    CircleMembership,
    Device,
    Epoch,
    KeyBackup,
    KeyWrap,
    Message,
    Report,
)
from kinwell.communities.models import ArchiveExport, Community
from tests.test_archive import consent, entries, export_bytes, import_bytes
from tests.test_circles_web import Keyring

CIRCLE_MODELS: tuple[type[Model], ...] = (
    Circle,
    CircleMembership,
    Epoch,
    KeyWrap,
    Message,
    Report,
    Device,
    KeyBackup,
)
REVEALED = "Revealed canary text of a reported circle message"


@pytest.fixture
def circle_world(
    community: Community, organiser: User, member: User, carer: User
) -> dict[str, Any]:
    """A circle of the member (its admin) and the carer, over two key
    periods, with messages from both, an open report, and the member's
    recovery key and backup. Both consented to portability, so their names
    and posts would travel if anything of theirs did."""
    consent(member)
    consent(carer)
    keyring = Keyring()
    circle = keyring.create_circle(member, community)
    keyring.seat(circle, member, carer)
    messages = [keyring.post(circle, member), keyring.post(circle, carer)]
    services.report_message(
        member, circle=circle, message=messages[1], text=REVEALED, reason="Unkind"
    )
    return {"circle": circle, "blob": keyring.backup(member)}


def secrets_of(circle: Circle) -> list[str]:
    """Every value the server holds of the circle that an archive must not
    carry: its id, ciphertext, headers, signatures, member lists, sealed
    names, wrapped keys, public keys and revealed text."""
    found = [circle.uid, REVEALED]
    for message in Message.objects.filter(circle=circle):
        found += [message.ciphertext, message.header, message.signature]
    for epoch in Epoch.objects.filter(circle=circle):
        sealed = json.loads(epoch.sealed_meta)
        found += [epoch.roster, epoch.signature, sealed["ct"]]
    for wrap in KeyWrap.objects.filter(epoch__circle=circle):
        found += [wrap.wrapped, json.loads(wrap.wrapped)["ct"]]
    for device in Device.objects.all():
        found += [key for key in (device.agreement_key, device.signing_key) if key]
    return found


def row_counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in CIRCLE_MODELS}


def test_the_archive_export_holds_nothing_of_circles(
    community: Community, circle_world: dict[str, Any]
) -> None:
    files = entries(export_bytes(community))
    manifest = json.loads(files["manifest.json"])
    assert not [kind for kind in manifest["counts"] if "circle" in kind]
    assert not [name for name in files if "circle" in name.lower()]
    everything = b"\n".join(files.values())
    for secret in secrets_of(circle_world["circle"]):
        assert secret.encode() not in everything
    backup = json.loads(circle_world["blob"])
    assert backup["keys"]["ct"].encode() not in everything
    # Nothing names the circles' tables or their fields either.
    for word in (b"circle", b"roster", b"wrapped", b"sealed_meta", b"ciphertext"):
        assert word not in everything.lower()


def test_the_organisers_downloaded_archive_holds_nothing_of_circles(
    community: Community,
    organiser: User,
    circle_world: dict[str, Any],
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/c/{community.slug}/export/")
    export = ArchiveExport.objects.get(community=community)
    download = client.get(f"/c/{community.slug}/export/{export.pk}/download")
    assert download.status_code == 200
    archive = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    everything = b"\n".join(entries(archive).values())
    for secret in secrets_of(circle_world["circle"]):
        assert secret.encode() not in everything


def test_importing_the_archive_makes_no_circle(
    community: Community, administrator: User, circle_world: dict[str, Any]
) -> None:
    data = export_bytes(community)
    before = row_counts()
    imported = import_bytes(data, administrator, slug="circles-copy")
    assert row_counts() == before
    assert not Circle.objects.filter(community=imported).exists()
    assert not CircleMembership.objects.filter(community=imported).exists()
