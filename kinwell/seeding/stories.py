"""Care stories: organisations with service trees, their staff (drawn from
the seeded accounts), a few story moderators, and stories across the
lifecycle, with the decisions, reads, echoes, replies, helpful ratings and
confirmed changes a living installation has.

About 85% of stories are published (each with a criticality); the rest wait
for a moderator, were returned, not published or withdrawn, and the
decisions follow each story's path. Six in ten published stories have a
reply. Organisations, services, stories and replies get their ids here, so
a service's `path` and every row pointing at a story are built without
reading anything back; the sequences are reset afterwards."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils.text import slugify

from kinwell.accounts.models import User
from kinwell.seeding import story_text
from kinwell.seeding.registry import BASE, Context
from kinwell.stories.models import (
    Echo,
    Feeling,
    HelpfulRating,
    Organisation,
    Reason,
    Service,
    StaffAlert,
    StaffMembership,
    StaffReply,
    Story,
    StoryDecision,
    StoryRead,
    StoryService,
)

HISTORY_DAYS = 700
STORY_MODERATORS = 3
S, D = Story.Status, StoryDecision.Action
PUBLISHED = 0.85
OTHER_STATES = ([S.SUBMITTED, S.RETURNED, S.REJECTED, S.WITHDRAWN], [30, 20, 30, 20])
WITHDRAWN_AFTER_PUBLICATION = 0.8
RETURNED_BEFORE_PUBLICATION = 0.05
TWO_SERVICES = 0.1
ABOUT_A_LEAF = 0.9
CRITICALITY = ([0, 1, 2, 3, 4, 5], [30, 25, 25, 12, 6, 2])
AUTHOR_ROLES = ([role.value for role in Story.AuthorRole], [55, 20, 20, 5])
REPLIED, SECOND_REPLY = 0.6, 0.2
REPLY_STATUSES = (
    [
        StaffReply.Status.PUBLISHED,
        StaffReply.Status.PENDING,
        StaffReply.Status.REJECTED,
    ],
    [90, 7, 3],
)
CHANGES = (["", StaffReply.Change.PLANNED, StaffReply.Change.MADE], [70, 18, 12])
CONFIRMED = 0.7
ECHOES = ([0, 1, 2, 3, 5, 10], [50, 20, 12, 8, 6, 4])
HELPFUL = ([0, 1, 2, 3], [40, 30, 20, 10])
STORYTELLER_FINDS_HELPFUL = 0.4
ALERTED = 0.3
RETURN_REASONS = [Reason.NAMES_PATIENT, Reason.NAMES_STAFF, Reason.IDENTIFYING]
REJECT_REASONS = [Reason.NOT_CARE, Reason.ABUSIVE, Reason.DUPLICATE, Reason.OTHER]
NOTES = {
    Reason.NAMES_PATIENT: "Please leave out the other patient's name.",
    Reason.NAMES_STAFF: "Please describe staff by their role, not by name.",
    Reason.IDENTIFYING: "The dates could identify you; please leave them out.",
}


@dataclass
class Place:
    """A seeded organisation: its services, and its staff as
    (user id, role, job title)."""

    id: int
    created_at: datetime
    services: list[Service] = field(default_factory=list)
    leaves: list[Service] = field(default_factory=list)
    staff: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def responders(self) -> list[tuple[int, str, str]]:
        return [s for s in self.staff if s[1] != StaffMembership.Role.READER]


@dataclass
class Batch:
    """Rows waiting for their bulk insert, in foreign-key order."""

    stories: list[Story] = field(default_factory=list)
    story_links: list[StoryService] = field(default_factory=list)
    story_decisions: list[StoryDecision] = field(default_factory=list)
    story_reads: list[StoryRead] = field(default_factory=list)
    echoes: list[Echo] = field(default_factory=list)
    staff_replies: list[StaffReply] = field(default_factory=list)
    helpful_ratings: list[HelpfulRating] = field(default_factory=list)

    def insert(self, context: Context) -> None:
        for name, rows in vars(self).items():
            if rows:
                type(rows[0]).objects.bulk_create(rows)
                context.count(name.replace("_", " "), len(rows))
                rows.clear()


@dataclass
class Pools:
    moderators: list[int]
    titles: list[str]
    bodies: list[tuple[str, str, str, str]]
    replies: list[tuple[str, str]]
    next_story: int
    next_reply: int


def seed_stories(context: Context) -> None:
    rng = context.rng
    scale = context.scale
    with transaction.atomic():
        places = _organisations(context)
        pools = Pools(
            moderators=_story_moderators(context),
            titles=story_text.story_titles(rng, max(50, scale.story_bodies // 2)),
            bodies=story_text.story_bodies(rng, scale.story_bodies),
            replies=story_text.replies(rng, max(30, scale.story_bodies // 4)),
            next_story=_next_id(Story),
            next_reply=_next_id(StaffReply),
        )
        weights = [rng.lognormvariate(0, 1) for _ in places]
        batch = Batch()
        for _ in range(scale.stories):
            place = rng.choices(places, weights)[0]
            _story(context, batch, pools, place)
            if len(batch.stories) >= scale.batch:
                batch.insert(context)
        batch.insert(context)
    _reset_sequences()


def _next_id(model: type[Model]) -> int:
    return int(model._default_manager.aggregate(top=Max("id"))["top"] or 0) + 1


def _story_moderators(context: Context) -> list[int]:
    """The last few accounts moderate stories (the first ones organise
    communities). Like seeded community moderators, they have no second
    factor: the tools ask them to set one up."""
    chosen = context.user_ids[-STORY_MODERATORS:]
    User.objects.filter(pk__in=chosen).update(is_story_moderator=True)
    return chosen


# Organisations, services and staff -----------------------------------------------


def _organisations(context: Context) -> list[Place]:
    rng = context.rng
    names = story_text.organisation_names(rng, context.scale.organisations)
    first = _next_id(Organisation)
    organisations = [
        Organisation(
            id=first + index,
            name=name,
            slug=slugify(name)[:80],
            code=f"SEED{first + index:05d}",
            location=place,
            description=f"Services in and around {place}.",
            created_at=BASE - timedelta(days=HISTORY_DAYS + rng.randrange(60)),
        )
        for index, (place, name) in enumerate(names)
    ]
    Organisation.objects.bulk_create(organisations)
    context.count("organisations", len(organisations))
    places = [Place(id=o.pk, created_at=o.created_at) for o in organisations]
    next_service = _next_id(Service)
    for place, organisation in zip(places, organisations, strict=True):
        next_service = _tree(context, place, organisation.location, next_service)
    services = [service for place in places for service in place.services]
    Service.objects.bulk_create(services, batch_size=context.scale.batch)
    context.count("services", len(services))
    _staff(context, places)
    return places


def _tree(context: Context, place: Place, town: str, next_id: int) -> int:
    """Sites, departments under them and services under those, until the
    tree has about `scale.services` nodes. Returns the next free id."""
    rng = context.rng
    target = context.scale.services
    sites = rng.sample(story_text.SITES, rng.randint(1, 3))
    departments = {
        site: rng.sample(list(story_text.DEPARTMENTS), len(story_text.DEPARTMENTS))
        for site in sites
    }

    def add(name: str, kind: str, parent: Service | None) -> Service:
        nonlocal next_id
        path = f"{parent.path if parent else '/'}{next_id}/"
        service = Service(
            id=next_id,
            organisation_id=place.id,
            parent=parent,
            name=name,
            kind=kind,
            location=town,
            path=path,
            created_at=place.created_at,
        )
        next_id += 1
        place.services.append(service)
        return service

    tops = [
        (add(site.format(place=town), Service.Kind.SITE, None), site) for site in sites
    ]
    while len(place.services) < target and any(departments.values()):
        top, site = rng.choice([pair for pair in tops if departments[pair[1]]])
        name = departments[site].pop()
        department = add(name, Service.Kind.DEPARTMENT, top)
        offered = story_text.DEPARTMENTS[name]
        for service in rng.sample(offered, rng.randint(2, len(offered))):
            place.leaves.append(add(service, Service.Kind.SERVICE, department))
    return next_id


def _staff(context: Context, places: list[Place]) -> None:
    rng = context.rng
    memberships: list[StaffMembership] = []
    for place in places:
        counts = {
            StaffMembership.Role.ADMIN: rng.randint(1, 2),
            StaffMembership.Role.RESPONDER: rng.randint(2, 5),
            StaffMembership.Role.READER: rng.randint(2, 8),
        }
        people = iter(rng.sample(context.user_ids, sum(counts.values())))
        for role, count in counts.items():
            for _ in range(count):
                title = rng.choice(story_text.JOB_TITLES[role])
                place.staff.append((next(people), role, title))
        memberships += [
            StaffMembership(
                organisation_id=place.id,
                user_id=user_id,
                role=role,
                job_title=title,
                created_at=place.created_at,
            )
            for user_id, role, title in place.staff
        ]
    made = StaffMembership.objects.bulk_create(memberships, batch_size=2000)
    context.count("staff", len(made))
    _alerts(context, places, made)


def _alerts(
    context: Context, places: list[Place], memberships: list[StaffMembership]
) -> None:
    """Some staff asked to hear of stories: about the whole organisation or
    one part of it, at once or in a digest."""
    rng = context.rng
    by_id = {place.id: place for place in places}
    alerts = [
        StaffAlert(
            staff_id=membership.pk,
            service=rng.choice([None, *by_id[membership.organisation_id].services]),
            min_criticality=rng.choice((0, 0, 2, 3)),
            delivery=rng.choice(StaffAlert.Delivery.values),
            created_at=membership.created_at,
        )
        for membership in memberships
        if rng.random() < ALERTED
    ]
    StaffAlert.objects.bulk_create(alerts)
    context.count("story alerts", len(alerts))


# Stories ------------------------------------------------------------------------


def _story(context: Context, batch: Batch, pools: Pools, place: Place) -> None:
    rng = context.rng
    status = S.PUBLISHED
    if rng.random() >= PUBLISHED:
        status = rng.choices(*OTHER_STATES)[0]
    was_published = status == S.PUBLISHED or (
        status == S.WITHDRAWN and rng.random() < WITHDRAWN_AFTER_PUBLICATION
    )
    story = _row(context, pools, status, was_published)
    batch.stories.append(story)
    for service in _about(rng, place):
        batch.story_links.append(StoryService(story_id=story.pk, service_id=service.pk))
    _decisions(context, batch, pools, story, was_published)
    if was_published:
        assert story.published_at is not None
        read = _reads(context, batch, place, story, story.published_at)
        if status == S.PUBLISHED:
            _echoes(context, batch, story)
            _replies(context, batch, pools, place, story, read)


def _row(context: Context, pools: Pools, status: str, was_published: bool) -> Story:
    rng = context.rng
    story_id, pools.next_story = pools.next_story, pools.next_story + 1
    # Waiting and returned stories are recent; the others reach back two
    # years, more of them lately. A moderator's first step comes within two
    # hours (see _decisions), publication between two hours and three days.
    if status in (S.SUBMITTED, S.RETURNED):
        told = BASE - timedelta(minutes=rng.randrange(14 * 24 * 60), hours=6)
    else:
        told = BASE - timedelta(days=HISTORY_DAYS * rng.random() ** 1.5, hours=6)
    happened, good, better, html = rng.choice(pools.bodies)
    published = None
    if was_published:
        published = _later(rng, told + timedelta(hours=2), hours=70)
    story = Story(
        id=story_id,
        author_id=rng.choice(context.user_ids),
        author_role=rng.choices(*AUTHOR_ROLES)[0],
        pseudonym=story_text.pseudonym(rng),
        show_name=rng.random() < 0.1,
        title=rng.choice(pools.titles),
        what_happened=happened,
        what_was_good=good,
        what_could_be_better=better,
        body_html=html,
        feelings=rng.sample(Feeling.values, rng.choice((0, 1, 2, 3))),
        status=status,
        criticality=rng.choices(*CRITICALITY)[0] if was_published else None,
        show_reader_titles=rng.random() < 0.2,
        created_at=told,
        submitted_at=told,
        published_at=published,
    )
    if status == S.WITHDRAWN:
        story.withdrawn_at = min(
            BASE, (published or told) + timedelta(days=rng.randint(1, 60))
        )
    return story


def _about(rng: random.Random, place: Place) -> list[Service]:
    pool = place.leaves if rng.random() < ABOUT_A_LEAF else place.services
    return rng.sample(pool, 2 if rng.random() < TWO_SERVICES else 1)


def _decisions(
    context: Context, batch: Batch, pools: Pools, story: Story, was_published: bool
) -> None:
    """Each step the story took, as the transparency page counts them."""
    rng = context.rng
    moderator = rng.choice(pools.moderators)
    told = story.created_at
    steps: list[tuple[str, str, int | None, datetime]] = [
        (D.SUBMITTED, "", story.author_id, told)
    ]
    if story.status == S.RETURNED or (
        was_published and rng.random() < RETURNED_BEFORE_PUBLICATION
    ):
        reason = rng.choice(RETURN_REASONS)
        story.moderator_note = NOTES[reason]
        steps.append((D.RETURNED, reason, moderator, told + timedelta(minutes=30)))
        if was_published:
            story.moderator_note = ""
            steps.append((D.SUBMITTED, "", story.author_id, told + timedelta(hours=1)))
    if story.status == S.REJECTED:
        reason = rng.choice(REJECT_REASONS)
        story.moderator_note = (
            "This cannot be published: " + Reason(reason).label.lower()
        )
        steps.append((D.REJECTED, reason, moderator, told + timedelta(hours=2)))
    if was_published:
        assert story.published_at is not None
        steps.append((D.PUBLISHED, "", moderator, story.published_at))
    if story.withdrawn_at is not None:
        steps.append(
            (D.WITHDRAWN, Reason.AUTHOR_CHOICE, story.author_id, story.withdrawn_at)
        )
    batch.story_decisions += [
        StoryDecision(
            story_id=story.pk,
            action=action,
            reason=reason,
            actor_id=actor,
            created_at=at,
        )
        for action, reason, actor, at in steps
    ]


def _reads(
    context: Context, batch: Batch, place: Place, story: Story, after: datetime
) -> set[int]:
    """Some of the organisation's staff opened the story; returns who."""
    rng = context.rng
    readers = rng.sample(place.staff, rng.randint(0, min(6, len(place.staff))))
    for user_id, _, title in readers:
        _read(batch, place, story, user_id, title, _later(rng, after, hours=48))
    return {user_id for user_id, _, _ in readers}


