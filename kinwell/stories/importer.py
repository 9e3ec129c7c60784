"""Loads service trees from a CSV file (`kinwell import-services <csv>`).

Each row describes one node: the deepest non-empty of organisation, site,
department and service; the names to its left are its ancestors, made when
missing. `code` and `location` belong to that node (an organisation's code is
`organisation_code`). A node that exists already (the same name under the
same parent) is updated, never duplicated.

Every row is checked before anything is written, and everything is written in
one transaction: a file with one bad row changes nothing."""

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import transaction

from kinwell.lib import audit
from kinwell.stories.directory import insert_organisation, insert_service
from kinwell.stories.models import Organisation, Service

COLUMNS = (
    "organisation",
    "organisation_code",
    "site",
    "department",
    "service",
    "code",
    "location",
)
# The columns that name a level of the tree, top down, with the kind of node
# each makes (an organisation is not a Service).
LEVELS = (
    ("site", Service.Kind.SITE),
    ("department", Service.Kind.DEPARTMENT),
    ("service", Service.Kind.SERVICE),
)
MAX_NAME = 160
MAX_CODE = 20
MAX_LOCATION = 160
HEADER_LINE = 1


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    organisations_created: int = 0
    organisations_updated: int = 0
    services_created: int = 0
    services_updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"Organisations: {self.organisations_created} created, "
            f"{self.organisations_updated} updated. "
            f"Services: {self.services_created} created, "
            f"{self.services_updated} updated."
        )


@dataclass(frozen=True)
class Row:
    """A checked row: the names from the organisation down to its node."""

    line: int
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    organisation_code: str
    code: str
    location: str

    @property
    def is_organisation(self) -> bool:
        return len(self.names) == 1


# Reading ---------------------------------------------------------------------


def import_csv(stream: TextIO) -> ImportReport:
    """Checks and loads a CSV file opened as text (decode with "utf-8-sig",
    which takes away a byte order mark when there is one)."""
    reader = csv.DictReader(stream)
    try:
        header = [
            name.strip().lstrip("\ufeff").lower() for name in reader.fieldnames or []
        ]
        if sorted(header) != sorted(COLUMNS):
            return ImportReport(errors=[_column_error(header)])
        reader.fieldnames = header
        return _import(_numbered(reader))
    except csv.Error as error:
        # A file csv cannot read at all (a value beyond its size limit, a
        # stray NUL): reported on its line, and nothing was written, since
        # every row is read before the first write.
        # (The reader has not yet counted the line it stopped in.)
        line = reader.line_num + 1
        return ImportReport(errors=[RowError(line, f"unreadable: {error}")])


def import_services(rows: Iterable[Mapping[str, str]]) -> ImportReport:
    """Checks and loads rows already read (line 1 being the header, the first
    row is line 2). Nothing is written unless every row is good."""
    return _import((HEADER_LINE + n, row) for n, row in enumerate(rows, start=1))


def _numbered(reader: "csv.DictReader[str]") -> Iterator[tuple[int, Mapping[str, str]]]:
    for row in reader:
        # A quoted value may span lines: the row's number is where it ends.
        yield reader.line_num, row


def _column_error(header: list[str]) -> RowError:
    found = ",".join(header) or "nothing"
    return RowError(
        HEADER_LINE,
        f"unknown column set: expected {','.join(COLUMNS)}, found {found}",
    )


def _import(numbered: Iterable[tuple[int, Mapping[str, str]]]) -> ImportReport:
    report = ImportReport()
    rows: list[Row] = []
    for line, raw in numbered:
        checked = _check_row(line, raw)
        if isinstance(checked, RowError):
            report.errors.append(checked)
        elif checked is not None:
            rows.append(checked)
    report.errors.extend(_check_together(rows))
    report.errors.extend(_check_against_directory(rows))
    if report.ok:
        try:
            _write(rows, report)
        except _RowFailed as failed:
            # Rolled back: what the checks above missed (a row written by
            # someone else meanwhile) is reported like any other bad row.
            report = ImportReport(errors=[failed.error])
    report.errors.sort(key=lambda error: error.line)
    return report


# Checking ----------------------------------------------------------------------


