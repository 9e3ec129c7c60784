"""Reads an uploaded import: a zip of the format's CSV files or one of them
alone, into rows of text by column, with every problem found on the way
(size, zip, encoding, NUL characters, broken CSV, header) as a Problem
naming the file and line. Nothing here knows what the values mean."""

import csv
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from zipfile import BadZipFile, ZipFile, ZipInfo

from django.conf import settings

from kinwell.tracking.io import csv_format as fmt

if TYPE_CHECKING:
    import _csv

MiB = 2**20
ZIP_MAGIC = b"PK\x03\x04"
# Spreadsheet programs and file managers add these to zips; they hold no rows.
IGNORED_PREFIXES = ("__MACOSX/",)


def limit(name: str) -> int:
    defaults = {
        "KINWELL_TRACKING_IMPORT_MAX_BYTES": 5 * MiB,
        "KINWELL_TRACKING_IMPORT_MAX_UNZIPPED_BYTES": 50 * MiB,
        "KINWELL_TRACKING_IMPORT_MAX_ROWS": 100_000,
    }
    return int(getattr(settings, name, defaults[name]))


@dataclass(frozen=True)
class Problem:
    """What is wrong (or, for a skipped row, why), and where."""

    file: str
    line: int | None
    column: str | None
    message: str


class Row:
    """One data row: its line in the file and its values by column."""

    __slots__ = ("line", "values")

    def __init__(self, line: int, values: dict[str, str]) -> None:
        self.line = line
        self.values = values

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class ParsedFile:
    spec: fmt.FileFormat
    rows: list[Row] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class Upload:
    files: dict[str, ParsedFile] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    row_count: int = 0

    def problem(
        self, file: str, message: str, line: int | None = None, column: str = ""
    ) -> None:
        self.problems.append(Problem(file, line, column or None, message))


def read_upload(name: str, data: bytes) -> Upload:
    """The files of an upload named `name` (as the member's computer named it)."""
    upload = Upload()
    shown = _base_name(name) or "the file"
    if not data:
        upload.problem(shown, "The file is empty.")
    elif len(data) > limit("KINWELL_TRACKING_IMPORT_MAX_BYTES"):
        most = limit("KINWELL_TRACKING_IMPORT_MAX_BYTES") / MiB
        upload.problem(
            shown,
            f"The file is {len(data) / MiB:.1f} MB; the import takes files up to "
            f"{most:g} MB. Split it, for example a year at a time.",
        )
    elif data.startswith(ZIP_MAGIC):
        _read_zip(upload, data)
    else:
        _read_single(upload, shown, data)
    return upload


def _base_name(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).name[:100]


# A zip ---------------------------------------------------------------------------


def _read_zip(upload: Upload, data: bytes) -> None:
    try:
        archive = ZipFile(io.BytesIO(data))
    except (BadZipFile, OSError, ValueError):
        upload.problem("the zip file", "This is not a zip file, or it is damaged.")
        return
    with archive:
        budget = limit("KINWELL_TRACKING_IMPORT_MAX_UNZIPPED_BYTES")
        for info in _csv_entries(upload, archive):
            if upload.row_count > limit("KINWELL_TRACKING_IMPORT_MAX_ROWS"):
                return
            content = _unpack(upload, archive, info, budget)
            if content is None:
                return
            budget -= len(content)
            _read_csv(upload, fmt.FILES[_base_name(info.filename)], content)
    if not upload.files and not upload.problems:
        names = ", ".join(fmt.FILES)
        upload.problem("the zip file", f"The zip holds none of the files: {names}.")


def _csv_entries(upload: Upload, archive: ZipFile) -> Iterator[ZipInfo]:
    seen: set[str] = set()
    for info in archive.infolist():
        name = _base_name(info.filename)
        if info.is_dir() or info.filename.startswith(IGNORED_PREFIXES):
            continue
        if name.startswith("."):
            continue
        if name not in fmt.FILES:
            upload.problem(name, _not_a_file_of_the_format())
        elif name in seen:
            upload.problem(name, "The zip holds two files of this name.")
        elif info.flag_bits & 0x1:
            upload.problem(
                name, "This file is encrypted; export it without a password."
            )
        else:
            seen.add(name)
            yield info


def _not_a_file_of_the_format() -> str:
    return f"This is not one of the files of the format ({', '.join(fmt.FILES)})."


