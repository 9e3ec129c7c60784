"""Personal tracking: the catalogue entries the seeded conditions need, what
members of seeded communities track, and everyone's consents.

A share of each community's members track (`scale.tracking_share`), as
their community's condition suggests (`tracking_profiles`): two to six
symptoms, their conditions, treatment courses and evaluations, and check-ins
from when they joined, in streaks with gaps (`tracking_lives`). A quarter of
them set tracking up and never check in.

One community is the *cohort*: the largest public one, whose members all
track, four to six symptoms each, nearly every day for `scale.cohort_days`
(their earlier years imported from the diaries they kept), and nearly all
of them share their records with community insights. It gives the insight
pages a community with a long, dense history to be computed from, and every
scale a treatment tried by most of a community.

Consents are recorded for every seeded account, as the consent ledger holds
them: community insights (about 70% yes), research datasets (about 40%),
notes in research datasets (a third of those), and taking posts along in
exports (about 55%); some said no, a few changed their mind, the rest never
decided."""

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model

from kinwell.accounts.consents import CONSENT_TEXTS
from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities.models import Community
from kinwell.seeding import text
from kinwell.seeding.registry import BASE, Context, SeededCommunity
from kinwell.seeding.tracking_lives import live
from kinwell.seeding.tracking_members import (
    DEVOTED,
    OCCASIONAL,
    Catalogue,
    Life,
    Rows,
)
from kinwell.seeding.tracking_profiles import (
    LOCAL_CONDITIONS,
    LOCAL_SYMPTOMS,
    PROFILES,
    Profile,
)
from kinwell.seeding.tracking_treatments import TREATMENTS
from kinwell.tracking import generic_catalogue
from kinwell.tracking.insights import compute
from kinwell.tracking.models import (
    CheckIn,
    Condition,
    Evaluation,
    Symptom,
    Treatment,
    TreatmentCourse,
)

LAST_DAY = BASE.date() - timedelta(days=1)
MEMBERS_PER_TRANSACTION = 1000
ROWS_PER_INSERT = 20_000
NEVER_CHECKED_IN = 0.25
# The cohort is spread over the first part of the window, so that its
# members' histories are of different lengths.
COHORT_SPREAD = 0.3
Purpose = ConsentRecord.Purpose
# purpose -> (yes in the cohort, yes elsewhere, an explicit no)
CONSENTS = {
    Purpose.COMMUNITY_INSIGHTS: (0.95, 0.7, 0.1),
    Purpose.RESEARCH: (0.6, 0.4, 0.15),
    Purpose.PORTABILITY: (0.55, 0.55, 0.1),
}
NOTES_TOO = 0.33
CHANGED_MIND = 0.04


def seed_tracking(context: Context) -> None:
    with transaction.atomic():
        profiles = _profiles(context)
        catalogue = _catalogue(context, profiles)
    cohort = _cohort(context, profiles)
    rows = Rows(
        next_check_in=next_id(CheckIn),
        next_course=next_id(TreatmentCourse),
        next_evaluation=next_id(Evaluation),
    )
    lives = _lives(context, profiles, cohort)
    while chunk := list(islice(lives, MEMBERS_PER_TRANSACTION)):
        with transaction.atomic():
            for life in chunk:
                live(context.rng, life, catalogue, rows)
                if rows.waiting >= ROWS_PER_INSERT:
                    rows.insert(context.count)
            rows.insert(context.count)
    context.report(
        f"  {context.counts.get('check ins', 0):,} check-ins, "
        f"{context.counts.get('symptom scores', 0):,} symptom scores"
    )
    _consents(context, set(cohort.member_ids) if cohort else set())
    _reset_sequences()
    _insights(context)


def next_id(model: type[Model]) -> int:
    return int(model._default_manager.aggregate(top=Max("id"))["top"] or 0) + 1


def profile_for(name: str) -> Profile:
    """The profile of a community named after a condition ("Lupus Leeds")."""
    conditions = sorted(PROFILES, key=len, reverse=True)
    found = next((c for c in conditions if name.startswith(c)), text.CONDITIONS[0])
    return PROFILES[found]


