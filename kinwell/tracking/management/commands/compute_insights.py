import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kinwell.communities.models import Cluster, Community
from kinwell.tracking.insights import compute, refresh
from kinwell.tracking.models.insights import InsightState


class Command(BaseCommand):
    help = (
        "Work out community insights (docs/insights.md): by default every "
        "community whose members' records changed since, or whose insights "
        "are more than a day old; run it daily from cron."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--community", metavar="SLUG", help="this community only")
        which.add_argument(
            "--cluster", metavar="SLUG", help="this cluster and its communities"
        )
        which.add_argument("--all", action="store_true", help="every community")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        units = self._units(options)
        written = sum(compute.compute_unit(unit) for unit in units)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Worked out {written} insight snapshot{'' if written == 1 else 's'} "
            f"in {seconds:.1f} s."
        )

    def _units(self, options: dict[str, Any]) -> list[compute.Unit]:
        if options["cluster"]:
            cluster = Cluster.objects.filter(slug=options["cluster"]).first()
            if cluster is None:
                raise CommandError(f"There is no cluster {options['cluster']!r}.")
            return [compute.cluster_unit(cluster)]
        if options["community"]:
            found = Community.objects.filter(slug=options["community"])
            if not found.exists():
                raise CommandError(f"There is no community {options['community']!r}.")
            return compute.units_for(found.values_list("pk", flat=True))
        communities = Community.objects.all()
        if not options["all"]:
            communities = communities.exclude(pk__in=_fresh_ids())
        return compute.units_for(communities.values_list("pk", flat=True))


def _fresh_ids() -> list[int]:
    """Communities computed less than a day ago, with nothing changed since."""
    now = timezone.now()
    due = refresh.due_states(now=now, stale=True).values_list("community_id")
    return list(
        InsightState.objects.filter(computed_at__isnull=False)
        .exclude(community_id__in=due)
        .values_list("community_id", flat=True)
    )
