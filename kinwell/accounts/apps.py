from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kinwell.accounts"
    label = "accounts"
