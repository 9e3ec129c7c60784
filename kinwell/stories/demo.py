"""Demo care stories, made through the same services as real use: two
organisations with their service trees (an NHS-style hospital trust with two
sites, and a community health and hospice organisation), staff of each role
with job titles, a story moderator, and fifteen stories across the
lifecycle, with reads, echoes, replies, helpful ratings and changes.

Moderators, responders and organisation admins need two-factor
authentication, so their authenticator secrets are printed with the demo
logins. Once made, the stories' dates are moved back by weeks or months (as
the forks demo skips its notice period), so that the statistics pages have
months and response times to show. Loading twice changes nothing: all of it
is made only if the trust is missing."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.db.models import F, QuerySet

from kinwell.accounts import services as account_services
from kinwell.accounts.models import User
from kinwell.lib import ratelimit
from kinwell.stories import alerts, directory, replies, services
from kinwell.stories.demo_tales import TALES, Answer, Tale
from kinwell.stories.models import (
    Echo,
    HelpfulRating,
    Organisation,
    Redaction,
    Service,
    StaffAlert,
    StaffMembership,
    StaffReply,
    Story,
    StoryDecision,
    StoryRead,
)

# Fixed secrets, so that people trying the demo can add these accounts to an
# authenticator app. Never used outside the demo.
MODERATOR_TOTP_SECRET = "KINWELLDEMOSTORYMODERATORSECRETS"  # noqa: S105
TRUST_ADMIN_TOTP_SECRET = "KINWELLDEMOTRUSTADMINSECRETABCDE"  # noqa: S105
TRUST_RESPONDER_TOTP_SECRET = "KINWELLDEMOTRUSTRESPONDERSECRETX"  # noqa: S105
HOSPICE_ADMIN_TOTP_SECRET = "KINWELLDEMOHOSPICEADMINSECRETABC"  # noqa: S105
HOSPICE_RESPONDER_TOTP_SECRET = "KINWELLDEMOHOSPICERESPONDERSECRT"  # noqa: S105

TRUST = "Northbrook Hospitals NHS Foundation Trust"
HOSPICE = "Hollybank Community Health and Hospice"
MODERATOR = "robin@demo.kinwell.test"
INSTALLATION_ADMIN = "admin@demo.kinwell.test"


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    organisation: str
    role: str
    job_title: str
    totp_secret: str = ""


ADMIN, RESPONDER, READER = (
    StaffMembership.Role.ADMIN,
    StaffMembership.Role.RESPONDER,
    StaffMembership.Role.READER,
)
STAFF = [
    Person(
        "dana@demo.kinwell.test",
        "Dana",
        TRUST,
        ADMIN,
        "Head of Patient Experience",
        TRUST_ADMIN_TOTP_SECRET,
    ),
    Person(
        "eli@demo.kinwell.test",
        "Eli",
        TRUST,
        RESPONDER,
        "Clinical Lead, Long COVID Clinic",
        TRUST_RESPONDER_TOTP_SECRET,
    ),
    Person("fran@demo.kinwell.test", "Fran", TRUST, READER, "Matron, Emergency Care"),
    Person(
        "gus@demo.kinwell.test",
        "Gus",
        HOSPICE,
        ADMIN,
        "Director of Nursing and Quality",
        HOSPICE_ADMIN_TOTP_SECRET,
    ),
    Person(
        "hal@demo.kinwell.test",
        "Hal",
        HOSPICE,
        RESPONDER,
        "Community Nursing Team Lead",
        HOSPICE_RESPONDER_TOTP_SECRET,
    ),
    Person("ivy@demo.kinwell.test", "Ivy", HOSPICE, READER, "Day Therapies Manager"),
]


def _login(person: Person) -> tuple[str, str]:
    role: dict[str, str] = {
        ADMIN: "organisation admin",
        RESPONDER: "responder",
        READER: "reader",
    }
    line = f"{role[person.role]} at {person.organisation} ({person.job_title})"
    if person.totp_secret:
        line += "; authenticator app secret " + person.totp_secret
    return person.email, line


DEMO_LOGINS = [
    (
        MODERATOR,
        "story moderator (stories and staff replies waiting); authenticator "
        "app secret " + MODERATOR_TOTP_SECRET,
    ),
    *(_login(person) for person in STAFF),
]

# (name, kind, children): each organisation's tree, top down. Names are
# unique across the demo, so the stories can name their services.
Node = tuple[str, str, tuple["Node", ...]]
SITE, DEPARTMENT, SERVICE = (
    Service.Kind.SITE,
    Service.Kind.DEPARTMENT,
    Service.Kind.SERVICE,
)


def _services(*names: str) -> tuple[Node, ...]:
    return tuple((name, SERVICE, ()) for name in names)


TRUST_TREE: tuple[Node, ...] = (
    (
        "Northbrook General Hospital",
        SITE,
        (
            (
                "Emergency Department",
                DEPARTMENT,
                _services("Adult Emergency Care", "Children's Emergency Care"),
            ),
            (
                "Maternity",
                DEPARTMENT,
                _services("Antenatal Clinic", "Labour Ward", "Postnatal Ward"),
            ),
            (
                "Outpatients",
                DEPARTMENT,
                _services("Cardiology Clinic", "Physiotherapy"),
            ),
            ("Discharge Lounge", SERVICE, ()),
        ),
    ),
    (
        "Riverside Community Hospital",
        SITE,
        _services("Rehabilitation Ward", "Minor Injuries Unit", "Long COVID Clinic"),
    ),
)
HOSPICE_TREE: tuple[Node, ...] = (
    (
        "Hollybank Hospice",
        SITE,
        _services("Inpatient Unit", "Day Therapies", "Family Support and Bereavement"),
    ),
    (
        "Community Services",
        DEPARTMENT,
        _services(
            "District Nursing East", "District Nursing West", "Palliative Care at Home"
        ),
    ),
)


@dataclass(frozen=True)
class Place:
    name: str
    code: str
    location: str
    description: str
    tree: tuple[Node, ...]


ORGANISATIONS = [
    Place(
        TRUST,
        "DEMO-NBK",
        "Northbrook",
        "A hospital trust with a general hospital and a community hospital, "
        "serving Northbrook and the villages around it. (Demo data.)",
        TRUST_TREE,
    ),
    Place(
        HOSPICE,
        "DEMO-HLB",
        "Hollybank and district",
        "A local charity running a hospice, day therapies and community "
        "nursing, including care at home at the end of life. (Demo data.)",
        HOSPICE_TREE,
    ),
]


@dataclass
class Cast:
    """The demo's people by email, and its services by name."""

    people: dict[str, User]
    services: dict[str, Service] = field(default_factory=dict)

    def __getitem__(self, email: str) -> User:
        return self.people[email]