def _check_row(line: int, raw: Mapping[str, str | None]) -> Row | RowError | None:
    if None in raw:
        return RowError(line, "more values than columns")
    if set(raw) != set(COLUMNS):
        return RowError(line, "unknown column set")
    values = {column: (raw[column] or "").strip() for column in COLUMNS}
    if any("\x00" in value for value in values.values()):
        return RowError(line, "a value holds a NUL character")
    if not any(values.values()):
        return None  # an empty row, as spreadsheets leave at the end
    if not values["organisation"]:
        return RowError(line, "the organisation's name is missing")
    names = [values["organisation"]]
    kinds = [""]
    for column, kind in LEVELS:
        if values[column]:
            names.append(values[column])
            kinds.append(kind)
    organisation_code = values["organisation_code"]
    if len(names) == 1 and not organisation_code:
        organisation_code = values["code"]
    return _check_lengths(
        Row(
            line=line,
            names=tuple(names),
            kinds=tuple(kinds),
            organisation_code=organisation_code,
            code=values["code"],
            location=values["location"],
        )
    )


def _check_lengths(row: Row) -> Row | RowError:
    for name in row.names:
        if len(name) > MAX_NAME:
            return RowError(
                row.line,
                f"the name {name[:40]!r}… is longer than {MAX_NAME} characters",
            )
    for label, value, most in (
        ("organisation_code", row.organisation_code, MAX_CODE),
        ("code", row.code, MAX_CODE),
        ("location", row.location, MAX_LOCATION),
    ):
        if len(value) > most:
            return RowError(row.line, f"{label} is longer than {most} characters")
    if row.is_organisation and row.code and row.code != row.organisation_code:
        return RowError(
            row.line, "an organisation's code goes in organisation_code, not code"
        )
    return row


def _check_together(rows: list[Row]) -> Iterator[RowError]:
    """What no single row shows: the same node twice, a name used as two
    kinds of node, a code given to two organisations."""
    described: dict[tuple[str, ...], int] = {}
    kinds: dict[tuple[str, ...], tuple[str, int]] = {}
    codes: dict[str, tuple[str, int]] = {}
    names_codes: dict[str, tuple[str, int]] = {}
    for row in rows:
        clashes = list(_check_kinds(row, kinds))
        yield from clashes
        if clashes:
            continue
        if row.names in described:
            yield RowError(row.line, f"repeats line {described[row.names]}")
            continue
        described[row.names] = row.line
        yield from _check_codes(row, codes, names_codes)


def _check_kinds(
    row: Row, kinds: dict[tuple[str, ...], tuple[str, int]]
) -> Iterator[RowError]:
    for depth in range(2, len(row.names) + 1):
        key, kind = row.names[:depth], row.kinds[depth - 1]
        seen_kind, seen_line = kinds.setdefault(key, (kind, row.line))
        if seen_kind != kind:
            yield RowError(
                row.line,
                f"{key[-1]!r} is a {kind} here but a {seen_kind} on line {seen_line}",
            )
            return


def _check_codes(
    row: Row,
    codes: dict[str, tuple[str, int]],
    names_codes: dict[str, tuple[str, int]],
) -> Iterator[RowError]:
    code, organisation = row.organisation_code, row.names[0]
    if not code:
        return
    holder, line = codes.setdefault(code.upper(), (organisation, row.line))
    if holder != organisation:
        yield RowError(
            row.line, f"the code {code} is also used by {holder!r} on line {line}"
        )
        return
    given, line = names_codes.setdefault(organisation, (code.upper(), row.line))
    if given != code.upper():
        yield RowError(
            row.line, f"{organisation!r} has another code on line {line} ({given})"
        )


def _check_against_directory(rows: list[Row]) -> Iterator[RowError]:
    """Codes and names the file gives that the directory already uses
    otherwise."""
    codes = {
        row.organisation_code.upper(): row for row in rows if row.organisation_code
    }
    holders = Organisation.objects.filter(code__in=_case_variants(codes))
    for holder in holders:
        row = codes.get(holder.code.upper())
        if row is not None and holder.name != row.names[0]:
            yield RowError(
                row.line,
                f"the code {holder.code} belongs to the organisation {holder.name!r}",
            )
    names = {row.names[0]: row for row in rows}
    twice = _names_used_twice(list(names))
    for name in sorted(twice):
        yield RowError(
            names[name].line,
            f"more than one organisation is called {name!r}; rename one first",
        )


