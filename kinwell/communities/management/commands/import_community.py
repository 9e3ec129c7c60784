from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kinwell.accounts.models import User
from kinwell.communities.archive import services
from kinwell.communities.archive.reader import ArchiveError


class Command(BaseCommand):
    help = (
        "Recreate a community from its archive, after checking all of it. "
        "Its members are invited, never enrolled."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive")
        parser.add_argument("--slug", help="a new slug, if the archive's is taken")
        # Required: a community always has at least one organiser.
        parser.add_argument(
            "--organiser",
            metavar="EMAIL",
            required=True,
            help="the account that becomes the community's first organiser",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["archive"])
        if not path.is_file():
            raise CommandError(f"There is no file {str(path)!r}.")
        organiser = self._organiser(options["organiser"])
        try:
            with path.open("rb") as stream:
                community = services.import_archive(
                    organiser, stream=stream, slug=options["slug"]
                )
        except ArchiveError as error:
            raise CommandError(f"Nothing was imported: {error}") from None
        invited = community.member_invitations.count()
        self.stdout.write(
            f"Imported {community.slug}: {invited} invitations wait to be addressed."
        )

    def _organiser(self, email: str) -> User:
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active account {email!r}.")
        return user
