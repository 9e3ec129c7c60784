from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kinwell.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Notifications listen to discussions; discussions never import them.
        from kinwell.discussions import hooks
        from kinwell.notifications import services

        if services.post_published not in hooks.post_published:
            hooks.post_published.append(services.post_published)
            hooks.thread_read.append(services.on_thread_read)
            hooks.thread_moved.append(services.on_thread_moved)
