from django.apps import AppConfig


class CirclesConfig(AppConfig):
    name = "kinwell.circles"
    label = "circles"

    def ready(self) -> None:
        # Someone who leaves a community leaves its circles with it.
        from kinwell.circles.services import leave_circles_on_departure
        from kinwell.communities.services import DEPARTURE_HOOKS

        if leave_circles_on_departure not in DEPARTURE_HOOKS:
            DEPARTURE_HOOKS.append(leave_circles_on_departure)
