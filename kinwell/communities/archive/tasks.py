from django.tasks import task

from kinwell.communities.archive import services


@task()
def build_export(export_id: int) -> None:
    services.run_export(export_id)