def _profiles(context: Context) -> dict[int, Profile]:
    names = Community.objects.filter(pk__in=[c.id for c in context.communities])
    return {pk: profile_for(name) for pk, name in names.values_list("pk", "name")}


def _cohort(context: Context, profiles: dict[int, Profile]) -> SeededCommunity | None:
    """The largest public community of people living with a condition (not
    one of carers)."""
    public = [
        c
        for c in context.communities
        if c.visibility == "public" and profiles[c.id].conditions
    ]
    return max(public, key=lambda c: len(c.member_ids), default=None)


# The catalogue ----------------------------------------------------------------------

MODELS: dict[str, type[Any]] = {
    "condition": Condition,
    "symptom": Symptom,
    "treatment": Treatment,
}
GENERIC_ENTRIES = {
    "condition": generic_catalogue.CONDITIONS,
    "symptom": generic_catalogue.SYMPTOMS,
    "treatment": generic_catalogue.TREATMENTS,
}


def generic_ids() -> dict[str, dict[str, int]]:
    """kind -> name -> id of the installation's generic set, making any
    entry its data migration would have made and the database lacks."""
    ids = {}
    for kind, model in MODELS.items():
        rows = model.objects.generic().values_list("name", "pk")
        found = dict(rows)
        missing = [e for e in GENERIC_ENTRIES[kind] if e["name"] not in found]
        if missing:
            model.objects.bulk_create(
                [model(**entry) for entry in missing], ignore_conflicts=True
            )
            found = dict(model.objects.generic().values_list("name", "pk"))
        ids[kind] = found
    return ids


def needs(profile: Profile) -> dict[str, set[str]]:
    """Every catalogue entry a profile's members use, by kind."""
    side_effects = {
        symptom
        for name, _, _ in profile.treatments
        for symptom, _ in TREATMENTS[name].side_effects
    }
    return {
        "condition": {*profile.conditions, *profile.alongside},
        "symptom": {*profile.symptoms, *side_effects},
        "treatment": {name for name, _, _ in profile.treatments},
    }


def local_entry(
    kind: str, name: str, community_id: int, organiser_id: int, at: datetime
) -> Any:
    """An entry one community's organisers added for their members."""
    fields: dict[str, Any] = {}
    if kind == "condition":
        fields["icd10_code"] = LOCAL_CONDITIONS[name]
    elif kind == "symptom":
        fields["icd10_code"] = LOCAL_SYMPTOMS[name]
    else:
        fields.update(kind=TREATMENTS[name].kind, atc_code=TREATMENTS[name].atc)
    return MODELS[kind](
        community_id=community_id,
        name=name,
        added_by_id=organiser_id,
        created_at=at,
        **fields,
    )


def _catalogue(context: Context, profiles: dict[int, Profile]) -> Catalogue:
    """The generic entries, and what each community's organisers added:
    whatever their members use that the generic set lacks."""
    catalogue = Catalogue(generic=generic_ids())
    made: dict[str, list[Any]] = {kind: [] for kind in MODELS}
    for community in context.communities:
        at = community.created_at + timedelta(days=context.rng.randint(1, 60))
        for kind, names in needs(profiles[community.id]).items():
            made[kind] += [
                local_entry(kind, name, community.id, community.member_ids[0], at)
                for name in sorted(names - set(catalogue.generic[kind]))
            ]
    for kind, entries in made.items():
        MODELS[kind].objects.bulk_create(entries, batch_size=context.scale.batch)
        context.count("catalogue additions", len(entries))
        for entry in entries:
            own = catalogue.local.setdefault(entry.community_id, {})
            own.setdefault(kind, {})[entry.name] = entry.pk
    return catalogue


# Who tracks -------------------------------------------------------------------------


def _lives(
    context: Context, profiles: dict[int, Profile], cohort: SeededCommunity | None
) -> Iterator[Life]:
    """Each tracker once, as a member of the first community they are met
    in (the cohort's members first)."""
    joined = dict(
        User.objects.filter(pk__in=context.user_ids).values_list("pk", "date_joined")
    )
    seen: set[int] = set()
    order = sorted(context.communities, key=lambda c: c is not cohort)
    for community in order:
        profile = profiles[community.id]
        for user_id in community.member_ids:
            if user_id in seen:
                continue
            seen.add(user_id)
            if community is cohort:
                yield _devoted(context, user_id, community.id, profile)
            elif context.rng.random() < context.scale.tracking_share:
                life = _occasional(
                    context, user_id, community.id, profile, joined[user_id]
                )
                if life is not None:
                    yield life


