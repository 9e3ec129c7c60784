"""Personal tracking (the catalogue, conditions, check-ins, treatment courses,
evaluations and questionnaires), the community insights computed from it, and
researchers' access to it.

A member's records belong to the member, not to a community: the same
check-in counts in every community they belong to, if they consent. The
catalogue is shared by the installation (community empty) or added to by one
community's organisers, and a community only ever sees its own additions."""

from kinwell.tracking.models.catalogue import (
    CatalogueQuerySet,
    Condition,
    Symptom,
    Treatment,
)
from kinwell.tracking.models.insights import InsightSnapshot
from kinwell.tracking.models.io import HeldTracking, HeldTrackingRow, PendingImport
from kinwell.tracking.models.questionnaires import (
    Answer,
    Enrolment,
    Question,
    Questionnaire,
    QuestionnaireResponse,
)
from kinwell.tracking.models.records import (
    CheckIn,
    Evaluation,
    MemberCondition,
    SideEffect,
    SymptomScore,
    TrackedSymptom,
    TreatmentCourse,
)
from kinwell.tracking.models.research import DataRelease, DatasetRequest

__all__ = [
    "Answer",
    "CatalogueQuerySet",
    "CheckIn",
    "Condition",
    "DataRelease",
    "DatasetRequest",
    "Enrolment",
    "Evaluation",
    "HeldTracking",
    "HeldTrackingRow",
    "InsightSnapshot",
    "MemberCondition",
    "PendingImport",
    "Question",
    "Questionnaire",
    "QuestionnaireResponse",
    "SideEffect",
    "Symptom",
    "SymptomScore",
    "TrackedSymptom",
    "Treatment",
    "TreatmentCourse",
]
