from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kinwell.api"
    label = "api"