def _devoted(
    context: Context, user_id: int, community_id: int, profile: Profile
) -> Life:
    days = context.scale.cohort_days
    late = int(context.rng.uniform(0, COHORT_SPREAD) * days)
    return Life(
        user_id=user_id,
        community_id=community_id,
        profile=profile,
        first_day=LAST_DAY - timedelta(days=days - late),
        last_day=LAST_DAY,
        habit=DEVOTED,
        symptoms=(4, 6),
        adoption=1.5,
        signature=profile.treatments[0][0],
    )


def _occasional(
    context: Context,
    user_id: int,
    community_id: int,
    profile: Profile,
    joined: datetime,
) -> Life | None:
    rng = context.rng
    first = joined.date() + timedelta(days=int(rng.expovariate(1 / 20)))
    never = rng.random() < NEVER_CHECKED_IN
    if first > LAST_DAY - timedelta(days=14):
        return None
    return Life(
        user_id=user_id,
        community_id=community_id,
        profile=profile,
        first_day=first,
        last_day=LAST_DAY,
        habit=None if never else OCCASIONAL,
        symptoms=(2, 6),
    )


# Consents ---------------------------------------------------------------------------


def _consents(context: Context, cohort: set[int]) -> None:
    joined = User.objects.filter(pk__in=context.user_ids).values_list(
        "pk", "date_joined"
    )
    records: list[ConsentRecord] = []
    for user_id, date_joined in joined.order_by("pk").iterator():
        records += decisions(
            context.rng, user_id, date_joined, until=BASE, in_cohort=user_id in cohort
        )
        if len(records) >= context.scale.batch:
            ConsentRecord.objects.bulk_create(records)
            context.count("consents", len(records))
            records = []
    ConsentRecord.objects.bulk_create(records)
    context.count("consents", len(records))


def decisions(
    rng: random.Random,
    user_id: int,
    joined: datetime,
    *,
    until: datetime,
    in_cohort: bool,
) -> list[ConsentRecord]:
    """One member's ledger up to `until`: each standing consent given,
    refused or never decided; a few withdrawn later."""
    records = []
    for purpose, (cohort_yes, yes, no) in CONSENTS.items():
        roll = rng.random()
        given = roll < (cohort_yes if in_cohort else yes)
        if not given and roll >= (cohort_yes if in_cohort else yes) + no:
            continue
        at = min(until, joined + timedelta(hours=rng.expovariate(1 / 200)))
        records.append(_record(user_id, purpose, given, at))
        if given and purpose == Purpose.RESEARCH and rng.random() < NOTES_TOO:
            records.append(_record(user_id, Purpose.RESEARCH_NOTES, True, at))
        if given and rng.random() < CHANGED_MIND:
            later = at + (until - at) * rng.random()
            records.append(_record(user_id, purpose, False, later))
    return records


def _record(user_id: int, purpose: str, given: bool, at: datetime) -> ConsentRecord:
    return ConsentRecord(
        user_id=user_id,
        purpose=purpose,
        text_version=CONSENT_TEXTS[purpose].version,
        given=given,
        method=ConsentRecord.Method.WEB,
        recorded_by_id=user_id,
        created_at=at,
    )


def _insights(context: Context) -> None:
    """Every community's and cluster's insights, worked out as the
    background job would have on the seed's last day (so that the symptom
    ranking's twelve months hold the seeded check-ins; the first refresh
    after that counts up to its own day)."""
    community_ids = [community.id for community in context.communities]
    with transaction.atomic():
        made = sum(
            compute.compute_unit(unit, now=BASE)
            for unit in compute.units_for(community_ids)
        )
    context.count("insight snapshots", made)


def _reset_sequences() -> None:
    """Ids were given here: tell PostgreSQL's sequences where they now stand."""
    models = [CheckIn, TreatmentCourse, Evaluation]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
