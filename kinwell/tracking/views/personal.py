"""The tracking home, the daily check-in and its history, conditions and
tracked symptoms: for a member, and for a carer acting for them.

Who may do what is decided in kinwell.tracking.access: reading needs the
member themselves or a carer with "read my private data"; recording needs
the member or a carer with "track for me". Without the read scope, a carer
records and never reads: an empty check-in for a recent day that has none,
with only the names of the symptoms to rate. No symptom or condition ever
goes in a URL: searches are posted."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.accounts.models import User
from kinwell.lib.forms import first_message, posted
from kinwell.tracking import access, checkins
from kinwell.tracking.forms.personal import (
    CheckInForm,
    ConditionDatesForm,
    ConditionForm,
    DayForm,
    TrackSymptomsForm,
    check_in_initial,
)
from kinwell.tracking.models import CheckIn, Condition, TreatmentCourse
from kinwell.tracking.questionnaires import due_questionnaires

PAGE_SIZE = 30
LATEST = 5
_CHECK_IN = "tracking/personal/check_in.html"


# The tracking home -----------------------------------------------------------------


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    user, acting_for = request.user, request.acting_for
    today = timezone.localdate()
    if not access.may_read(user, acting_for):
        # "Track for me" alone: a way to check in, and nothing recorded.
        owner = access.records_owner(user, acting_for, scope=access.TRACK)
        only = {"owner": owner, "checked_in": checkins.has_check_in(owner, today)}
        return render(request, "tracking/personal/home_track_only.html", only)
    owner = access.reading_owner(user, acting_for, page="home")
    latest = checkins.with_scores(CheckIn.objects.filter(user=owner))
    context: dict[str, Any] = {
        "owner": owner,
        "is_self": owner.pk == user.pk,
        "may_track": access.may_track(user, acting_for),
        "today": today,
        "today_check_in": _check_in_of(owner, today),
        "tracked": list(checkins.tracked_symptoms(owner)),
        "latest": list(latest.order_by("-day")[:LATEST]),
        "conditions": list(checkins.member_conditions(owner)),
        "courses": list(_current_courses(owner)),
        "due": due_questionnaires(owner),
    }
    return render(request, "tracking/personal/home.html", context)


def _check_in_of(owner: User, day: date) -> CheckIn | None:
    return CheckIn.objects.filter(user=owner, day=day).first()


def _current_courses(owner: User) -> Any:
    return (
        TreatmentCourse.objects.filter(user=owner, stopped_on__isnull=True)
        .select_related("treatment")
        .order_by("treatment__name", "pk")
    )


# Checking in -------------------------------------------------------------------------


@login_required
def check_in(request: AuthenticatedRequest) -> HttpResponse:
    user, acting_for = request.user, request.acting_for
    day = _chosen_day(request)
    if day is None:
        messages.error(request, "You can check in for today or an earlier day.")
        return redirect("tracking:check_in")
    owner = access.check_in_owner(user, acting_for, day, scope=access.TRACK)
    if not access.may_read(user, acting_for) and checkins.has_check_in(owner, day):
        # They record and never see or change: the day is done for them.
        taken = {**_day_context(request, owner, day), "taken": True}
        return render(request, _CHECK_IN, taken)
    existing = _seen_check_in(request, owner, day)
    if request.method == "POST" and "find" in request.POST:
        form = _check_in_form(None, day, existing)
        return _render_check_in(request, owner, day, form, existing)
    form = _check_in_form(posted(request), day, existing)
    form.setup(checkins.symptoms_for_day(owner, day))
    if form.is_bound and form.is_valid():
        try:
            checkins.record_check_in(
                user,
                owner=owner,
                day=day,
                scores=form.scores(),
                mood=form.cleaned_data["mood"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _saved_message(user, owner, day))
            return redirect("tracking:home")
    elif existing is not None:
        access.record_carer_access(user, owner, "tracking.view_check_in", existing)
    return _render_check_in(request, owner, day, form, existing)


def _seen_check_in(
    request: AuthenticatedRequest, owner: User, day: date
) -> CheckIn | None:
    """The day's check-in, to show and change: only for whoever may read it.
    Others get an empty form (and never reach a day that has one)."""
    if not access.may_read(request.user, request.acting_for):
        return None
    return checkins.check_in_of(owner, day)


def _chosen_day(request: AuthenticatedRequest) -> date | None:
    """The day to check in for (`?day=`, or the form's), today by default;
    None when it is not a day one may check in for."""
    form = DayForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return None
    day = form.cleaned_data["day"] or timezone.localdate()
    if day > timezone.localdate() or day < checkins.EARLIEST_DAY:
        return None
    return day  # type: ignore[no-any-return]


def _check_in_form(data: Any, day: date, existing: CheckIn | None) -> CheckInForm:
    if existing is None:
        return CheckInForm(data, initial={"day": day})
    scores = {score.symptom_id: score.severity for score in existing.scores.all()}
    initial = check_in_initial(day, existing.mood, existing.note, scores)
    return CheckInForm(data, initial=initial)


def _render_check_in(
    request: AuthenticatedRequest,
    owner: User,
    day: date,
    form: CheckInForm,
    existing: CheckIn | None,
) -> HttpResponse:
    if not hasattr(form, "symptoms"):
        form.setup(checkins.symptoms_for_day(owner, day))
    context = _day_context(request, owner, day)
    context |= {"form": form, "existing": existing}
    if not form.symptoms:
        picker = TrackSymptomsForm(initial={"next": "check_in"})
        query = request.POST.get("q", "") if "find" in request.POST else ""
        picker.setup(checkins.visible_symptoms(owner), query)
        context["picker"] = picker
    return render(request, _CHECK_IN, context)


def _day_context(
    request: AuthenticatedRequest, owner: User, day: date
) -> dict[str, Any]:
    """What the check-in page shows of `day`, with or without a form (a day a
    carer may not change: see check_in)."""
    return {
        "owner": owner,
        "is_self": owner.pk == request.user.pk,
        "day": day,
        "is_today": day == timezone.localdate(),
        "earliest": _earliest_day(request),
        "may_read": access.may_read(request.user, request.acting_for),
    }


def _earliest_day(request: AuthenticatedRequest) -> date:
    if access.may_read(request.user, request.acting_for):
        return checkins.EARLIEST_DAY
    return access.earliest_track_only_day()


def _saved_message(user: User, owner: User, day: date) -> str:
    when = "today" if day == timezone.localdate() else _long_day(day)
    if owner.pk == user.pk:
        return f"Thank you. Your check-in for {when} is saved."
    return f"Thank you. {owner.public_name}'s check-in for {when} is saved."


def _long_day(day: date) -> str:
    return date_format(day, "l j F Y")


@login_required
def check_ins(request: AuthenticatedRequest) -> HttpResponse:
    user, acting_for = request.user, request.acting_for
    owner = access.reading_owner(user, acting_for, page="check_ins")
    rows = checkins.with_scores(CheckIn.objects.filter(user=owner))
    page = Paginator(rows.order_by("-day"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "owner": owner,
        "is_self": owner.pk == user.pk,
        "may_track": access.may_track(user, acting_for),
        "today": timezone.localdate(),
        "page": page,
    }
    return render(request, "tracking/personal/check_ins.html", context)


@login_required
@require_POST
def delete_check_in(request: AuthenticatedRequest, check_in_id: int) -> HttpResponse:
    found = access.get_check_in_for_user(request.user, request.acting_for, check_in_id)
    checkins.delete_check_in(request.user, check_in=found)
    messages.success(request, f"The check-in for {_long_day(found.day)} is deleted.")
    return redirect("tracking:check_ins")


# Conditions ------------------------------------------------------------------------


@login_required
def conditions(request: AuthenticatedRequest) -> HttpResponse:
    user, acting_for = request.user, request.acting_for
    owner = access.reading_owner(user, acting_for, page="conditions")
    adding = request.method == "POST" and "find" not in request.POST
    if adding:
        access.records_owner(user, acting_for, scope=access.TRACK)
    finding = {} if adding else request.POST.dict()
    form = ConditionForm(request.POST if adding else None, initial=finding)
    form.setup(_addable_conditions(owner), request.POST.get("q", ""))
    if adding and form.is_valid():
        fields = {
            name: form.cleaned_data[name]
            for name in ("condition", "onset_on", "diagnosed_on")
        }
        try:
            added = checkins.add_condition(user, owner=owner, **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{added.condition.name} is on the list.")
            return redirect("tracking:conditions")
    context = {
        "owner": owner,
        "is_self": owner.pk == user.pk,
        "may_track": access.may_track(user, acting_for),
        "form": form,
        "conditions": list(checkins.member_conditions(owner)),
    }
    return render(request, "tracking/personal/conditions.html", context)


def _addable_conditions(owner: User) -> Any:
    recorded = checkins.member_conditions(owner).values("condition_id")
    return checkins.visible_catalogue(owner, Condition).exclude(pk__in=recorded)


@login_required
def edit_condition(request: AuthenticatedRequest, record_id: int) -> HttpResponse:
    user, acting_for = request.user, request.acting_for
    access.records_owner(user, acting_for, scope=access.READ)
    found = access.get_member_condition_for_user(
        user, acting_for, record_id, scope=access.TRACK
    )
    initial = {"onset_on": found.onset_on, "diagnosed_on": found.diagnosed_on}
    form = ConditionDatesForm(posted(request), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            checkins.update_condition(user, member_condition=found, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The dates of {found.condition.name} are saved.")
            return redirect("tracking:conditions")
    context = {"form": form, "record": found, "owner": found.user}
    return render(request, "tracking/personal/condition_edit.html", context)


@login_required
@require_POST
def remove_condition(request: AuthenticatedRequest, record_id: int) -> HttpResponse:
    access.records_owner(request.user, request.acting_for, scope=access.READ)
    found = access.get_member_condition_for_user(
        request.user, request.acting_for, record_id, scope=access.TRACK
    )
    checkins.remove_condition(request.user, member_condition=found)
    messages.success(request, f"{found.condition.name} is off the list.")
    return redirect("tracking:conditions")


# Tracked symptoms ------------------------------------------------------------------


@login_required
def symptoms(request: AuthenticatedRequest) -> HttpResponse:
    user, acting_for = request.user, request.acting_for
    owner = access.reading_owner(user, acting_for, page="symptoms")
    form = TrackSymptomsForm(initial={"next": "symptoms"})
    form.setup(_trackable_symptoms(owner), request.POST.get("q", ""))
    context = {
        "owner": owner,
        "is_self": owner.pk == user.pk,
        "may_track": access.may_track(user, acting_for),
        "form": form,
        "tracked": list(checkins.tracked_symptoms(owner)),
        "stopped": checkins.stopped_symptoms(owner),
    }
    return render(request, "tracking/personal/symptoms.html", context)


def _trackable_symptoms(owner: User) -> Any:
    tracked = checkins.tracked_symptoms(owner).values("symptom_id")
    return checkins.visible_symptoms(owner).exclude(pk__in=tracked)


@login_required
@require_POST
def track_symptoms(request: AuthenticatedRequest) -> HttpResponse:
    """Ticked symptoms from the symptoms page, or from the check-in page of
    someone who tracks none yet (which a carer who may only record uses)."""
    user = request.user
    owner = access.records_owner(user, request.acting_for, scope=access.TRACK)
    form = TrackSymptomsForm(request.POST)
    form.setup(_trackable_symptoms(owner), "")
    back = "tracking:check_in" if request.POST.get("next") == "check_in" else None
    if not form.is_valid():
        messages.error(request, "Tick at least one symptom from the list.")
        return redirect(back or "tracking:symptoms")
    chosen = list(form.cleaned_data["symptoms"])
    try:
        checkins.track_symptoms(user, owner=owner, symptoms=chosen)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        names = ", ".join(symptom.name for symptom in chosen)
        messages.success(request, f"Now rated at each check-in: {names}.")
    return redirect(back or "tracking:symptoms")


@login_required
@require_POST
def stop_tracking(request: AuthenticatedRequest, tracked_id: int) -> HttpResponse:
    found = access.get_tracked_symptom_for_user(
        request.user, request.acting_for, tracked_id, scope=access.TRACK
    )
    checkins.stop_tracking(request.user, tracked=found)
    messages.success(
        request,
        f"{found.symptom.name} is no longer rated at check-ins. "
        "Its past ratings stay in the history.",
    )
    if access.may_read(request.user, request.acting_for):
        return redirect("tracking:symptoms")
    return redirect("tracking:check_in")