def _read(
    batch: Batch, place: Place, story: Story, user_id: int, title: str, at: datetime
) -> None:
    batch.story_reads.append(
        StoryRead(
            story_id=story.pk,
            user_id=user_id,
            organisation_id=place.id,
            job_title=title,
            created_at=at,
        )
    )


def _echoes(context: Context, batch: Batch, story: Story) -> None:
    rng = context.rng
    count = rng.choices(*ECHOES)[0]
    assert story.published_at is not None
    for user_id in rng.sample(context.user_ids, count + 1)[:count]:
        if user_id != story.author_id:
            at = _later(rng, story.published_at, hours=24 * 30)
            batch.echoes.append(Echo(story_id=story.pk, user_id=user_id, created_at=at))


def _replies(
    context: Context,
    batch: Batch,
    pools: Pools,
    place: Place,
    story: Story,
    read: set[int],
) -> None:
    """A reply on six in ten, now and then a second; whoever replies has
    read the story."""
    rng = context.rng
    if rng.random() >= REPLIED or not place.responders:
        return
    assert story.published_at is not None
    at = story.published_at
    for _ in range(2 if rng.random() < SECOND_REPLY else 1):
        user_id, _role, title = rng.choice(place.responders)
        at = min(BASE, at + timedelta(hours=rng.lognormvariate(3.5, 1.2)))
        if user_id not in read:
            read.add(user_id)
            _read(batch, place, story, user_id, title, at)
        reply = _reply(context, pools, place, story, user_id, title, at)
        batch.staff_replies.append(reply)
        if reply.is_public:
            _helpful(context, batch, story, reply)


