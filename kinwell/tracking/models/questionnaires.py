"""Short instruments a community's organisers write, and members' answers.

A questionnaire is a draft while its organisers write it; once opened, its
questions are fixed, so that every response was given to the same words."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Questionnaire(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Scoring(models.TextChoices):
        SUM = "sum", "Sum of the answers"
        MEAN = "mean", "Average of the answers"

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    scoring = models.CharField(
        max_length=5, choices=Scoring.choices, default=Scoring.SUM
    )
    # [{"from": 0, "label": "Minimal"}, {"from": 5, "label": "Mild"}, ...]:
    # a score gets the label of the last band it reaches.
    score_bands = models.JSONField(default=list, blank=True)
    # How often members are asked: every `interval_days` days, or once if 0.
    interval_days = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=6, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    # The answer scale: [{"label": "Not at all", "value": 0}, ...], in order.
    choices = models.JSONField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "position"], name="one_question_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"Question {self.pk}"


class Enrolment(models.Model):
    """A member who said yes to a questionnaire, and when it is next due."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="enrolments"
    )
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    next_due_on = models.DateField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "user"],
                condition=Q(ended_at__isnull=True),
                name="one_open_enrolment",
            )
        ]
        indexes = [models.Index(fields=["next_due_on"])]

    def __str__(self) -> str:
        return f"Enrolment {self.pk}"


class QuestionnaireResponse(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="responses"
    )
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    score = models.DecimalField(max_digits=7, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "questionnaire", "-answered_at"])]

    def __str__(self) -> str:
        return f"Questionnaire response {self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(
        QuestionnaireResponse, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    value = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="one_answer_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk}"
