"""Reads a community archive, and checks all of it before anything is written.

`check_archive` reads every entry once, streaming: it counts bytes while
decompressing and stops past the limits (so a zip bomb costs nothing), checks
each entry's SHA-256 against the manifest, each record against its JSON
Schema, and the counts. Only then does the import read the records again,
with `read_records`, inside one transaction."""

import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from zipfile import BadZipFile, ZipFile, ZipInfo

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from kinwell.communities.archive import kinds, schema
from kinwell.communities.archive.writer import FORMAT, MANIFEST, VERSION, record_entry
from kinwell.communities.models import Community

MiB = 2**20
READ_SIZE = 64 * 1024
MAX_MANIFEST_BYTES = 4 * MiB
MAX_LINE_BYTES = 4 * MiB
# Below this, an entry may have any compression ratio (tiny files compress oddly).
RATIO_FLOOR_BYTES = MiB
MEDIA_NAME = re.compile(r"media/avatar\.(png|jpe?g|gif|webp)")
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")


class ArchiveError(Exception):
    """The archive cannot be imported; the message names the problem."""


def limit(name: str) -> int:
    defaults = {
        "KINWELL_ARCHIVE_MAX_BYTES": 1024 * MiB,
        "KINWELL_ARCHIVE_MAX_UNCOMPRESSED_BYTES": 8 * 1024 * MiB,
        "KINWELL_ARCHIVE_MAX_RATIO": 100,
        "KINWELL_ARCHIVE_MAX_ENTRIES": 1000,
        "KINWELL_ARCHIVE_MAX_MEDIA_BYTES": 10 * MiB,
    }
    return int(getattr(settings, name, defaults[name]))


@dataclass(frozen=True)
class CheckedArchive:
    manifest: dict[str, Any]
    community: dict[str, Any]
    slug: str


def open_zip(stream: IO[bytes]) -> ZipFile:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size > limit("KINWELL_ARCHIVE_MAX_BYTES"):
        raise ArchiveError(
            f"The archive is {size // MiB} MiB; this installation takes archives "
            f"up to {limit('KINWELL_ARCHIVE_MAX_BYTES') // MiB} MiB."
        )
    try:
        return ZipFile(stream)
    except (BadZipFile, OSError, ValueError):
        raise ArchiveError("This is not a zip file, or it is damaged.") from None


def check_archive(archive: ZipFile, *, slug: str | None = None) -> CheckedArchive:
    """Everything about the archive, or ArchiveError naming the first problem."""
    infos = _check_names(archive)
    manifest = _read_manifest(archive, infos)
    budget = _Budget(limit("KINWELL_ARCHIVE_MAX_UNCOMPRESSED_BYTES"))
    community: dict[str, Any] = {}
    for entry in manifest["entries"]:
        info = infos[entry["path"]]
        if entry["path"].startswith("records/"):
            name = entry["path"].removeprefix("records/").removesuffix(".jsonl")
            first = _check_records(archive, info, entry, name, budget, manifest)
            if name == "community":
                community = first
        else:
            _check_media(archive, info, entry, budget)
    target = slug or community["slug"]
    _check_slug(target, chosen=bool(slug))
    _check_avatar_reference(community, infos)
    return CheckedArchive(manifest=manifest, community=community, slug=target)


def _check_names(archive: ZipFile) -> dict[str, ZipInfo]:
    infos: dict[str, ZipInfo] = {}
    entries = archive.infolist()
    if len(entries) > limit("KINWELL_ARCHIVE_MAX_ENTRIES"):
        raise ArchiveError(f"The archive has too many entries ({len(entries)}).")
    allowed = {record_entry(kind.name) for kind in kinds.registered()} | {MANIFEST}
    for info in entries:
        name = info.filename
        if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/"):
            raise ArchiveError(f"The entry {name[:80]!r} has an unsafe path.")
        if name not in allowed and not MEDIA_NAME.fullmatch(name):
            raise ArchiveError(f"The entry {name[:80]!r} is not part of the format.")
        if name in infos:
            raise ArchiveError(f"The entry {name!r} appears twice.")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"The entry {name!r} is encrypted.")
        infos[name] = info
    if MANIFEST not in infos:
        raise ArchiveError("The archive has no manifest.json.")
    return infos


