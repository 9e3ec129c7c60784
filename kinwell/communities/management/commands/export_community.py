from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kinwell.communities.archive import services
from kinwell.communities.models import Community

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Write a community's portable archive (docs/archive-format.md)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "-o", "--output", required=True, help="the archive to write"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["slug"]).first()
        if community is None:
            raise CommandError(
                f"There is no community with the slug {options['slug']!r}."
            )
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"The folder {str(output.parent)!r} does not exist.")
        partial = output.with_name(output.name + ".part")
        with partial.open("wb") as target:
            manifest = services.export_to_file(
                None, community=community, target=target, progress=self._bar
            )
        partial.replace(output)
        self.stderr.write("")
        records = sum(manifest["counts"].values())
        self.stdout.write(f"Exported {community.slug} ({records} records) to {output}")

    def _bar(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        percent = 100 * done // total if total else 100
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stderr.write(
            f"\r[{bar}] {percent:3d}% {done}/{total}", ending="", style_func=str
        )
        self.stderr.flush()
