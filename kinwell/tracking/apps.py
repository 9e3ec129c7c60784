from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "kinwell.tracking"
    label = "tracking"
