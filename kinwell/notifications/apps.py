from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kinwell.notifications"
    label = "notifications"
