"""Treatment courses, their evaluations and the personal charts: for a
member, and for a carer acting for them.

Seeing needs the member or a carer with "read my private data"; recording
needs the member or a carer with "track for me". Changing a course shows it,
so it needs both (kinwell.tracking.access.get_course_for_user). A carer with
"track for me" alone may start a course from the list page, which then shows
nothing of the member's past. No treatment or symptom ever goes in a URL."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.accounts.models import User
from kinwell.lib.forms import first_message, posted
from kinwell.tracking import access, charts, treatments
from kinwell.tracking.checkins import visible_catalogue
from kinwell.tracking.forms.treatments import (
    ChartPeriodForm,
    CourseEditForm,
    CourseForm,
    EvaluationForm,
    StopForm,
    course_initial,
    evaluation_initial,
)
from kinwell.tracking.models import (
    Evaluation,
    Symptom,
    TrackedSymptom,
    Treatment,
    TreatmentCourse,
)

# The list of courses -----------------------------------------------------------------


@login_required
def treatment_list(request: AuthenticatedRequest) -> HttpResponse:
    user, acting_for = request.user, request.acting_for
    may_read = access.may_read(user, acting_for)
    may_track = access.may_track(user, acting_for)
    writing = request.method == "POST" or not may_read
    owner = access.records_owner(
        user, acting_for, scope=access.TRACK if writing else access.READ
    )
    form = CourseForm(posted(request)) if may_track else None
    if form is not None:
        form.setup(visible_catalogue(owner, Treatment))
        started = _start(request, owner, form)
        if started is not None:
            # Messages may travel in a cookie: never a treatment's name.
            messages.success(request, "The treatment is on the list.")
            return redirect(course_url(started) if may_read else request.path)
    courses = list(treatments.courses_of(owner)) if may_read else []
    if may_read:
        access.record_carer_access(user, owner, "tracking.view_treatments", owner)
    context = {
        **_whose(request, owner),
        "may_read": may_read,
        "may_track": may_track,
        "form": form,
        "current": [c for c in courses if c.is_current],
        "past": [c for c in courses if not c.is_current],
    }
    return render(request, "tracking/treatments/list.html", context)


def _start(
    request: AuthenticatedRequest, owner: User, form: CourseForm
) -> TreatmentCourse | None:
    if not (form.is_bound and form.is_valid()):
        return None
    try:
        return treatments.start_course(
            request.user,
            owner=owner,
            treatment=form.chosen_treatment(),
            **_details(form),
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None


def _details(form: Any) -> dict[str, Any]:
    data = form.cleaned_data
    return {name: data[name] for name in ("started_on", "dose", "frequency")}


def course_url(course: TreatmentCourse) -> str:
    return reverse("tracking:course", args=[course.pk])


def _whose(request: AuthenticatedRequest, owner: User) -> dict[str, Any]:
    return {"owner": owner, "is_self": owner.pk == request.user.pk}


# A course ----------------------------------------------------------------------------


@login_required
def course(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    user, acting_for = request.user, request.acting_for
    found = access.get_course_for_user(user, acting_for, course_id, scope=access.READ)
    access.record_carer_access(user, found.user, "tracking.view_course", found)
    context = {
        **_whose(request, found.user),
        "course": found,
        "evaluations": list(treatments.evaluations_of(found)),
        "may_track": access.may_track(user, acting_for),
    }
    return render(request, "tracking/treatments/course.html", context)


@login_required
def edit_course(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    found = _writable(request, course_id)
    form = CourseEditForm(posted(request), initial=course_initial(found))

    def save() -> object:
        data = form.cleaned_data
        return treatments.update_course(
            request.user,
            course=found,
            stopped_on=data["stopped_on"],
            stop_reason=data["stop_reason"],
            **_details(form),
        )

    done = _saved(request, form, save, "The course is changed.")
    return done or _form_page(request, "edit", found, form)


@login_required
def stop_course(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    found = _writable(request, course_id)
    initial: dict[str, Any] = {"stop_reason": found.stop_reason}
    if found.stopped_on:
        initial["stopped_on"] = found.stopped_on
    form = StopForm(posted(request), initial=initial)

    def save() -> object:
        return treatments.stop_course(
            request.user,
            course=found,
            stopped_on=form.cleaned_data["stopped_on"],
            reason=form.cleaned_data["stop_reason"],
        )

    done = _saved(request, form, save, "The course is marked as stopped.")
    return done or _form_page(request, "stop", found, form)


@login_required
def evaluate_course(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    found = _writable(request, course_id)
    last = treatments.evaluations_of(found).first()
    form = EvaluationForm(posted(request), initial=evaluation_initial(last))
    form.setup(
        visible_catalogue(found.user, Symptom).order_by("name", "pk"),
        first=_familiar_symptoms(found.user, last),
    )

    def save() -> object:
        return treatments.evaluate_course(
            request.user, course=found, **form.evaluation_fields()
        )

    done = _saved(request, form, save, "Thank you. The evaluation is saved.")
    return done or _form_page(request, "evaluate", found, form, last=last)


def _familiar_symptoms(owner: User, last: Evaluation | None) -> set[int]:
    """The symptoms the member tracks now and the side effects they named
    last time: the ones the evaluation form offers first."""
    tracked = set(
        TrackedSymptom.objects.filter(user=owner, stopped_on__isnull=True).values_list(
            "symptom_id", flat=True
        )
    )
    named = {effect.symptom_id for effect in last.side_effects.all()} if last else set()
    return tracked | named


@login_required
def delete_course(request: AuthenticatedRequest, course_id: int) -> HttpResponse:
    """A page that asks first; the deletion is its form's POST."""
    found = _writable(request, course_id)
    if request.method == "POST":
        treatments.delete_course(request.user, course=found)
        messages.success(request, "The course is deleted.")
        return redirect("tracking:treatments")
    context = {**_whose(request, found.user), "course": found}
    context["evaluation_count"] = found.evaluations.count()
    return render(request, "tracking/treatments/delete.html", context)