def _read_manifest(archive: ZipFile, infos: dict[str, ZipInfo]) -> dict[str, Any]:
    budget = _Budget(MAX_MANIFEST_BYTES)
    data = b"".join(_chunks(archive, infos[MANIFEST], budget))
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ArchiveError("manifest.json is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"manifest.json does not describe a {FORMAT}.")
    version = manifest.get("version")
    if version != VERSION:
        raise ArchiveError(
            f"The archive is in format version {version!r}; this installation "
            f"reads version {VERSION}."
        )
    _raise_problems(
        "manifest.json", schema.problems(manifest, schema.load_schema("manifest"))
    )
    listed = [entry["path"] for entry in manifest["entries"]]
    if len(set(listed)) != len(listed) or set(listed) != set(infos) - {MANIFEST}:
        raise ArchiveError(
            "The manifest's list of entries does not match the archive's entries."
        )
    missing = [
        kind.name for kind in kinds.registered() if record_entry(kind.name) not in infos
    ]
    if missing:
        raise ArchiveError(f"The archive has no records/{missing[0]}.jsonl.")
    return manifest


def _raise_problems(where: str, found: list[str]) -> None:
    if found:
        more = f" (and {len(found) - 1} more problems)" if len(found) > 1 else ""
        raise ArchiveError(f"{where}: {found[0]}{more}")


def _check_records(
    archive: ZipFile,
    info: ZipInfo,
    entry: dict[str, Any],
    name: str,
    budget: "_Budget",
    manifest: dict[str, Any],
) -> dict[str, Any]:
    """Checks one JSON Lines entry; returns its first record (for `community`)."""
    record_schema = schema.load_schema(name)
    digest, count = hashlib.sha256(), 0
    first: dict[str, Any] = {}
    for number, line in enumerate(_lines(archive, info, budget, digest), start=1):
        record = _parse_line(info.filename, number, line)
        _raise_problems(
            f"{info.filename} line {number}", schema.problems(record, record_schema)
        )
        first = first or record
        count = number
    _check_digest(info.filename, digest, entry)
    expected = manifest["counts"].get(name)
    if count != expected:
        raise ArchiveError(
            f"{info.filename} has {count} records; the manifest says {expected}."
        )
    if name == "community" and count != 1:
        raise ArchiveError(f"{info.filename} must hold exactly one record.")
    return first


def _parse_line(entry: str, number: int, line: bytes) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise ArchiveError(f"{entry} line {number} is not valid JSON.") from None
    if not isinstance(record, dict):
        raise ArchiveError(f"{entry} line {number} is not a JSON object.")
    return record


def _check_media(
    archive: ZipFile, info: ZipInfo, entry: dict[str, Any], budget: "_Budget"
) -> None:
    if info.file_size > limit("KINWELL_ARCHIVE_MAX_MEDIA_BYTES"):
        raise ArchiveError(f"{info.filename} is larger than media may be.")
    digest = hashlib.sha256()
    for chunk in _chunks(archive, info, budget):
        digest.update(chunk)
    _check_digest(info.filename, digest, entry)
    try:
        with archive.open(info) as stream, Image.open(stream) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ArchiveError(f"{info.filename} is not an image.") from None


def _check_digest(name: str, digest: "hashlib._Hash", entry: dict[str, Any]) -> None:
    if digest.hexdigest() != entry["sha256"]:
        raise ArchiveError(
            f"{name} does not match its SHA-256 checksum in the manifest: "
            "the archive was changed or damaged."
        )


def _check_slug(slug: str, *, chosen: bool) -> None:
    if not SLUG.fullmatch(slug):
        raise ArchiveError(
            f"{slug[:80]!r} cannot be a community's address: use letters, "
            "numbers, hyphens and underscores, at most 60."
        )
    if Community.objects.filter(slug=slug).exists():
        advice = "Choose another." if chosen else "Choose another slug for it."
        raise ArchiveError(
            f"A community with the slug {slug!r} already exists. {advice}"
        )


def _check_avatar_reference(
    community: dict[str, Any], infos: dict[str, ZipInfo]
) -> None:
    avatar = community.get("avatar")
    if avatar and avatar not in infos:
        raise ArchiveError(f"The community's avatar {avatar!r} is not in the archive.")


# Streaming -------------------------------------------------------------------


class _Budget:
    """Decompressed bytes the rest of the archive may still take."""

    def __init__(self, allowed: int) -> None:
        self.left = allowed

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise ArchiveError(
                "The archive unpacks to more data than this installation accepts."
            )


def _chunks(archive: ZipFile, info: ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """The entry's bytes, decompressed a chunk at a time, stopping as soon as
    it passes the total budget or the compression ratio limit."""
    ratio_limit = max(
        info.compress_size * limit("KINWELL_ARCHIVE_MAX_RATIO"), RATIO_FLOOR_BYTES
    )
    read = 0
    try:
        with archive.open(info) as stream:
            while chunk := _read(stream):
                read += len(chunk)
                if read > ratio_limit:
                    raise ArchiveError(
                        f"{info.filename} is compressed more than an archive can "
                        "be (a possible zip bomb)."
                    )
                budget.spend(len(chunk))
                yield chunk
    except (BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        raise ArchiveError(f"{info.filename} is damaged.") from None


def _read(stream: IO[bytes]) -> bytes:
    return stream.read(READ_SIZE)


def _lines(
    archive: ZipFile,
    info: ZipInfo,
    budget: _Budget,
    digest: "hashlib._Hash | None" = None,
) -> Iterator[bytes]:
    pending = b""
    for chunk in _chunks(archive, info, budget):
        if digest is not None:
            digest.update(chunk)
        pending += chunk
        *complete, pending = pending.split(b"\n")
        if len(pending) > MAX_LINE_BYTES:
            raise ArchiveError(f"{info.filename} has a record longer than allowed.")
        yield from (line for line in complete if line.strip())
    if pending.strip():
        yield pending


def read_records(archive: ZipFile, kind_name: str) -> Iterator[dict[str, Any]]:
    """The records of an archive `check_archive` has accepted."""
    info = archive.getinfo(record_entry(kind_name))
    budget = _Budget(limit("KINWELL_ARCHIVE_MAX_UNCOMPRESSED_BYTES"))
    for line in _lines(archive, info, budget):
        yield json.loads(line)
