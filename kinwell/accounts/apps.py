from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kinwell.accounts"
    label = "accounts"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in

        from kinwell.accounts.middleware import note_seen

        # allauth.usersessions records the new session on the same signal.
        user_logged_in.connect(
            lambda sender, request, **kwargs: note_seen(request),
            weak=False,
            dispatch_uid="kinwell.accounts.note_seen",
        )
