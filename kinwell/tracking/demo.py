"""Demo tracking: "Long COVID Diaries", a public community in the Long
COVID UK cluster whose 200 synthetic members have kept a symptom diary for
a year (check-ins, conditions, treatment courses and evaluations), most of
them counted in community insights, so that the insight pages show real
figures and Pacing, tried by nearly all of them, has an evaluation page.
Alex belongs to it and has a year of records of their own, ending with
check-ins made through the services: two by Alex and yesterday's by Casey,
their carer. Then the insights of the community and its cluster are worked
out, as the background job would.

The synthetic members are made in bulk, with the seeder's simulation
(kinwell/seeding/tracking_lives.py): they never sign in (their passwords
are unusable) and only their records matter. Their dates count back from
the day the demo is loaded. Loading twice changes nothing."""

import random
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from kinwell.accounts.models import ConsentRecord, Persona, User, new_public_id
from kinwell.communities import services as community_services
from kinwell.communities.models import Cluster, Community, Membership
from kinwell.lib import ratelimit
from kinwell.seeding import text
from kinwell.seeding import tracking as seeding
from kinwell.seeding.tracking_lives import live
from kinwell.seeding.tracking_members import DEVOTED, Catalogue, Habit, Life, Plan, Rows
from kinwell.seeding.tracking_profiles import PROFILES, Profile
from kinwell.tracking import checkins
from kinwell.tracking.insights.compute import compute_communities
from kinwell.tracking.models import CheckIn, Evaluation, TreatmentCourse

NAME = "Long COVID Diaries"
CLUSTER = "Long COVID UK"
MEMBERS = 200
EMAIL = "diarist{:03d}@demo.kinwell.test"
DAYS = 365
PROFILE = PROFILES["Long COVID"]
# One in twenty checks in nearly every day; the rest once or twice a week,
# which is all the insights need (each member counts once, however often
# they rate) and keeps loading the demo quick.
NEARLY_DAILY = 0.05
WEEKLY = Habit(1.5, 0.5, 6, 0.6, 0.3, 0.0, evaluates_every_course=True)
ALEX = Profile(
    conditions=("Long COVID",),
    symptoms=("Fatigue", "Crash after activity", "Brain fog", "Breathlessness"),
    treatments=(),
    alongside=(),
)
ALEX_COURSES = (
    Plan("Pacing", started=-120, helps=0.6),
    Plan(
        "Amitriptyline",
        started=60,
        stopped=115,
        reason=TreatmentCourse.StopReason.SIDE_EFFECTS,
        helps=0.2,
        side_effects=(("Drowsiness", 3), ("Dry mouth", 2)),
    ),
    Plan("Ivabradine", started=190, helps=0.55),
)
# Alex's last three days: (days back, by Casey, scores in ALEX.symptoms order,
# mood, note).
LAST_DAYS = (
    (3, False, (2, 1, 2, 1), 2, ""),
    (2, False, (3, 2, 2, 1), 1, "Overdid it at the weekend."),
    (1, True, (2, 2, 1, 1), 2, "Alex was wiped out tonight; I checked in for them."),
)


@transaction.atomic
def load_demo(people: dict[str, User]) -> list[str]:
    """Makes what is missing and returns a line for each thing it made."""
    made: list[str] = []
    nia, alex = people["nia@demo.kinwell.test"], people["alex@demo.kinwell.test"]
    community = Community.objects.filter(name=NAME).first()
    if community is None:
        community = _community(nia, alex)
        _diarists(community)
        made.append(f"community {NAME}: {MEMBERS} members with a year of tracking")
    if not CheckIn.objects.filter(user=alex).exists():
        _alex(alex, people["casey@demo.kinwell.test"], community)
        made.append("Alex's year of tracking, the last day checked in by Casey")
    if made:
        compute_communities([community.pk])
    return made


def _today() -> date:
    return timezone.localdate()


def _community(organiser: User, alex: User) -> Community:
    community = community_services.create_community(
        organiser,
        name=NAME,
        topic="Long COVID",
        description="People with Long COVID who keep a daily symptom diary, "
        "and compare notes on what helps.",
        charter="## Purpose\n\nKeeping track together, gently.\n\n## Rules\n\n"
        "- Be kind; everyone here is tired.\n- No miracle cures.",
    )
    cluster = Cluster.objects.filter(name=CLUSTER).first()
    if cluster is not None:
        community_services.move_to_cluster(
            organiser, community=community, cluster=cluster
        )
    community_services.join_community(alex, community=community)
    return community


# The synthetic members ----------------------------------------------------------


def _diarists(community: Community) -> None:
    rng = random.Random(NAME)
    users = _accounts(rng)
    _join(community, users, rng)
    catalogue = _catalogue(community)
    rows = _rows()
    today = _today()
    for user in users:
        live(rng, _life(rng, user, community, today), catalogue, rows)
    rows.insert(lambda name, count: None)
    _reset_sequences()


