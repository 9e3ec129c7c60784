"""Dataset requests and the organisers' decisions on them. Releases are in
kinwell.tracking.research.release."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities.access import get_community_for_organiser, organisers_of
from kinwell.communities.models import Community
from kinwell.lib import audit, mail, ratelimit
from kinwell.tracking.models import DatasetRequest
from kinwell.tracking.research.access import require_researcher

Status = DatasetRequest.Status
REQUESTS_PER_DAY = 10
MIN_PURPOSE_LENGTH = 40
# Beyond this a privacy budget protects little; see docs/research.md.
MAX_PRIVACY_BUDGET = Decimal("10")
BUDGET_PLACES = Decimal("0.001")  # as DatasetRequest.privacy_budget keeps it
CONTENT_FLAGS = (
    "include_conditions",
    "include_check_ins",
    "include_treatments",
    "include_questionnaires",
)


@transaction.atomic
def request_dataset(
    researcher: User,
    *,
    community: Community,
    title: str,
    institution: str,
    purpose: str,
    include_conditions: bool = True,
    include_check_ins: bool = True,
    include_treatments: bool = True,
    include_questionnaires: bool = False,
    include_notes: bool = False,
    period_from: date | None = None,
    period_to: date | None = None,
    privacy_budget: Decimal | None = None,
) -> DatasetRequest:
    """A researcher asks a community they can see for a dataset; its
    organisers are told by email."""
    require_researcher(researcher)
    ratelimit.check(
        "research-request", researcher.pk, limit=REQUESTS_PER_DAY, period=86400
    )
    _check_community(researcher, community)
    request = DatasetRequest(
        community=community,
        researcher=researcher,
        title=title.strip(),
        institution=institution.strip(),
        purpose=purpose.strip(),
        include_conditions=include_conditions,
        include_check_ins=include_check_ins,
        include_treatments=include_treatments,
        include_questionnaires=include_questionnaires,
        include_notes=include_notes,
        period_from=period_from,
        period_to=period_to,
        privacy_budget=privacy_budget,
    )
    _check_request(request)
    request.save()
    audit.record(researcher, "research.request", request)
    _tell_organisers(request)
    return request


def find_community(researcher: User, slug: str) -> Community:
    """A community the researcher can see, named by its slug."""
    found = Community.objects.visible_to(researcher).filter(slug=slug).first()
    if found is None:
        raise ValidationError({"community": "Choose a community you can see."})
    return found


def _check_community(researcher: User, community: Community) -> None:
    if not Community.objects.visible_to(researcher).filter(pk=community.pk).exists():
        raise ValidationError({"community": "Choose a community you can see."})


def _check_request(request: DatasetRequest) -> None:
    errors: dict[str, str] = {}
    if len(request.purpose) < MIN_PURPOSE_LENGTH:
        errors["purpose"] = (
            "Say what the data is for, in a few sentences: members read this "
            "in the public register."
        )
    if not any(getattr(request, flag) for flag in CONTENT_FLAGS):
        errors["include_conditions"] = "Choose at least one kind of record."
    if request.include_notes and not (
        request.include_check_ins or request.include_treatments
    ):
        errors["include_notes"] = (
            "Notes are written with check-ins and evaluations: choose one of those."
        )
    start, end = request.period_from, request.period_to
    if start and end and start > end:
        errors["period_to"] = "The end of the period comes before its start."
    errors |= _budget_errors(request.privacy_budget)
    if errors:
        raise ValidationError(errors)
    if request.privacy_budget is not None:
        request.privacy_budget = request.privacy_budget.quantize(BUDGET_PLACES)
    request.full_clean(exclude=["community", "researcher", "salt"])


def _budget_errors(budget: Decimal | None) -> dict[str, str]:
    if budget is None:
        return {}
    if not budget.is_finite() or not 0 < budget <= MAX_PRIVACY_BUDGET:
        return {
            "privacy_budget": f"Choose a budget above 0 and at most "
            f"{MAX_PRIVACY_BUDGET}, or leave it empty."
        }
    if budget.quantize(BUDGET_PLACES) == 0:
        return {"privacy_budget": f"Choose a budget of at least {BUDGET_PLACES}."}
    return {}


def _tell_organisers(request: DatasetRequest) -> None:
    body = render_to_string(
        "tracking/research/email/request_received.txt",
        {"dataset_request": request, "site_url": settings.SITE_URL},
    )
    addresses = [person.email for person in organisers_of(request.community)]
    if addresses:
        mail.send_after_commit("A researcher asks for a dataset", body, addresses)


@transaction.atomic
def withdraw_request(researcher: User, *, request: DatasetRequest) -> DatasetRequest:
    """The researcher no longer wants it: nothing more can be released."""
    require_researcher(researcher)
    if request.researcher_id != researcher.pk:
        raise ValidationError("Only the researcher who asked can withdraw this.")
    _lock_in(request, {Status.PENDING, Status.APPROVED})
    request.status = Status.WITHDRAWN
    request.save(update_fields=["status"])
    audit.record(researcher, "research.withdraw", request)
    return request


@transaction.atomic
def approve_request(
    organiser: User, *, request: DatasetRequest, note: str = ""
) -> DatasetRequest:
    _check_decider(organiser, request)
    _lock_in(request, {Status.PENDING})
    return _decide(organiser, request, Status.APPROVED, note)


@transaction.atomic
def refuse_request(
    organiser: User, *, request: DatasetRequest, note: str
) -> DatasetRequest:
    """Refuses a waiting request, or ends an approved one: what was released
    stays released, but nothing more can be."""
    _check_decider(organiser, request)
    if not note.strip():
        raise ValidationError({"note": "Say why, so the researcher understands."})
    _lock_in(request, {Status.PENDING, Status.APPROVED})
    return _decide(organiser, request, Status.REFUSED, note)


def _check_decider(organiser: User, request: DatasetRequest) -> None:
    get_community_for_organiser(organiser, request.community.slug)
    if request.researcher_id == organiser.pk:
        raise ValidationError(
            "You cannot decide on your own request: another organiser must."
        )


def _lock_in(request: DatasetRequest, allowed: set[str]) -> None:
    """Reads the status again under a row lock: two organisers deciding at
    once, or a decision racing a withdrawal, must not both win."""
    current = (
        DatasetRequest.objects.select_for_update()
        .filter(pk=request.pk)
        .values_list("status", flat=True)
        .first()
    )
    if current not in allowed:
        raise ValidationError(_closed_message(current))
    request.status = current


def _closed_message(status: Any) -> str:
    if status == Status.WITHDRAWN:
        return "The researcher has withdrawn this request."
    if status == Status.REFUSED:
        return "This request has been refused."
    if status == Status.APPROVED:
        return "This request has already been approved."
    return "This request is not open."


def _decide(
    organiser: User, request: DatasetRequest, status: str, note: str
) -> DatasetRequest:
    request.status = status
    request.decided_by = organiser
    request.decided_at = timezone.now()
    request.decision_note = note.strip()[:1000]
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(organiser, f"research.{status}", request)
    body = render_to_string(
        "tracking/research/email/request_decided.txt",
        {"dataset_request": request, "site_url": settings.SITE_URL},
    )
    mail.send_after_commit(
        "Your dataset request has been decided", body, [request.researcher.email]
    )
    return request