@login_required
@require_POST
def delete_evaluation(
    request: AuthenticatedRequest, course_id: int, evaluation_id: int
) -> HttpResponse:
    found = _writable(request, course_id)
    evaluation = access.get_evaluation_for_user(
        request.user,
        request.acting_for,
        evaluation_id,
        scope=access.TRACK,
        course=found,
    )
    try:
        treatments.delete_evaluation(request.user, evaluation=evaluation)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, "The evaluation is deleted.")
    return redirect(course_url(found))


def _writable(request: AuthenticatedRequest, course_id: int) -> TreatmentCourse:
    return access.get_course_for_user(
        request.user, request.acting_for, course_id, scope=access.TRACK
    )


def _saved(
    request: AuthenticatedRequest,
    form: Any,
    save: Callable[[], object],
    message: str,
) -> HttpResponse | None:
    """Runs `save` for a valid posted form and redirects to the course; None
    (show the form again, with any errors) otherwise."""
    if not (form.is_bound and form.is_valid()):
        return None
    try:
        saved = save()
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(request, message)
    course_id = getattr(saved, "course_id", None) or getattr(saved, "pk", None)
    return redirect("tracking:course", course_id)


def _form_page(
    request: AuthenticatedRequest,
    page: str,
    found: TreatmentCourse,
    form: Any,
    **extra: Any,
) -> HttpResponse:
    context = {**_whose(request, found.user), "course": found, "form": form, **extra}
    return render(request, f"tracking/treatments/{page}.html", context)


# The charts --------------------------------------------------------------------------


@login_required
def chart(request: AuthenticatedRequest) -> HttpResponse:
    owner = access.reading_owner(request.user, request.acting_for, page="chart")
    form = ChartPeriodForm(
        request.GET if "months" in request.GET else None,
        initial={"months": charts.DEFAULT_MONTHS},
    )
    context: dict[str, Any] = {**_whose(request, owner), "form": form}
    if form.is_bound and not form.is_valid():
        return render(request, "tracking/treatments/chart.html", context, status=400)
    chosen = form.cleaned_data["months"] if form.is_bound else None
    months = chosen or charts.DEFAULT_MONTHS
    drawn = charts.personal_charts(owner, months)
    context |= {
        "period": drawn.period,
        "bands": drawn.bands,
        "course_words": [charts.course_words(band) for band in drawn.bands],
        "symptom_charts": [
            _chart_context(series, drawn, f"chart-{index}")
            for index, series in enumerate(drawn.symptoms, start=1)
        ],
        "mood_chart": _chart_context(drawn.mood, drawn, "chart-mood"),
    }
    return render(request, "tracking/treatments/chart.html", context)


def _chart_context(
    series: charts.Series, drawn: charts.Charts, chart_id: str
) -> dict[str, Any]:
    if not series.points:
        return {"series": series, "id": chart_id}
    return {
        "series": series,
        "id": chart_id,
        "title": charts.chart_title(series, drawn.period),
        "svg": charts.draw_chart(series, drawn.period, drawn.bands, chart_id=chart_id),
        "table_body": charts.table_body(charts.table_rows(series, drawn.bands)),
    }
