from typing import Any

from django.core.management.base import BaseCommand

from kinwell.web.demo import load_demo


class Command(BaseCommand):
    help = "Load Kinwell's demo data. Safe to run again: it adds only what is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        made = load_demo()
        if made:
            self.stdout.write("Demo data added: " + "; ".join(made))
        else:
            self.stdout.write("Demo data already present.")
