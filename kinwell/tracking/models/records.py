"""A member's own records: their conditions, the symptoms they track, daily
check-ins, treatment courses and evaluations of them.

`recorded_by` is whoever entered a row: the member, or a carer acting for them
with the "track for me" scope. Rows below a check-in or an evaluation repeat
its `user` (and day or treatment) so that community insights are computed
with plain indexed aggregates, without joins."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Severity(models.IntegerChoices):
    NONE = 0, "None"
    MILD = 1, "Mild"
    MODERATE = 2, "Moderate"
    SEVERE = 3, "Severe"
    VERY_SEVERE = 4, "Very severe"


class Mood(models.IntegerChoices):
    VERY_LOW = 0, "Very low"
    LOW = 1, "Low"
    OKAY = 2, "Okay"
    GOOD = 3, "Good"
    VERY_GOOD = 4, "Very good"


def _owner() -> models.ForeignKey:  # type: ignore[type-arg]
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )


def _recorder() -> models.ForeignKey:  # type: ignore[type-arg]
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class MemberCondition(models.Model):
    user = _owner()
    condition = models.ForeignKey(
        "tracking.Condition", on_delete=models.CASCADE, related_name="+"
    )
    onset_on = models.DateField("first symptoms", null=True, blank=True)
    diagnosed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "condition"], name="one_record_per_condition"
            )
        ]

    def __str__(self) -> str:
        return f"Member condition {self.pk}"


class TrackedSymptom(models.Model):
    """A symptom the member chose to rate at each check-in, from when to when."""

    user = _owner()
    symptom = models.ForeignKey(
        "tracking.Symptom", on_delete=models.CASCADE, related_name="+"
    )
    started_on = models.DateField(default=timezone.localdate)
    stopped_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "symptom"],
                condition=Q(stopped_on__isnull=True),
                name="one_open_tracking_per_symptom",
            )
        ]

    def __str__(self) -> str:
        return f"Tracked symptom {self.pk}"


class CheckIn(models.Model):
    """One day's check-in. Checking in again the same day updates it."""

    user = _owner()
    day = models.DateField()
    mood = models.PositiveSmallIntegerField(choices=Mood.choices, null=True, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    recorded_by = _recorder()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="one_check_in_per_day")
        ]

    def __str__(self) -> str:
        return f"Check-in {self.pk}"


class SymptomScore(models.Model):
    check_in = models.ForeignKey(
        CheckIn, on_delete=models.CASCADE, related_name="scores"
    )
    user = _owner()
    symptom = models.ForeignKey(
        "tracking.Symptom", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["check_in", "symptom"], name="one_score_per_symptom"
            )
        ]
        indexes = [
            models.Index(fields=["user", "symptom", "day"]),
            models.Index(fields=["symptom", "user"]),
        ]

    def __str__(self) -> str:
        return f"Symptom score {self.pk}"


class TreatmentCourse(models.Model):
    class StopReason(models.TextChoices):
        SIDE_EFFECTS = "side_effects", "Side effects"
        NOT_WORKING = "not_working", "It did not help"
        BETTER = "better", "I got better"
        FINISHED = "finished", "The course was finished"
        ADVICE = "advice", "A clinician advised it"
        COST = "cost", "Cost"
        ACCESS = "access", "I could not get it"
        OTHER = "other", "Another reason"

    user = _owner()
    treatment = models.ForeignKey(
        "tracking.Treatment", on_delete=models.CASCADE, related_name="+"
    )
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    dose = models.CharField(max_length=60, blank=True)
    frequency = models.CharField(max_length=60, blank=True)
    stop_reason = models.CharField(
        max_length=15, choices=StopReason.choices, blank=True
    )
    recorded_by = _recorder()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-started_on"]),
            models.Index(fields=["treatment", "user"]),
        ]

    def __str__(self) -> str:
        return f"Treatment course {self.pk}"

    @property
    def is_current(self) -> bool:
        return self.stopped_on is None


class Evaluation(models.Model):
    """How a course is going, in the member's own judgement."""

    class Effectiveness(models.IntegerChoices):
        NONE = 0, "No effect"
        SLIGHT = 1, "Slight"
        MODERATE = 2, "Moderate"
        GOOD = 3, "Good"
        MAJOR = 4, "Major"

    class Adherence(models.IntegerChoices):
        NEVER = 0, "Never as prescribed"
        RARELY = 1, "Rarely"
        SOMETIMES = 2, "Sometimes"
        USUALLY = 3, "Usually"
        ALWAYS = 4, "Always as prescribed"

    class Burden(models.IntegerChoices):
        NONE = 0, "Not at all"
        SLIGHT = 1, "A little"
        MODERATE = 2, "Somewhat"
        HEAVY = 3, "A lot"
        VERY_HEAVY = 4, "Very much"

    class CostBand(models.TextChoices):
        NOTHING = "nothing", "Nothing"
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        VERY_HIGH = "very_high", "Very high"

    course = models.ForeignKey(
        TreatmentCourse, on_delete=models.CASCADE, related_name="evaluations"
    )
    user = _owner()
    treatment = models.ForeignKey(
        "tracking.Treatment", on_delete=models.CASCADE, related_name="+"
    )
    evaluated_on = models.DateField(default=timezone.localdate)
    # Empty means "too soon to tell".
    effectiveness = models.PositiveSmallIntegerField(
        choices=Effectiveness.choices, null=True, blank=True
    )
    adherence = models.PositiveSmallIntegerField(
        choices=Adherence.choices, null=True, blank=True
    )
    burden = models.PositiveSmallIntegerField(
        choices=Burden.choices, null=True, blank=True
    )
    cost_band = models.CharField(max_length=10, choices=CostBand.choices, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    recorded_by = _recorder()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["treatment", "user"])]

    def __str__(self) -> str:
        return f"Evaluation {self.pk}"


class SideEffect(models.Model):
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="side_effects"
    )
    user = _owner()
    treatment = models.ForeignKey(
        "tracking.Treatment", on_delete=models.CASCADE, related_name="+"
    )
    symptom = models.ForeignKey(
        "tracking.Symptom", on_delete=models.CASCADE, related_name="+"
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "symptom"], name="one_side_effect_per_symptom"
            )
        ]
        indexes = [models.Index(fields=["treatment", "symptom", "user"])]

    def __str__(self) -> str:
        return f"Side effect {self.pk}"
