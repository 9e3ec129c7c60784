"""Where released datasets are kept: under the private data directory,
never under MEDIA_ROOT (which a web server may serve), and only ever sent
to the researcher they were released to, through the download view."""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

from kinwell.tracking.models import DataRelease

RELEASES_DIR = "research-releases"
CHUNK = 1 << 16


def releases_root() -> Path:
    return Path(settings.DATA_DIR) / RELEASES_DIR


@dataclass(frozen=True)
class BuiltFile:
    """A release's file, complete, under a temporary name that is never
    offered for download until it is placed."""

    partial: Path
    name: str
    sha256: str


def build_release_file(
    stem: str, suffix: str, write: Callable[[IO[bytes]], None]
) -> BuiltFile:
    """Writes a file through `write` under a temporary name (removed if
    anything goes wrong). Returns it, with its SHA-256."""
    name = f"{stem}-{secrets.token_hex(8)}{suffix}"
    root = releases_root()
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f"{name}.part"
    try:
        # Readable too: a zip is finished by reopening it to append.
        with partial.open("w+b") as target:
            write(target)
        return BuiltFile(partial, name, sha256_of(partial))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def place_release_file(built: BuiltFile) -> str:
    """Gives the built file its own name; returns its path relative to the
    data directory."""
    built.partial.rename(releases_root() / built.name)
    return f"{RELEASES_DIR}/{built.name}"


def discard_release_file(built: BuiltFile) -> None:
    """Removes the built file, placed or not."""
    built.partial.unlink(missing_ok=True)
    (releases_root() / built.name).unlink(missing_ok=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def release_file_path(release: DataRelease) -> Path | None:
    if not release.file:
        return None
    path = Path(settings.DATA_DIR) / release.file
    return path if path.is_file() else None


def download_name(release: DataRelease) -> str:
    suffix = ".json" if release.kind == DataRelease.Kind.PRIVATE_COUNTS else ".zip"
    return f"dataset-{release.request_id}-release-{release.pk}-{release.kind}{suffix}"
