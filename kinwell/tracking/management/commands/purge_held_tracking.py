from typing import Any

from django.core.management.base import BaseCommand

from kinwell.tracking.io.held import purge_unclaimable


class Command(BaseCommand):
    help = (
        "Delete tracking records carried over from an imported community archive "
        "that nobody can take in any more (their invitation was declined or "
        "deleted). Run it daily from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_unclaimable()
        self.stdout.write(
            f"Deleted {count} set{'' if count == 1 else 's'} of held tracking records."
        )
