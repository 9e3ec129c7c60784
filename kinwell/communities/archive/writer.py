"""Writes a community archive as it reads the database: each JSON Lines entry
is streamed into the zip while it is hashed, so memory stays flat however
big the community is. The manifest, with every entry's SHA-256, comes last."""

import hashlib
import json
import shutil
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile, ZipInfo

from django.conf import settings
from django.utils import timezone

from kinwell.communities.archive import kinds
from kinwell.communities.models import Community

FORMAT = "kinwell-community-archive"
VERSION = 1
MANIFEST = "manifest.json"
PROGRESS_EVERY = 500
Progress = Callable[[int, int], None]


def record_entry(kind_name: str) -> str:
    return f"records/{kind_name}.jsonl"


class _Entry:
    """One entry of the zip being written, hashed and measured as it goes."""

    def __init__(self, archive: ZipFile, name: str, *, compress: bool = True) -> None:
        self.name = name
        self.sha256 = hashlib.sha256()
        self.size = 0
        info = ZipInfo(name, date_time=timezone.now().timetuple()[:6])
        info.compress_type = ZIP_DEFLATED if compress else ZIP_STORED
        # Sizes are unknown until the end: zip64 headers allow entries past 2 GiB.
        self._stream = archive.open(info, "w", force_zip64=True)

    def write(self, data: bytes) -> None:
        self.sha256.update(data)
        self.size += len(data)
        self._stream.write(data)

    def close(self) -> dict[str, Any]:
        self._stream.close()
        return {"path": self.name, "sha256": self.sha256.hexdigest(), "size": self.size}


def write_archive(
    community: Community, target: IO[bytes], *, progress: Progress | None = None
) -> dict[str, Any]:
    """Writes the archive of `community` to `target`; returns its manifest.
    `progress(done, total)` is called every PROGRESS_EVERY records and at the end."""
    context = kinds.ExportContext.for_community(community)
    registered = kinds.registered()
    total = sum(kind.count(context) for kind in registered)
    entries, counts, done = [], {}, 0
    with ZipFile(target, "w", compression=ZIP_DEFLATED) as archive:
        for kind in registered:
            entry = _Entry(archive, record_entry(kind.name))
            counts[kind.name] = 0
            for row in kind.rows(context):
                record = kind.serialise(context, row)
                if record is not None:
                    entry.write(_line(record))
                    counts[kind.name] += 1
                done += 1
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done, max(total, done))
            entries.append(entry.close())
        entries += _write_media(archive, community)
        manifest = _manifest(community, counts, entries)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n")
    if progress:
        progress(max(total, done), max(total, done))
    return manifest


def _line(record: dict[str, Any]) -> bytes:
    return (
        json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    )


def _write_media(archive: ZipFile, community: Community) -> list[dict[str, Any]]:
    name = kinds.avatar_entry(community)
    if name is None:
        return []
    # Images are compressed already; storing them keeps the ratio check honest.
    entry = _Entry(archive, name, compress=False)
    with community.avatar.open("rb") as source:
        shutil.copyfileobj(source, _Writer(entry))
    return [entry.close()]


class _Writer:
    def __init__(self, entry: _Entry) -> None:
        self.entry = entry

    def write(self, data: bytes) -> int:
        self.entry.write(data)
        return len(data)


def _software_version() -> str:
    try:
        return version("kinwell")
    except PackageNotFoundError:
        return "unknown"


def _manifest(
    community: Community, counts: dict[str, int], entries: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now().isoformat(),
        "source": {
            "software": "kinwell",
            "software_version": _software_version(),
            "site_name": settings.SITE_NAME,
            "site_url": settings.SITE_URL,
        },
        "community": {"name": community.name, "slug": community.slug},
        "counts": counts,
        "entries": entries,
    }