def _case_variants(codes: Mapping[str, Row]) -> list[str]:
    return [*codes, *(row.organisation_code for row in codes.values())]


def _names_used_twice(names: list[str]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for name in Organisation.objects.filter(name__in=names).values_list(
        "name", flat=True
    ):
        (twice if name in seen else seen).add(name)
    return twice


# Writing -----------------------------------------------------------------------


class _RowFailed(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


@transaction.atomic
def _write(rows: list[Row], report: ImportReport) -> None:
    tree = _Tree(report)
    for row in rows:
        try:
            _write_row(tree, row)
        except ValidationError as error:
            raise _RowFailed(RowError(row.line, "; ".join(error.messages))) from None
    for organisation in tree.touched.values():
        audit.record(None, "organisation.import", organisation, reason=report.summary())


def _write_row(tree: "_Tree", row: Row) -> None:
    organisation = tree.organisation(row)
    parent: Service | None = None
    for depth in range(1, len(row.names)):
        is_node = depth == len(row.names) - 1
        parent = tree.service(organisation, parent, row, depth, is_node)


class _Tree:
    """The nodes met so far, so each is looked up once."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.touched: dict[str, Organisation] = {}
        self.services: dict[tuple[int, int | None, str], Service] = {}
        self.counted: set[tuple[str, object]] = set()

    def organisation(self, row: Row) -> Organisation:
        name = row.names[0]
        organisation = self.touched.get(name)
        if organisation is None:
            organisation = self._find_or_create_organisation(name, row)
            self.touched[name] = organisation
            self._load_services(organisation)
        if row.is_organisation or row.organisation_code:
            self._update_organisation(organisation, row)
        return organisation

    def _find_or_create_organisation(self, name: str, row: Row) -> Organisation:
        found = Organisation.objects.filter(name=name).first()
        if found is not None:
            return found
        created = insert_organisation(
            name=name,
            code=row.organisation_code,
            location=row.location if row.is_organisation else "",
        )
        self.report.organisations_created += 1
        self.counted.add(("organisation", created.pk))
        return created

    def _update_organisation(self, organisation: Organisation, row: Row) -> None:
        changes = {"code": row.organisation_code or organisation.code}
        if row.is_organisation:
            changes["location"] = row.location
        changed = [f for f, v in changes.items() if getattr(organisation, f) != v]
        for field_name in changed:
            setattr(organisation, field_name, changes[field_name])
        if changed:
            organisation.save(update_fields=changed)
        self._count_update("organisation", organisation.pk, bool(changed))

    def _load_services(self, organisation: Organisation) -> None:
        for service in Service.objects.filter(organisation=organisation):
            self.services[(organisation.pk, service.parent_id, service.name)] = service

    def service(
        self,
        organisation: Organisation,
        parent: Service | None,
        row: Row,
        depth: int,
        is_node: bool,
    ) -> Service:
        key = (organisation.pk, parent.pk if parent else None, row.names[depth])
        found = self.services.get(key)
        if found is None:
            found = insert_service(
                organisation=organisation,
                parent=parent,
                name=row.names[depth],
                kind=row.kinds[depth],
                code=row.code if is_node else "",
                location=row.location if is_node else "",
            )
            self.services[key] = found
            self.report.services_created += 1
            self.counted.add(("service", found.pk))
        elif is_node:
            self._update_service(found, row, depth)
        return found

    def _update_service(self, service: Service, row: Row, depth: int) -> None:
        changes = {"kind": row.kinds[depth], "code": row.code, "location": row.location}
        changed = [f for f, v in changes.items() if getattr(service, f) != v]
        for field_name in changed:
            setattr(service, field_name, changes[field_name])
        if changed:
            service.save(update_fields=changed)
        self._count_update("service", service.pk, bool(changed))

    def _count_update(self, what: str, pk: int, changed: bool) -> None:
        """Counts a node once, as created or as updated (when it changed)."""
        if not changed or (what, pk) in self.counted:
            return
        self.counted.add((what, pk))
        if what == "organisation":
            self.report.organisations_updated += 1
        else:
            self.report.services_updated += 1