def _accounts(rng: random.Random) -> list[User]:
    """The members: accounts that cannot sign in, each with the personal
    persona every account has, joined over a year ago."""
    now = timezone.now()
    users = User.objects.bulk_create(
        User(
            email=EMAIL.format(number),
            password=make_password(None),
            display_name=text.display_name(rng),
            date_joined=now - timedelta(days=DAYS + rng.randint(5, 60)),
        )
        for number in range(1, MEMBERS + 1)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True)
        for user in users
    )
    Persona.objects.bulk_create(
        Persona(
            user=user,
            kind=Persona.Kind.PERSONAL,
            public_id=new_public_id(),
            created_at=user.date_joined,
        )
        for user in users
    )
    return users


def _join(community: Community, users: list[User], rng: random.Random) -> None:
    now = timezone.now()
    Membership.objects.bulk_create(
        Membership(
            community=community,
            user=user,
            role=Membership.Role.MEMBER,
            joined_at=user.date_joined + timedelta(days=rng.randint(0, 4)),
            last_active_at=now - timedelta(hours=rng.expovariate(1 / 48)),
        )
        for user in users
    )
    ConsentRecord.objects.bulk_create(
        record
        for user in users
        for record in seeding.decisions(
            rng, user.pk, user.date_joined, until=now, in_cohort=True
        )
    )


def _catalogue(community: Community) -> Catalogue:
    """The generic set, and the community's own additions: whatever its
    members use that the generic set lacks, added by its organiser."""
    catalogue = Catalogue(generic=seeding.generic_ids())
    organiser = Membership.objects.get(
        community=community, role=Membership.Role.ORGANISER
    ).user_id
    added_on = timezone.now() - timedelta(days=DAYS + 30)
    needed = seeding.needs(PROFILE)
    needed["symptom"] |= {
        name for plan in ALEX_COURSES for name, _ in plan.side_effects
    }
    own: dict[str, dict[str, int]] = {}
    for kind, model in seeding.MODELS.items():
        found = dict(
            model.objects.filter(community=community).values_list("name", "pk")
        )
        missing = sorted(needed[kind] - set(catalogue.generic[kind]) - set(found))
        entries = model.objects.bulk_create(
            seeding.local_entry(kind, name, community.pk, organiser, added_on)
            for name in missing
        )
        own[kind] = found | {entry.name: entry.pk for entry in entries}
    catalogue.local[community.pk] = own
    return catalogue


def _rows() -> Rows:
    return Rows(
        next_check_in=seeding.next_id(CheckIn),
        next_course=seeding.next_id(TreatmentCourse),
        next_evaluation=seeding.next_id(Evaluation),
    )


def _life(rng: random.Random, user: User, community: Community, today: date) -> Life:
    late = int(rng.expovariate(1 / 10))
    habit = DEVOTED if rng.random() < NEARLY_DAILY else WEEKLY
    return Life(
        user_id=user.pk,
        community_id=community.pk,
        profile=PROFILE,
        first_day=today - timedelta(days=DAYS - min(late, 60)),
        last_day=today - timedelta(days=1),
        habit=habit,
        symptoms=(2, 4),
        adoption=1.3,
        signature=PROFILE.treatments[0][0],
    )


def _reset_sequences() -> None:
    """Ids were given here: tell PostgreSQL's sequences where they now stand."""
    models = [CheckIn, TreatmentCourse, Evaluation]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


# Alex ---------------------------------------------------------------------------


def _alex(alex: User, casey: User, community: Community) -> None:
    """A year of Alex's records, then the last days through the services."""
    today = _today()
    catalogue = _catalogue(community)
    rows = _rows()
    life = Life(
        user_id=alex.pk,
        community_id=community.pk,
        profile=ALEX,
        first_day=today - timedelta(days=DAYS),
        last_day=today - timedelta(days=LAST_DAYS[0][0] + 1),
        habit=DEVOTED,
        symptoms=(len(ALEX.symptoms), len(ALEX.symptoms)),
        plans=ALEX_COURSES,
    )
    live(random.Random("alex"), life, catalogue, rows)
    rows.insert(lambda name, count: None)
    _reset_sequences()
    symptoms = [catalogue.pk("symptom", name, community.pk) for name in ALEX.symptoms]
    with ratelimit.suspended():
        for back, by_casey, scores, mood, note in LAST_DAYS:
            checkins.record_check_in(
                casey if by_casey else alex,
                owner=alex,
                day=today - timedelta(days=back),
                scores=dict(zip(symptoms, scores, strict=True)),
                mood=mood,
                note=note,
            )
