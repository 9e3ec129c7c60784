from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "kinwell.tracking"
    label = "tracking"

    def ready(self) -> None:
        # Registers the tracking kinds with the community archive's extension
        # point, and has community insights worked out again soon without a
        # member who withdraws their consent or leaves a community.
        from kinwell.accounts.services import CONSENT_HOOKS
        from kinwell.communities.services import DEPARTURE_HOOKS
        from kinwell.tracking import archive  # noqa: F401
        from kinwell.tracking.insights.refresh import (
            note_consent_change,
            note_departure,
        )

        if note_consent_change not in CONSENT_HOOKS:
            CONSENT_HOOKS.append(note_consent_change)
        if note_departure not in DEPARTURE_HOOKS:
            DEPARTURE_HOOKS.append(note_departure)
