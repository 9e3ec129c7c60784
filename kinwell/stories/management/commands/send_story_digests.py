from typing import Any

from django.core.management.base import BaseCommand

from kinwell.stories.alerts import send_digests


class Command(BaseCommand):
    help = (
        "Queue the daily digest emails of staff story alerts for the background "
        "worker to send. `send_digests` runs it too; run either once a day."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        queued = send_digests()
        self.stdout.write(f"Queued {queued} story digest(s).")