def _unpack(
    upload: Upload, archive: ZipFile, info: ZipInfo, budget: int
) -> bytes | None:
    """The entry's bytes, read no further than the budget allows (its header
    could lie about its size)."""
    name = _base_name(info.filename)
    try:
        with archive.open(info) as stream:
            content = stream.read(budget + 1)
    except (BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        upload.problem(name, "This file in the zip is damaged.")
        return None
    if len(content) > budget:
        most = limit("KINWELL_TRACKING_IMPORT_MAX_UNZIPPED_BYTES") / MiB
        upload.problem(
            name, f"The zip unpacks to more than {most:g} MB; split the import."
        )
        return None
    return content


# One CSV file --------------------------------------------------------------------


def _read_single(upload: Upload, name: str, data: bytes) -> None:
    spec = fmt.FILES.get(name)
    text = _decode(upload, name, data)
    if text is None:
        return
    if spec is None:
        spec = _recognise(upload, name, text)
        if spec is None:
            return
    _read_text(upload, spec, text)


def _recognise(upload: Upload, name: str, text: str) -> fmt.FileFormat | None:
    """Which file of the format a CSV under another name is, by its header."""
    first = text.split("\n", 1)[0]
    header = {fmt.normalise_header(cell) for cell in _header_cells(first)}
    fits = [
        spec
        for spec in fmt.FILES.values()
        if spec.required <= header and header <= spec.known
    ]
    if len(fits) == 1:
        return fits[0]
    upload.problem(
        name,
        "The file's name and header do not say which records it holds. Name it "
        f"after them ({', '.join(fmt.FILES)}) and give it the header "
        "docs/tracking-csv.md describes.",
        line=1,
    )
    return None


def _header_cells(line: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=_delimiter(line)), [])
    except csv.Error:
        return []


def _read_csv(upload: Upload, spec: fmt.FileFormat, data: bytes) -> None:
    text = _decode(upload, spec.name, data)
    if text is not None:
        _read_text(upload, spec, text)


def _decode(upload: Upload, name: str, data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        upload.problem(name, "The file is saved as UTF-16. Save it as CSV UTF-8.")
        return None
    nul = data.find(b"\x00")
    if nul >= 0:
        upload.problem(
            name,
            "The file holds a NUL character: it may be a spreadsheet rather than "
            "CSV. Save it as CSV UTF-8.",
            line=data.count(b"\n", 0, nul) + 1,
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        upload.problem(
            name,
            "The file is not UTF-8 text. Save it as CSV UTF-8.",
            line=data.count(b"\n", 0, error.start) + 1,
        )
        return None


def _delimiter(first_line: str) -> str:
    """A comma, unless the header clearly uses semicolons or tabs (as
    spreadsheets set to some languages write)."""
    counts = {mark: first_line.count(mark) for mark in (",", ";", "\t")}
    if counts[","] == 0 and max(counts.values()) > 0:
        return max(counts, key=lambda mark: counts[mark])
    return ","


def _read_text(upload: Upload, spec: fmt.FileFormat, text: str) -> None:
    parsed = ParsedFile(spec)
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = _header(upload, spec, next(reader, []))
        if header is None:
            return
        _read_rows(upload, parsed, reader, header)
    except _TooManyRows:
        return
    except csv.Error as error:
        upload.problem(spec.name, f"This is not valid CSV ({error}).", reader.line_num)
        return
    upload.files[spec.name] = parsed


def _header(upload: Upload, spec: fmt.FileFormat, cells: list[str]) -> list[str] | None:
    header = [fmt.normalise_header(cell) for cell in cells]
    before = len(upload.problems)
    if not any(header):
        upload.problem(spec.name, "The file has no header row.", line=1)
        return None
    for column in header:
        if column and column not in spec.known:
            allowed = ", ".join(spec.columns)
            upload.problem(
                spec.name,
                f"Not a column of this file (its columns: {allowed}).",
                1,
                column,
            )
        if column and header.count(column) > 1:
            upload.problem(spec.name, "This column appears twice.", 1, column)
    for column in sorted(spec.required - set(header)):
        upload.problem(spec.name, "This column is missing from the header.", 1, column)
    return header if len(upload.problems) == before else None


def _read_rows(
    upload: Upload, parsed: ParsedFile, reader: "_csv.Reader", header: list[str]
) -> None:
    most = limit("KINWELL_TRACKING_IMPORT_MAX_ROWS")
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            upload.problem(
                parsed.name,
                f"This row has {len(cells)} values; the header names {len(header)}.",
                start,
            )
            continue
        upload.row_count += 1
        if upload.row_count > most:
            upload.problem(
                parsed.name, f"The import takes up to {most:,} rows; split it.", start
            )
            raise _TooManyRows
        values = {col: cell.strip() for col, cell in zip(header, cells, strict=False)}
        parsed.rows.append(Row(start, values))


class _TooManyRows(Exception):
    """Stops reading: past the row limit, nothing more is worth checking."""
