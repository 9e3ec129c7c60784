from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kinwell.stories.importer import COLUMNS, import_csv


class Command(BaseCommand):
    help = (
        "Load organisations and their service trees from a CSV file with the "
        f"columns {','.join(COLUMNS)} (docs/stories.md). Every row is checked "
        "first: one bad row and nothing is written."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("csv", help="the CSV file, UTF-8 (a BOM is fine)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["csv"])
        if not path.is_file():
            raise CommandError(f"There is no file {str(path)!r}.")
        try:
            # utf-8-sig reads files with and without a byte order mark alike.
            with path.open(encoding="utf-8-sig", newline="") as stream:
                report = import_csv(stream)
        except UnicodeDecodeError as undecodable:
            where = f"byte {undecodable.start}"
            raise CommandError(
                f"Nothing was imported: the file is not UTF-8 ({where})."
            ) from None
        if not report.ok:
            for row_error in report.errors:
                self.stderr.write(str(row_error))
            bad = len({row_error.line for row_error in report.errors})
            raise CommandError(
                f"Nothing was imported: {bad} bad row{'s' if bad != 1 else ''}."
            )
        self.stdout.write(report.summary())
