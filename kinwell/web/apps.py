from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kinwell.web"
    label = "web"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from kinwell.lib.changes import watch_writes
        from kinwell.web import checks  # noqa: F401 - registers the checks

        connection_created.connect(watch_writes)
