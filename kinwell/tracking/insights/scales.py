"""The answers a treatment's evaluation is divided into, with the words the
pages use for them. Keys are stored in snapshots; words are not, so they
can be reworded without computing again."""

from kinwell.tracking.models import Evaluation, TreatmentCourse

UNRATED = "unrated"
TAKING = "taking"
UNSTATED = "unstated"

EFFECTIVENESS: dict[str, str] = {
    **{str(value): str(label) for value, label in Evaluation.Effectiveness.choices},
    UNRATED: "Not rated yet",
}
# The course's own labels speak for the member ("I got better"); a
# community's figures speak about members.
ABOUT_MEMBERS: dict[str, str] = {
    TreatmentCourse.StopReason.BETTER.value: "Stopped: got better",
    TreatmentCourse.StopReason.FINISHED.value: "Stopped: finished the course",
    TreatmentCourse.StopReason.ACCESS.value: "Stopped: could not get it",
}
STANDING: dict[str, str] = {
    TAKING: "Still taking it",
    **{
        str(value): ABOUT_MEMBERS.get(str(value), f"Stopped: {str(label).lower()}")
        for value, label in TreatmentCourse.StopReason.choices
    },
    UNSTATED: "Stopped: no reason given",
}
EFFECT_KEYS = tuple(EFFECTIVENESS)
STOP_KEYS = tuple(STANDING)