def _reply(
    context: Context,
    pools: Pools,
    place: Place,
    story: Story,
    user_id: int,
    title: str,
    at: datetime,
) -> StaffReply:
    rng = context.rng
    reply_id, pools.next_reply = pools.next_reply, pools.next_reply + 1
    body, html = rng.choice(pools.replies)
    status = rng.choices(*REPLY_STATUSES)[0]
    published = status == StaffReply.Status.PUBLISHED
    change = rng.choices(*CHANGES)[0] if published else ""
    published_at = _later(rng, at, hours=24) if published else None
    confirmed = None
    if change and published_at and rng.random() < CONFIRMED:
        confirmed = _later(rng, published_at, hours=24 * 14)
    return StaffReply(
        id=reply_id,
        story_id=story.pk,
        organisation_id=place.id,
        author_id=user_id,
        job_title=title,
        body=body,
        body_html=html,
        status=status,
        change=change,
        change_description=rng.choice(story_text.CHANGES) if change else "",
        change_confirmed_at=confirmed,
        moderator_note="Please do not discuss the patient's care in public."
        if status == StaffReply.Status.REJECTED
        else "",
        created_at=at,
        published_at=published_at,
    )


def _helpful(context: Context, batch: Batch, story: Story, reply: StaffReply) -> None:
    rng = context.rng
    raters = rng.sample(context.user_ids, rng.choices(*HELPFUL)[0])
    if rng.random() < STORYTELLER_FINDS_HELPFUL:
        raters.append(story.author_id)
    assert reply.published_at is not None
    for user_id in dict.fromkeys(raters):
        if user_id != reply.author_id:
            at = _later(rng, reply.published_at, hours=24 * 7)
            batch.helpful_ratings.append(
                HelpfulRating(reply_id=reply.pk, user_id=user_id, created_at=at)
            )


def _later(rng: random.Random, after: datetime, *, hours: float) -> datetime:
    """A moment within `hours` after `after`, never after BASE."""
    return min(BASE, after + timedelta(hours=rng.uniform(0, hours)))


def _reset_sequences() -> None:
    """Ids were given here: tell PostgreSQL's sequences where they now stand."""
    models = [Organisation, Service, Story, StaffReply]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
