from typing import Any

from django.core.management.base import BaseCommand

from kinwell.notifications.services import queue_digests
from kinwell.stories.alerts import send_digests as send_story_digests
from kinwell.tracking.reminders import send_questionnaire_reminders


class Command(BaseCommand):
    help = (
        "Queue the daily digest emails (members' notifications and staff story "
        "alerts) and the reminders of questionnaires due, for the background "
        "worker to send. Run it once a day (cron or a systemd timer)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        queued = queue_digests()
        self.stdout.write(f"Queued {queued} digest(s).")
        # The one command operators schedule daily also covers story alerts.
        stories = send_story_digests()
        self.stdout.write(f"Queued {stories} story digest(s).")
        reminders = send_questionnaire_reminders()
        self.stdout.write(f"Queued {reminders} questionnaire reminder(s).")