@transaction.atomic
def load_demo(people: dict[str, User]) -> list[str]:
    """Makes what is missing and returns a line for each thing it made.
    `people` are the demo accounts by email."""
    if Organisation.objects.filter(name=TRUST).exists():
        return []
    cast = Cast(dict(people))
    # Jo is the discussions demo's; made here too should that demo be gone.
    for email, name, secret in [
        (MODERATOR, "Robin", MODERATOR_TOTP_SECRET),
        ("jo@demo.kinwell.test", "Jo", ""),
        *((person.email, person.name, person.totp_secret) for person in STAFF),
    ]:
        cast.people[email] = _account(email, name, secret)
    _moderates(cast[MODERATOR])
    with ratelimit.suspended():
        for place in ORGANISATIONS:
            _organisation(cast, place)
        _alerts(cast)
        for tale in TALES:
            _live(cast, tale)
    return ["two demo organisations with their staff, and fifteen care stories"]


def _account(email: str, name: str, secret: str) -> User:
    from kinwell.web.demo import DEMO_PASSWORD

    user = User.objects.filter(email=email).first()
    if user is None:
        user = account_services.create_account(email, DEMO_PASSWORD, display_name=name)
    if secret and not Authenticator.objects.filter(user=user, type="totp").exists():
        TOTP.activate(user, secret)
    return user


def _moderates(user: User) -> None:
    # Installation administrators grant this in the admin; there is no
    # service for it.
    user.is_story_moderator = True
    user.save(update_fields=["is_story_moderator"])


# Organisations and staff --------------------------------------------------------


def _organisation(cast: Cast, place: Place) -> None:
    admin, *others = [p for p in STAFF if p.organisation == place.name]
    organisation = directory.create_organisation(
        cast[INSTALLATION_ADMIN],
        name=place.name,
        code=place.code,
        location=place.location,
        description=place.description,
        admin_email=admin.email,
        admin_job_title=admin.job_title,
    )
    _tree(cast, cast[admin.email], organisation, None, place.tree)
    for person in others:
        directory.add_staff(
            cast[admin.email],
            organisation=organisation,
            email=person.email,
            role=person.role,
            job_title=person.job_title,
        )


def _tree(
    cast: Cast,
    admin: User,
    organisation: Organisation,
    parent: Service | None,
    nodes: tuple[Node, ...],
) -> None:
    for name, kind, children in nodes:
        service = directory.add_service(
            admin,
            organisation=organisation,
            parent=parent,
            name=name,
            kind=kind,
            location=organisation.location,
        )
        cast.services[name] = service
        _tree(cast, admin, organisation, service, children)


def _alerts(cast: Cast) -> None:
    """The matron hears of emergency care stories in a daily digest, the
    head of patient experience of critical ones at once, and the day
    therapies manager of everything at the hospice in a digest."""
    for email, service, minimum, delivery in (
        ("fran@demo.kinwell.test", "Emergency Department", 2, "digest"),
        ("dana@demo.kinwell.test", None, 3, "at_once"),
        ("ivy@demo.kinwell.test", None, 0, "digest"),
    ):
        staff = StaffMembership.objects.get(user=cast[email])
        alerts.add_alert(
            cast[email],
            staff=staff,
            service=cast.services[service] if service else None,
            min_criticality=minimum,
            delivery=StaffAlert.Delivery(delivery),
        )


