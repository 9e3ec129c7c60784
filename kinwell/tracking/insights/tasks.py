from django.tasks import task

from kinwell.tracking.insights import refresh


@task()
def refresh_insights() -> None:
    """Works out the insights of every community marked as changed."""
    refresh.run_due()
