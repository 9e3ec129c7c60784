from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "kinwell.stories"
    label = "stories"
