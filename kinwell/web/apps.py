from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kinwell.web"
    label = "web"

    def ready(self) -> None:
        from kinwell.web import checks  # noqa: F401 - registers the checks
