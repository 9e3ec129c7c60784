"""Working out insights from members' records.

A computation covers a unit: a community on its own, or a cluster together
with every listed community in it, so that figures a reader can set side by
side (a cluster's and its communities') always come from the same records
at the same moment. A hidden community is never part of a cluster's
figures: it does not exist for outsiders, so its members are counted in
its own insights only.

Who is counted: members whose latest "community insights" decision is to
give it, at the moment of computing (members.py). What is counted, each
time as distinct members:
- members: everyone counted;
- each symptom of the catalogue: members who rated it 1 (mild) or more at
  least once in the WINDOW_DAYS up to today; its burden is the average,
  over those members, of each one's average rating of it in that window
  (days rated 0 included), so a member who checks in every day weighs no
  more than one who checks in weekly;
- each treatment of the catalogue: members with a course of it, ever;
- for a treatment with at least MIN_TREATMENT_MEMBERS of them: how each
  rates its effectiveness (their latest rating, or not rated yet), where
  each stands (still taking it, or the reason they gave for stopping their
  latest course), and each side effect they reported with it.
A community's catalogue is the generic one and its own additions (those
still in the catalogue); a cluster's is the generic one only, so no
community's additions are shown to its siblings.

The symptom ratings, by far the largest table (a year of daily check-ins),
are grouped in the database by symptom and member, so what comes back grows
with the number of members, never with the number of check-ins; courses,
evaluations and side effects come back a row each (a member has few). The
raw counts live in memory only for as long as `figures.protect` needs
them."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Avg, Max, Q
from django.utils import timezone

from kinwell.communities.models import Cluster, Community
from kinwell.tracking.insights import snapshots
from kinwell.tracking.insights.figures import MIN_TREATMENT_MEMBERS, Part
from kinwell.tracking.insights.members import counted_members, counted_user_ids
from kinwell.tracking.insights.scales import TAKING, UNRATED, UNSTATED
from kinwell.tracking.insights.tally import Entry, Records, Tally
from kinwell.tracking.models import (
    Evaluation,
    SideEffect,
    Symptom,
    SymptomScore,
    Treatment,
    TreatmentCourse,
)

logger = logging.getLogger(__name__)

WINDOW_DAYS = 365


@dataclass(frozen=True)
class Unit:
    communities: tuple[Community, ...]
    cluster: Cluster | None = None


# Which units to compute ----------------------------------------------------------


def compute_communities(community_ids: Iterable[int]) -> int:
    """Computes the units of these communities (a community in a cluster
    brings its whole cluster); returns how many snapshots were written.
    A unit that fails is logged (by id) and left marked, so the next run
    tries it again; the others are computed all the same."""
    written = 0
    for unit in units_for(community_ids):
        try:
            written += compute_unit(unit)
        except Exception:
            ids = [community.pk for community in unit.communities]
            logger.exception("insights: communities %s could not be computed", ids)
    return written


def units_for(community_ids: Iterable[int]) -> list[Unit]:
    found = Community.objects.filter(pk__in=list(community_ids)).order_by("pk")
    units, clusters = [], set()
    for community in found:
        if community.cluster_id and not community.is_hidden:
            clusters.add(community.cluster_id)
        else:
            units.append(Unit((community,)))
    for cluster in Cluster.objects.filter(pk__in=clusters).order_by("pk"):
        units.append(cluster_unit(cluster))
    return units


def cluster_unit(cluster: Cluster) -> Unit:
    listed = Community.objects.listed().filter(cluster=cluster).order_by("pk")
    return Unit(tuple(listed), cluster)


def compute_unit(unit: Unit, *, now: datetime | None = None) -> int:
    """Computes and stores the snapshots of a unit, all at once; returns
    how many."""
    moment = now or timezone.now()
    records = collect(unit, moment)
    parts, figures = [], []
    for community in unit.communities:
        published = snapshots.publish(records.tallies[community.pk], records)
        parts.append(Part(published.counts, published.cells))
        figures.append(published.figures)
    cluster_figures = None
    if records.cluster_tally is not None:
        cluster_figures = snapshots.publish(records.cluster_tally, records, parts)
    with transaction.atomic():
        for community, each in zip(unit.communities, figures, strict=True):
            snapshots.save(each, community=community, at=moment)
        if unit.cluster is not None and cluster_figures is not None:
            snapshots.save(cluster_figures.figures, cluster=unit.cluster, at=moment)
        snapshots.mark_computed([each.pk for each in unit.communities], moment)
    return len(unit.communities) + (unit.cluster is not None)


# Counting ---------------------------------------------------------------------------


def collect(unit: Unit, now: datetime) -> Records:
    """The raw counts of every scope of the unit: seven queries."""
    ids = [community.pk for community in unit.communities]
    today = timezone.localdate(now)
    records = Records(
        symptoms=_catalogue(Symptom, ids),
        treatments=_catalogue(Treatment, ids),
        window=(today - timedelta(days=WINDOW_DAYS - 1), today),
        tallies={pk: Tally(pk) for pk in ids},
        cluster_tally=Tally(None) if unit.cluster is not None else None,
    )
    _count_members(records, counted_members(ids))
    counted = counted_user_ids(ids)
    _count_symptoms(records, counted)
    courses = _latest_courses(records, counted)
    _count_courses(records, courses)
    _count_effectiveness(records, courses, counted)
    _count_side_effects(records, courses, counted)
    return records


def _catalogue(model: Any, community_ids: list[int]) -> dict[int, Entry]:
    """The entries still in the catalogue: one removed by organisers has no
    cell, whether it was deleted or kept for members' records, so the
    figures never tell which."""
    entries = model.objects.current().filter(
        Q(community__isnull=True) | Q(community_id__in=community_ids)
    )
    fields = ["pk", "name", "community_id"]
    if model is Treatment:
        fields.append("kind")
    return {row[0]: Entry(*row) for row in entries.values_list(*fields).order_by()}


def _count_members(records: Records, people: dict[int, set[int]]) -> None:
    for user_id, communities in people.items():
        scopes = [records.tallies[pk] for pk in sorted(communities)]
        if records.cluster_tally is not None:
            scopes.append(records.cluster_tally)
        records.scopes[user_id] = scopes
        for tally in scopes:
            tally.counts[("members",)] += 1


def _count_symptoms(records: Records, counted: Any) -> None:
    """One row per member and symptom they rated mild or worse in the
    window, with their average rating of it there."""
    start, end = records.window
    rows = (
        SymptomScore.objects.filter(
            user_id__in=counted,
            symptom_id__in=list(records.symptoms),
            day__gte=start,
            day__lte=end,
        )
        .values_list("symptom_id", "user_id")
        .annotate(mean=Avg("severity"), worst=Max("severity"))
        .filter(worst__gte=1)
        .order_by()
    )
    for symptom_id, user_id, mean, _ in rows.iterator(chunk_size=5000):
        entry = records.symptoms[symptom_id]
        for tally in records.scopes_for(user_id, entry):
            tally.counts[("symptom", symptom_id)] += 1
            tally.burden[symptom_id] += float(mean)


def _latest_courses(records: Records, counted: Any) -> dict[tuple[int, int], str]:
    """Where each counted member stands with each treatment, by their latest
    course: still taking it, or why they stopped."""
    courses = (
        TreatmentCourse.objects.filter(
            user_id__in=counted, treatment_id__in=list(records.treatments)
        )
        .values_list("treatment_id", "user_id", "stopped_on", "stop_reason")
        .order_by("treatment_id", "user_id", "started_on", "pk")
    )
    latest = {}
    for treatment_id, user_id, stopped_on, reason in courses.iterator(chunk_size=5000):
        if stopped_on is None:
            latest[(treatment_id, user_id)] = TAKING
        else:
            latest[(treatment_id, user_id)] = reason or UNSTATED
    return latest


def _count_courses(records: Records, courses: dict[tuple[int, int], str]) -> None:
    for (treatment_id, user_id), standing in courses.items():
        entry = records.treatments[treatment_id]
        for tally in records.scopes_for(user_id, entry):
            tally.counts[("treatment", treatment_id)] += 1
            tally.counts[("stop", treatment_id, standing)] += 1
    for tally in records.all_tallies():
        for treatment_id in records.treatments:
            if tally.counts[("treatment", treatment_id)] >= MIN_TREATMENT_MEMBERS:
                records.evaluated.add(treatment_id)


def _count_effectiveness(
    records: Records, courses: dict[tuple[int, int], str], counted: Any
) -> None:
    """Each member's latest rating of a treatment's effectiveness."""
    if not records.evaluated:
        return
    ratings = (
        Evaluation.objects.filter(
            user_id__in=counted,
            treatment_id__in=sorted(records.evaluated),
            effectiveness__isnull=False,
        )
        .values_list("treatment_id", "user_id", "effectiveness")
        .order_by("treatment_id", "user_id", "evaluated_on", "pk")
    )
    latest = {
        (treatment_id, user_id): str(level)
        for treatment_id, user_id, level in ratings.iterator(chunk_size=5000)
    }
    for pair in courses:
        treatment_id, user_id = pair
        if treatment_id not in records.evaluated:
            continue
        level = latest.get(pair, UNRATED)
        for tally in records.scopes_for(user_id, records.treatments[treatment_id]):
            tally.counts[("effect", treatment_id, level)] += 1


def _count_side_effects(
    records: Records, courses: dict[tuple[int, int], str], counted: Any
) -> None:
    """Members who reported each side effect with a treatment, once each."""
    if not records.evaluated:
        return
    reported = (
        SideEffect.objects.filter(
            user_id__in=counted,
            treatment_id__in=sorted(records.evaluated),
            symptom_id__in=list(records.symptoms),
        )
        .values_list("treatment_id", "symptom_id", "user_id")
        .distinct()
        .order_by()
    )
    for treatment_id, symptom_id, user_id in reported.iterator(chunk_size=5000):
        if (treatment_id, user_id) not in courses:
            continue
        treatment = records.treatments[treatment_id]
        symptom = records.symptoms[symptom_id]
        for tally in records.scopes_for(user_id, treatment):
            if tally.sees(symptom):
                tally.counts[("side", treatment_id, symptom_id)] += 1
