from typing import Any

from django.core.management.base import BaseCommand

from kinwell.notifications.services import queue_digests


class Command(BaseCommand):
    help = (
        "Queue the daily digest emails for the background worker to send. "
        "Run it once a day (cron or a systemd timer)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        queued = queue_digests()
        self.stdout.write(f"Queued {queued} digest(s).")
