from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "kinwell.discussions"
    label = "discussions"

    def ready(self) -> None:
        # Registers the archive kinds, the fork copier and the health panel
        # sections of discussions with the communities' extension points.
        from kinwell.communities.services import DEPARTURE_HOOKS
        from kinwell.discussions import archive, copier  # noqa: F401
        from kinwell.discussions.moderation import health  # noqa: F401
        from kinwell.discussions.services import take_away_posts

        if take_away_posts not in DEPARTURE_HOOKS:
            DEPARTURE_HOOKS.append(take_away_posts)
