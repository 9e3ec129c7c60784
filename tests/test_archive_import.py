"""Importing an archive: the community comes back with its provenance, its
people are invited, a round trip keeps the content, and every kind of bad
archive is refused, with its problem named, before anything is written."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile

from kinwell.accounts.models import AuditEvent, User
from kinwell.communities.archive import kinds
from kinwell.communities.archive.reader import ArchiveError
from kinwell.communities.models import Cluster, Community, MemberInvitation, Membership
from tests.test_archive import (
    Archive,
    build,
    consent,
    entries,
    export_bytes,
    import_bytes,
    png,
    records,
)

# Import ----------------------------------------------------------------------


def test_import_recreates_the_community_with_provenance_and_invites_members(
    community: Community, administrator: User
) -> None:
    community.avatar.save("face.png", ContentFile(png()))
    data = export_bytes(community)
    imported = import_bytes(data, administrator, slug="long-covid-copy")
    assert imported.name == community.name
    assert imported.charter == community.charter
    assert community.slug in imported.imported_from
    assert imported.imported_at is not None
    assert imported.avatar.read() == png()
    (membership,) = Membership.objects.filter(community=imported)
    assert (membership.user, membership.role) == (administrator, "organiser")
    invited = sorted(imported.member_invitations.values_list("role", flat=True))
    assert invited == ["member", "member", "moderator", "organiser"]
    assert not imported.member_invitations.exclude(user=None).exists()
    assert AuditEvent.objects.filter(
        action="community.import", object_id=str(imported.pk)
    ).exists()


def test_export_import_export_gives_the_same_content(
    community: Community, administrator: User, member: User
) -> None:
    consent(member)
    community.cluster = Cluster.objects.create(name="Long COVID", slug="long-covid")
    community.save(update_fields=["cluster"])
    community.avatar.save("face.png", ContentFile(png()))
    first = export_bytes(community)
    again = export_bytes(import_bytes(first, administrator, slug="second-home"))
    assert _content(again) == _content(first)
    # People become invitations (the archive has no addresses to enrol them by).
    roles = sorted(record["role"] for record in records(first, "roles"))
    imported = Community.objects.get(slug="second-home")
    assert sorted(imported.member_invitations.values_list("role", flat=True)) == roles


def _content(data: bytes) -> dict[str, Any]:
    """What a community is, leaving out identifiers, import provenance and
    the people (who are invited, not carried over)."""
    files = entries(data)
    (community,) = records(data, "community")
    del community["slug"]
    community["provenance"].update(imported_from="", imported_at=None)
    people = {
        "records/members.jsonl",
        "records/roles.jsonl",
        "records/departures.jsonl",
    }
    rest = {
        name: body
        for name, body in files.items()
        if name not in people | {"manifest.json", "records/community.jsonl"}
    }
    return {"community": community, "rest": rest}


def _changed(data: bytes, name: str, body: bytes) -> Archive:
    files = entries(data)
    files[name] = body
    return files


def _without(data: bytes, name: str) -> Archive:
    files = entries(data)
    del files[name]
    return files


def _manifest_with(data: bytes, **changes: Any) -> Archive:
    files = entries(data)
    manifest = json.loads(files["manifest.json"])
    manifest.update(changes)
    files["manifest.json"] = json.dumps(manifest).encode()
    return files


def _bomb(data: bytes) -> Archive:
    return _changed(data, "records/departures.jsonl", b" " * (30 * 2**20))


BadArchive = Callable[[bytes], bytes]
BAD_ARCHIVES: dict[str, tuple[BadArchive, str]] = {
    "not a zip": (lambda data: b"not a zip at all", "not a zip file"),
    "no manifest": (
        lambda data: build(_without(data, "manifest.json")),
        "no manifest.json",
    ),
    "tampered entry": (
        lambda data: build(
            _changed(data, "records/roles.jsonl", b""), fix_manifest=False
        ),
        "records/roles.jsonl does not match its SHA-256",
    ),
    "schema": (
        lambda data: build(
            _changed(
                data,
                "records/roles.jsonl",
                b'{"member": "m-aaaaaaaaaaaaaaaaaaaaaaaa", "role": "boss"}\n' * 4,
            )
        ),
        "records/roles.jsonl line 1: role: 'boss' is not one of",
    ),
    "not json": (
        lambda data: build(_changed(data, "records/roles.jsonl", b"{nope\n")),
        "records/roles.jsonl line 1 is not valid JSON",
    ),
    "newer version": (
        lambda data: build(_manifest_with(data, version=2)),
        "format version 2",
    ),
    "other format": (
        lambda data: build(_manifest_with(data, format="something-else")),
        "does not describe a kinwell-community-archive",
    ),
    "counts": (
        lambda data: build(
            _manifest_with(
                data,
                counts={
                    "community": 1,
                    "members": 4,
                    "roles": 3,
                    "departures": 0,
                },
            )
        ),
        "records/roles.jsonl has 4 records; the manifest says 3",
    ),
    "path traversal": (
        lambda data: build({**entries(data), "../../etc/evil": b"x"}),
        "unsafe path",
    ),
    "absolute path": (
        lambda data: build({**entries(data), "/etc/evil": b"x"}),
        "unsafe path",
    ),
    "unknown entry": (
        lambda data: build({**entries(data), "records/extra.jsonl": b""}),
        "'records/extra.jsonl' is not part of the format",
    ),
    "missing kind": (
        lambda data: build(_without(data, "records/roles.jsonl")),
        "no records/roles.jsonl",
    ),
    "zip bomb": (lambda data: build(_bomb(data)), "possible zip bomb"),
    "fake image": (
        lambda data: build({**entries(data), "media/avatar.png": b"<svg/>"}),
        "media/avatar.png is not an image",
    ),
}


@pytest.mark.parametrize("problem", BAD_ARCHIVES)
def test_a_bad_archive_is_refused_with_its_problem_named_and_nothing_written(
    problem: str, community: Community, administrator: User
) -> None:
    spoil, message = BAD_ARCHIVES[problem]
    bad = spoil(export_bytes(community))
    before = (Community.objects.count(), MemberInvitation.objects.count())
    with pytest.raises(ArchiveError, match=_escaped(message)):
        import_bytes(bad, administrator, slug="new-home")
    assert (Community.objects.count(), MemberInvitation.objects.count()) == before


def _escaped(message: str) -> str:
    return re.escape(message)


def test_an_archive_whose_slug_is_taken_is_refused(community: Community) -> None:
    with pytest.raises(ArchiveError, match="already exists"):
        import_bytes(export_bytes(community))


def test_archives_past_the_size_limits_are_refused(
    community: Community, settings: Any
) -> None:
    data = export_bytes(community)
    settings.KINWELL_ARCHIVE_MAX_UNCOMPRESSED_BYTES = 100
    with pytest.raises(ArchiveError, match="unpacks to more data"):
        import_bytes(data, slug="elsewhere")
    settings.KINWELL_ARCHIVE_MAX_BYTES = 100
    with pytest.raises(ArchiveError, match="takes archives up to"):
        import_bytes(data, slug="elsewhere")
    assert not Community.objects.filter(slug="elsewhere").exists()


def test_a_failure_while_writing_leaves_the_database_unchanged(
    community: Community, administrator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(context: kinds.ImportContext, record: dict[str, Any]) -> None:
        raise RuntimeError("disk full")

    roles = kinds.get("roles")
    assert roles is not None
    data = export_bytes(community)
    monkeypatch.setitem(kinds._kinds, "roles", kinds.RecordKind(
        name="roles", rows=roles.rows, count=roles.count,
        serialise=roles.serialise, import_row=fail,
    ))  # fmt: skip
    with pytest.raises(RuntimeError):
        import_bytes(data, administrator, slug="half-written")
    assert not Community.objects.filter(slug="half-written").exists()