# Stories ------------------------------------------------------------------------


def _live(cast: Cast, tale: Tale) -> None:
    """Tells the story, then takes it as far as the tale goes."""
    author = cast[tale.author]
    story = services.tell_story(
        author,
        services=[cast.services[name] for name in tale.services],
        title=tale.title,
        what_happened=tale.what_happened,
        what_was_good=tale.what_was_good,
        what_could_be_better=tale.what_could_be_better,
        feelings=list(tale.feelings),
        author_role=tale.author_role,
        show_reader_titles=tale.show_reader_titles,
        patient_consented=tale.author_role == Story.AuthorRole.STAFF_FOR_PATIENT,
    )
    moderator = cast[MODERATOR]
    if tale.redaction:
        field_name, original, replacement, note = tale.redaction
        services.propose_redaction(
            moderator,
            story=story,
            field=field_name,
            original=original,
            replacement=replacement,
            note=note,
        )
    if tale.end == "returned":
        services.return_story(
            moderator, story=story, reason=tale.reason, note=tale.note
        )
    elif tale.end == "rejected":
        services.reject_story(
            moderator, story=story, reason=tale.reason, note=tale.note
        )
    elif tale.end in ("published", "withdrawn"):
        _published(cast, tale, story)
    _backdate(story, tale)


def _published(cast: Cast, tale: Tale, story: Story) -> None:
    story = services.publish_story(
        cast[MODERATOR], story=story, criticality=tale.criticality
    )
    for email in tale.readers:
        replies.record_read(cast[email], story)
    for email in tale.echoes:
        replies.toggle_echo(cast[email], story=story)
    for answer in tale.answers:
        _answer(cast, story, answer)
    if tale.end == "withdrawn":
        services.withdraw_story(cast[tale.author], story=story)


def _answer(cast: Cast, story: Story, answer: Answer) -> None:
    """A staff reply; a moderator publishes it (confirming its change) unless
    the tale leaves it waiting. Trusted responders' replies are published at
    once, and only their change waits for confirmation."""
    reply = replies.reply_to_story(
        cast[answer.responder],
        story=story,
        body=answer.body,
        change=answer.change,
        change_description=answer.change_description,
    )
    if not answer.moderated:
        return
    moderator = cast[MODERATOR]
    if reply.status == StaffReply.Status.PENDING:
        reply = replies.publish_reply(moderator, reply=reply, confirm_change=True)
    elif reply.change:
        reply = replies.confirm_change(moderator, reply=reply)
    for email in answer.helpful:
        replies.toggle_helpful(cast[email], reply=reply)


# Dates --------------------------------------------------------------------------


def _backdate(story: Story, tale: Tale) -> None:
    """Moves the story `tale.days_ago` days back: published a day after it
    was told, read and echoed soon after, each reply some days later."""
    told, published = timedelta(days=tale.days_ago), timedelta(days=tale.days_ago - 1)
    stories = Story.objects.filter(pk=story.pk)
    _shift(stories, ["created_at", "submitted_at"], told)
    _shift(stories, ["published_at"], published)
    withdrawn = published - timedelta(days=tale.withdrawn_after)
    _shift(stories, ["withdrawn_at"], withdrawn)
    decisions = StoryDecision.objects.filter(story=story)
    _shift(
        decisions.filter(action=StoryDecision.Action.SUBMITTED), ["created_at"], told
    )
    _shift(
        decisions.filter(action=StoryDecision.Action.WITHDRAWN),
        ["created_at"],
        withdrawn,
    )
    _shift(
        decisions.exclude(
            action__in=[StoryDecision.Action.SUBMITTED, StoryDecision.Action.WITHDRAWN]
        ),
        ["created_at"],
        published,
    )
    _shift(Redaction.objects.filter(story=story), ["created_at"], published)
    for rows in (StoryRead.objects, Echo.objects):
        _shift(rows.filter(story=story), ["created_at"], published)
    for reply, answer in zip(
        StaffReply.objects.filter(story=story).order_by("pk"), tale.answers, strict=True
    ):
        later = published - timedelta(days=answer.after_days)
        _shift(
            StaffReply.objects.filter(pk=reply.pk),
            ["created_at", "published_at", "change_confirmed_at"],
            later,
        )
        _shift(HelpfulRating.objects.filter(reply=reply), ["created_at"], later)


def _shift(rows: QuerySet[Any], fields: list[str], by: timedelta) -> None:
    # F() of an empty date stays empty: nothing to move.
    rows.update(**{name: F(name) - by for name in fields})
