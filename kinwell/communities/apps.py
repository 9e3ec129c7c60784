from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "kinwell.communities"
    label = "communities"
