"""Every page a person can reach has no serious or critical axe-core finding,
checked in Chromium under the real Content-Security-Policy.

To add a page: add a `Visit` to PAGES, with the person who sees it and its
path (a function of the `Setting` when it needs an id). The pages of personal
tracking, community insights and research access are in TRACKING_PAGES:
their records (`Tracking`, below) are made only for them."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.utils import timezone
from playwright.sync_api import BrowserContext, FilePayload, Page, Response

from kinwell.accounts import services
from kinwell.accounts.models import (
    ApiToken,
    ConsentRecord,
    Credential,
    Delegation,
    Persona,
    User,
)
from kinwell.communities.models import Cluster, Community
from kinwell.stories import alerts, directory, replies
from kinwell.stories import services as stories
from kinwell.stories.models import (
    Organisation,
    Service,
    StaffAlert,
    StaffMembership,
    Story,
)
from kinwell.tracking import questionnaires, treatments
from kinwell.tracking.insights import compute
from kinwell.tracking.models import (
    DatasetRequest,
    MemberCondition,
    Questionnaire,
    QuestionnaireResponse,
    Symptom,
    Treatment,
    TreatmentCourse,
)
from kinwell.tracking.research import release
from tests import factories, insights_helpers, questionnaire_helpers
from tests import research_helpers as research
from tests import tracking_factories as tf
from tests.browser.axe import assert_accessible, serious_violations
from tests.browser.conftest import LogIn, LogInByCookie, reauthenticate
from tests.test_access_matrix import passkey_for

pytestmark = pytest.mark.browser


@dataclass
class Setting:
    """The people and things the pages show: a member with a carer, a consent,
    a token and a pending credential; a verified clinician; an unverified
    sign-up; people with two-factor authentication and their secrets; and
    care stories (the `Stories` below)."""

    member: User
    carer: User
    secured: User  # a member with TOTP, recovery codes and a passkey
    secured_secret: str
    verifier: User
    verifier_secret: str
    administrator: User
    administrator_secret: str
    credential: Credential
    anonymous_persona: Persona
    member_persona: Persona
    unverified_email: EmailAddress
    stories: "Stories"
    tracking: "Tracking | None" = None  # made for TRACKING_PAGES only

    # The people of the care stories' pages, for `sign_in`.
    @property
    def story_moderator(self) -> User:
        return self.stories.moderator

    @property
    def story_moderator_secret(self) -> str:
        return self.stories.moderator_secret

    @property
    def story_staff(self) -> User:
        return self.stories.staff

    @property
    def story_staff_secret(self) -> str:
        return self.stories.staff_secret

    # The people of the tracking pages.
    @property
    def organiser(self) -> User:
        return tracked(self).organiser

    @property
    def organiser_secret(self) -> str:
        return tracked(self).organiser_secret

    @property
    def researcher(self) -> User:
        return tracked(self).researcher

    @property
    def researcher_secret(self) -> str:
        return tracked(self).researcher_secret


@dataclass
class Stories:
    """An organisation with a hospital and a ward; its admin (who also
    replies, and has an alert); a story moderator; the member's published
    story, with a reply marking a confirmed change made and a second reply
    waiting; and the member's second story, waiting for a moderator."""

    organisation: Organisation
    ward: Service
    staff: User
    staff_secret: str
    moderator: User
    moderator_secret: str
    published: Story
    waiting: Story


def make_stories(member: User) -> Stories:
    installer = factories.make_user("Ines Installer", is_staff=True)
    staff = factories.make_user("Wren Wardmanager")
    organisation = directory.create_organisation(
        installer,
        name="North Trust",
        location="Northtown",
        admin_email=staff.email,
        admin_job_title="Ward manager",
    )
    site = directory.add_service(
        staff,
        organisation=organisation,
        parent=None,
        name="General Hospital",
        kind=Service.Kind.SITE,
    )
    ward = directory.add_service(
        staff,
        organisation=organisation,
        parent=site,
        name="Ward 7",
        kind=Service.Kind.SERVICE,
    )
    alerts.add_alert(
        staff,
        staff=StaffMembership.objects.get(user=staff),
        service=site,
        min_criticality=2,
        delivery=StaffAlert.Delivery.DIGEST,
    )
    moderator = factories.make_user("Stella Storymoderator", is_story_moderator=True)
    published, waiting = (
        stories.tell_story(
            member,
            services=[ward],
            title=title,
            what_happened="We were sent away at *eight*; nobody had said.",
            what_could_be_better="Tell visitors the times.",
            feelings=["frustrated"],
            author_role=Story.AuthorRole.CARER,
            show_reader_titles=True,
        )
        for title in ("Nobody told us the visiting times", "The night staff were kind")
    )
    published = stories.publish_story(moderator, story=published, criticality=3)
    staff_secret = factories.give_totp(staff)
    replies.record_read(staff, published)
    changed = replies.reply_to_story(
        staff,
        story=published,
        body="Thank you for telling us. We are sorry.",
        change="made",
        change_description="The visiting times are on a sign at the entrance.",
    )
    replies.publish_reply(moderator, reply=changed, confirm_change=True)
    replies.reply_to_story(staff, story=published, body="We will ring you too.")
    return Stories(
        organisation=organisation,
        ward=ward,
        staff=staff,
        staff_secret=staff_secret,
        moderator=moderator,
        moderator_secret=factories.give_totp(moderator),
        published=published,
        waiting=waiting,
    )


@dataclass
class Tracking:
    """Personal tracking, insights and research around the member: a public
    community in a cluster (with a sibling), whose organiser has two-factor
    authentication; the member's three weeks of check-ins, a condition, a
    current course evaluated with a side effect and a stopped one; 110
    counted members who report symptoms and take Pacing (so it has an
    evaluation page), with insights computed; an open questionnaire the
    member answered; a community symptom; and a researcher with an approved
    request (released twice: records, and counts with differential privacy)
    and a pending one."""

    community: Community
    cluster: Cluster
    organiser: User
    organiser_secret: str
    researcher: User
    researcher_secret: str
    condition: MemberCondition
    course: TreatmentCourse
    evaluated: Treatment
    own_symptom: Symptom
    questionnaire: Questionnaire
    response: QuestionnaireResponse
    approved: DatasetRequest
    pending: DatasetRequest


def tracked(s: Setting) -> Tracking:
    assert s.tracking is not None, "a tracking page needs the `tracking` fixture"
    return s.tracking


def make_tracking(s: Setting) -> Tracking:
    organiser = factories.make_user("Olu Organiser")
    organiser_secret = factories.give_totp(organiser)
    community = factories.make_community(
        organiser, name="Long COVID Peer Support", members=(s.member, s.carer)
    )
    cluster = Cluster.objects.create(name="Long COVID UK", slug="long-covid-uk")
    sibling = factories.make_community(organiser, name="Long COVID North")
    Community.objects.filter(pk__in=[community.pk, sibling.pk]).update(cluster=cluster)
    community.refresh_from_db()
    condition, course = member_records(s.member)
    evaluated = counted_members(community)
    questionnaire = questionnaire_helpers.make_questionnaire(
        organiser, community, title="Fatigue this week"
    )
    questionnaires.enrol(s.member, owner=s.member, questionnaire=questionnaire)
    researcher = factories.make_user("Rae Researcher", is_researcher=True)
    researcher_secret = factories.give_totp(researcher)
    approved = research.approved_request(
        researcher, community, organiser, privacy_budget=Decimal("1.000")
    )
    release.release_dataset(researcher, request=approved, kind="csv")
    release.release_dataset(
        researcher, request=approved, kind="dp_counts", epsilon=Decimal("0.4")
    )
    return Tracking(
        community=community,
        cluster=cluster,
        organiser=organiser,
        organiser_secret=organiser_secret,
        researcher=researcher,
        researcher_secret=researcher_secret,
        condition=condition,
        course=course,
        evaluated=evaluated,
        own_symptom=tf.make_symptom("Crash after activity", community=community),
        questionnaire=questionnaire,
        response=questionnaire_helpers.answer_all(s.member, questionnaire, 2),
        approved=approved,
        pending=research.make_request(
            researcher, community, title="Breathlessness and pacing"
        ),
    )


def member_records(member: User) -> tuple[MemberCondition, TreatmentCourse]:
    """Three weeks of check-ins (none today), a condition, a current course
    evaluated with a side effect, and a stopped course."""
    today = timezone.localdate()
    symptoms = [tf.make_symptom(name) for name in ("Brain fog", "Fatigue", "Nausea")]
    tf.track(member, *symptoms)
    for symptom in symptoms:
        tf.track_since(member, symptom, today - timedelta(days=30))
    for days_ago in range(1, 22):
        scores = {
            symptom: (days_ago + offset) % 5 for offset, symptom in enumerate(symptoms)
        }
        note = "Rested all afternoon." if days_ago % 5 == 0 else ""
        tf.check_in(member, scores, days_ago=days_ago, mood=days_ago % 5, note=note)
    condition = tf.add_condition(
        member, tf.make_condition("Long COVID"), diagnosed_on=today - timedelta(200)
    )
    stopped = treatments.start_course(
        member,
        owner=member,
        treatment=tf.make_treatment("Amitriptyline"),
        started_on=today - timedelta(days=28),
        dose="10 mg",
        frequency="At night",
    )
    treatments.stop_course(
        member,
        course=stopped,
        stopped_on=today - timedelta(days=14),
        reason=TreatmentCourse.StopReason.SIDE_EFFECTS,
    )
    course = treatments.start_course(
        member,
        owner=member,
        treatment=tf.make_treatment("Pacing", kind=Treatment.Kind.LIFESTYLE),
        started_on=today - timedelta(days=25),
        frequency="Every day",
    )
    treatments.evaluate_course(
        member,
        course=course,
        effectiveness=3,
        adherence=3,
        burden=1,
        cost_band="nothing",
        side_effects={symptoms[1].pk: 1},
        note="Helps on most days.",
    )
    return condition, course


def counted_members(community: Community) -> Treatment:
    """110 members counted in the community's insights; computed."""
    people = insights_helpers.make_people(110, community)
    fatigue, fog = tf.make_symptom("Fatigue"), tf.make_symptom("Brain fog")
    insights_helpers.rate(people, fatigue, (3, 2))
    insights_helpers.rate(people[:40], fog, (2,))
    pacing = tf.make_treatment("Pacing", kind=Treatment.Kind.LIFESTYLE)
    insights_helpers.take(people, pacing, effectiveness=3, side_effects=[fatigue])
    compute.compute_communities([community.pk])
    return pacing


@pytest.fixture
def setting(member: User, carer: User, clinician: User) -> Setting:
    services.record_consent(
        member, user=member, purpose=ConsentRecord.Purpose.RESEARCH, given=True
    )
    services.create_api_token(
        member, name="Symptom diary app", scope=ApiToken.Scope.READ
    )
    credential = services.submit_credential(
        member,
        profession=Credential.Profession.PHARMACIST,
        registration_body="General Pharmaceutical Council",
        registration_number="GPC123456",
    )
    secured = factories.make_user("Sol Secured")
    secured_secret = factories.give_totp(secured)
    RecoveryCodes.activate(secured)
    passkey_for(secured, "Phone")
    verifier = factories.make_user("Val Verifier", is_verifier=True)
    administrator = factories.make_user("Ari Admin", is_staff=True, is_superuser=True)
    newcomer = services.create_account(
        "newcomer@example.org", factories.PASSWORD, verified=False
    )
    return Setting(
        member=member,
        carer=carer,
        secured=secured,
        secured_secret=secured_secret,
        verifier=verifier,
        verifier_secret=factories.give_totp(verifier),
        administrator=administrator,
        administrator_secret=factories.give_totp(administrator),
        credential=credential,
        anonymous_persona=Persona.objects.get(
            user=clinician, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL
        ),
        member_persona=Persona.objects.get(user=member, kind=Persona.Kind.PERSONAL),
        unverified_email=EmailAddress.objects.get(user=newcomer),
        stories=make_stories(member),
    )


def password_reset_path(s: Setting) -> str:
    key = default_token_generator.make_token(s.member)
    return f"/accounts/password/reset/key/{user_pk_to_url_str(s.member)}-{key}/"


def confirm_email_path(s: Setting) -> str:
    return f"/accounts/confirm-email/{EmailConfirmationHMAC(s.unverified_email).key}/"


Prepare = Callable[[Page, Setting], Response | None]


@dataclass(frozen=True)
class Visit:
    """A page, seen by `who` (anonymous, or a person in the Setting, who logs
    in through the form and reauthenticates first). `prepare` brings the page
    about when a plain visit cannot; with `path=None` its last response is
    the page checked."""

    who: str
    path: str | Callable[[Setting], str] | None
    name: str = ""
    status: int = 200
    prepare: Prepare | None = None

    @property
    def id(self) -> str:
        return f"{self.who}:{self.name or self.path}"

    def url(self, s: Setting) -> str | None:
        return self.path(s) if callable(self.path) else self.path


def reach_two_factor_step(page: Page, s: Setting) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(s.secured.email)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")


def fail_to_log_in_too_often(page: Page, s: Setting) -> Response | None:
    response = None
    for _ in range(6):  # allauth allows 5 failures per account in 5 minutes
        page.goto("/accounts/login/")
        page.locator("input[name=login]").fill(s.member.email)
        page.locator("input[name=password]").fill("not the password at all")
        with page.expect_navigation() as navigation:
            page.locator("input[name=password]").press("Enter")
        response = navigation.value
    return response


def start_acting_for_member(page: Page, s: Setting) -> None:
    delegation = Delegation.objects.get(member=s.member, carer=s.carer)
    page.goto("/me/carers/")
    with page.expect_navigation():
        page.locator(f"form[action='/me/carers/{delegation.pk}/act'] button").click()


def passkey_path(action: str) -> Callable[[Setting], str]:
    def path(s: Setting) -> str:
        key = Authenticator.objects.get(
            user=s.secured, type=Authenticator.Type.WEBAUTHN
        )
        return f"/accounts/2fa/webauthn/keys/{key.pk}/{action}/"

    return path


def published_story(s: Setting) -> str:
    return s.stories.published.get_absolute_url()


def organisation_path(s: Setting) -> str:
    return s.stories.organisation.get_absolute_url()


PAGES = [
    # Anyone
    Visit("anonymous", "/"),
    Visit("anonymous", "/accounts/login/"),
    Visit("anonymous", "/accounts/signup/"),
    Visit("anonymous", "/accounts/confirm-email/"),
    Visit("anonymous", confirm_email_path, "confirm-email/<key>"),
    Visit("anonymous", "/accounts/inactive/"),
    Visit("anonymous", "/accounts/password/reset/"),
    Visit("anonymous", "/accounts/password/reset/done/"),
    Visit("anonymous", password_reset_path, "password/reset/key/<key>"),
    Visit("anonymous", "/accounts/password/reset/key/done/"),
    Visit(
        "anonymous",
        "/accounts/2fa/authenticate/",
        "two-factor step of logging in",
        prepare=reach_two_factor_step,
    ),
    Visit(
        "anonymous",
        None,
        "429 after too many failed logins",
        status=429,
        prepare=fail_to_log_in_too_often,
    ),
    Visit("anonymous", lambda s: s.anonymous_persona.get_absolute_url(), "persona"),
    Visit("anonymous", "/no-such-page/", "404", status=404),
    Visit("anonymous", "/admin/login/"),
    # A member
    Visit("member", "/"),
    Visit("member", "/me/"),
    Visit("member", "/me/accessibility/"),
    Visit("member", "/me/personas/"),
    Visit("member", "/me/credentials/"),
    Visit("member", "/me/carers/"),
    Visit("member", "/me/consents/"),
    Visit("member", "/me/data-access/"),
    Visit("member", "/me/tokens/"),
    Visit("member", lambda s: s.member_persona.get_absolute_url(), "own persona"),
    Visit("member", "/accounts/email/"),
    Visit("member", "/accounts/password/change/"),
    Visit("member", "/accounts/reauthenticate/"),
    Visit("member", "/accounts/2fa/"),
    Visit("member", "/accounts/2fa/totp/activate/"),
    Visit("member", "/accounts/2fa/webauthn/"),
    Visit("member", "/accounts/2fa/webauthn/add/"),
    Visit("member", "/accounts/sessions/"),
    Visit("member", "/accounts/logout/"),
    Visit("member", "/admin/login/", "403", status=403),
    Visit("member", "/no-such-page/", "404", status=404),
    # A carer, and the banner shown while acting for someone
    Visit("carer", "/me/carers/"),
    Visit("carer", "/", "acting for a member", prepare=start_acting_for_member),
    # A member with two-factor authentication, recovery codes and a passkey
    Visit("secured", "/accounts/2fa/"),
    Visit("secured", "/accounts/2fa/reauthenticate/"),
    Visit("secured", "/accounts/2fa/recovery-codes/"),
    Visit("secured", "/accounts/2fa/recovery-codes/generate/"),
    Visit("secured", "/accounts/2fa/totp/deactivate/"),
    Visit("secured", "/accounts/2fa/webauthn/"),
    Visit("secured", "/accounts/2fa/webauthn/reauthenticate/"),
    Visit("secured", passkey_path("edit"), "passkey edit"),
    Visit("secured", passkey_path("remove"), "passkey remove"),
    # Care stories
    Visit("anonymous", "/services/"),
    Visit("anonymous", "/services/?q=north", "services search"),
    Visit("anonymous", lambda s: s.stories.organisation.get_absolute_url(), "org"),
    Visit("anonymous", lambda s: s.stories.ward.get_absolute_url(), "service"),
    Visit("anonymous", lambda s: f"{organisation_path(s)}statistics/", "org stats"),
    Visit(
        "anonymous",
        lambda s: f"{s.stories.ward.get_absolute_url()}statistics/",
        "service statistics",
    ),
    Visit("anonymous", "/stories/"),
    Visit("anonymous", "/stories/transparency/"),
    Visit("anonymous", "/stories/principles/"),
    Visit("anonymous", published_story, "published story"),
    Visit("member", "/stories/new/"),
    Visit("member", "/stories/new/?q=ward", "tell with a search result"),
    Visit("member", "/stories/mine/"),
    Visit("member", published_story, "own published story"),
    Visit("member", lambda s: s.stories.waiting.get_absolute_url(), "own waiting"),
    Visit("member", lambda s: f"/stories/{s.stories.waiting.pk}/edit/", "edit"),
    Visit("story_staff", published_story, "story with the reply form"),
    Visit("story_staff", "/staff/"),
    Visit("story_staff", "/staff/alerts/"),
    Visit("story_staff", lambda s: f"{organisation_path(s)}manage/", "manage tree"),
    Visit(
        "story_staff",
        lambda s: f"{organisation_path(s)}manage/services/new/",
        "manage new service",
    ),
    Visit(
        "story_staff",
        lambda s: f"{organisation_path(s)}manage/services/{s.stories.ward.pk}/",
        "manage edit service",
    ),
    Visit(
        "story_staff", lambda s: f"{organisation_path(s)}manage/staff/", "manage staff"
    ),
    Visit("story_staff", lambda s: f"{organisation_path(s)}manage/edit/", "manage org"),
    Visit("story_moderator", "/stories/moderation/"),
    Visit(
        "story_moderator",
        lambda s: f"/stories/{s.stories.waiting.pk}/moderate/",
        "moderate a waiting story",
    ),
    Visit(
        "story_moderator",
        lambda s: f"/stories/{s.stories.published.pk}/moderate/",
        "moderate a published story",
    ),
    Visit("story_moderator", published_story, "story with reply tools"),
    # Powers
    Visit("verifier", "/verify/"),
    Visit("verifier", lambda s: f"/verify/{s.credential.pk}/", "verify/<id>"),
    Visit("administrator", "/admin/"),
    Visit("administrator", "/admin/accounts/user/"),
    Visit(
        "administrator",
        lambda s: f"/admin/accounts/user/{s.member.pk}/change/",
        "admin user change",
    ),
]


def in_community(suffix: str) -> Callable[[Setting], str]:
    return lambda s: f"/c/{tracked(s).community.slug}/{suffix}"


def in_cluster(suffix: str) -> Callable[[Setting], str]:
    return lambda s: f"/clusters/{tracked(s).cluster.slug}/{suffix}"


def of_course(suffix: str = "") -> Callable[[Setting], str]:
    return lambda s: f"/tracking/treatments/{tracked(s).course.pk}/{suffix}"


def of_questionnaire(suffix: str = "") -> Callable[[Setting], str]:
    def path(s: Setting) -> str:
        found = tracked(s).questionnaire
        return f"/c/{found.community.slug}/questionnaires/{found.pk}/{suffix}"

    return path


def treatment_insights(s: Setting) -> str:
    return in_community(f"insights/treatments/{tracked(s).evaluated.pk}/")(s)


def cluster_treatment_insights(s: Setting) -> str:
    return in_cluster(f"insights/treatments/{tracked(s).evaluated.pk}/")(s)


def catalogue_entry(s: Setting) -> str:
    return in_community(f"catalogue/symptoms/{tracked(s).own_symptom.pk}/")(s)


def first_question(s: Setting) -> str:
    question = tracked(s).questionnaire.questions.order_by("position").first()
    assert question is not None
    return of_questionnaire(f"questions/{question.pk}/")(s)


def upload_check_ins(csv: str) -> Prepare:
    """Has the import check a check_ins.csv; its answer is the page checked."""

    def prepare(page: Page, s: Setting) -> Response | None:
        page.goto("/tracking/import/")
        upload = FilePayload(
            name="check_ins.csv", mimeType="text/csv", buffer=csv.encode()
        )
        page.get_by_label("Your file").set_input_files(files=[upload])
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Check the file").click()
        return navigation.value

    return prepare


def a_day_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def good_check_ins() -> str:
    return f"day,symptom,severity,mood,note\n{a_day_ago(25)},Fatigue,2,okay,\n"


def bad_check_ins() -> str:
    return good_check_ins() + f"{a_day_ago(26)},Fatigue,awful,,\n"


def check_in_a_past_day(page: Page, s: Setting) -> Response | None:
    return page.goto(f"/tracking/check-in/?day={a_day_ago(2)}")


TRACKING_PAGES = [
    # The member's own tracking
    Visit("member", "/tracking/"),
    Visit("member", "/tracking/check-in/"),
    Visit("member", None, "check-in of a past day", prepare=check_in_a_past_day),
    Visit("member", "/tracking/check-ins/"),
    Visit("member", "/tracking/conditions/"),
    Visit(
        "member",
        lambda s: f"/tracking/conditions/{tracked(s).condition.pk}/edit/",
        "condition edit",
    ),
    Visit("member", "/tracking/symptoms/"),
    Visit("member", "/tracking/treatments/"),
    Visit("member", of_course(), "course"),
    Visit("member", of_course("edit/"), "course edit"),
    Visit("member", of_course("stop/"), "course stop"),
    Visit("member", of_course("evaluate/"), "course evaluate"),
    Visit("member", of_course("delete/"), "course delete"),
    Visit("member", "/tracking/chart/"),
    Visit("member", "/tracking/chart/?months=12", "chart of a year"),
    Visit("member", "/tracking/import/"),
    Visit("member", "/tracking/import/format/"),
    Visit(
        "member",
        None,
        "import report with a problem",
        status=400,
        prepare=upload_check_ins(bad_check_ins()),
    ),
    Visit(
        "member",
        None,
        "import ready to confirm",
        prepare=upload_check_ins(good_check_ins()),
    ),
    Visit("member", "/tracking/export/"),
    Visit("member", "/tracking/carried-over/"),
    Visit("member", "/tracking/questionnaires/"),
    Visit(
        "member",
        lambda s: f"/tracking/questionnaires/responses/{tracked(s).response.pk}/",
        "questionnaire response",
    ),
    Visit("member", "/me/data-access/", "access to my data, with releases"),
    # A member with nothing tracked yet
    Visit("secured", "/tracking/", "tracking home, empty"),
    Visit("secured", "/tracking/check-in/", "check-in choosing symptoms first"),
    Visit("secured", "/tracking/chart/", "chart, empty"),
    # A carer acting for the member
    Visit("carer", "/tracking/", "tracking acting", prepare=start_acting_for_member),
    Visit(
        "carer",
        "/tracking/check-in/",
        "check-in acting",
        prepare=start_acting_for_member,
    ),
    # A community's catalogue and questionnaires
    Visit("anonymous", in_community("catalogue/"), "catalogue"),
    Visit("member", in_community("questionnaires/"), "questionnaires"),
    Visit("member", of_questionnaire(), "questionnaire"),
    Visit("member", of_questionnaire("answer/"), "questionnaire answer"),
    Visit("organiser", in_community("catalogue/"), "catalogue for organisers"),
    Visit("organiser", in_community("catalogue/symptoms/new/"), "catalogue add"),
    Visit("organiser", catalogue_entry, "catalogue edit"),
    Visit("organiser", in_community("questionnaires/"), "questionnaires organiser"),
    Visit("organiser", in_community("questionnaires/new/"), "questionnaire new"),
    Visit("organiser", of_questionnaire("edit/"), "questionnaire edit"),
    Visit("organiser", of_questionnaire("questions/"), "questionnaire questions"),
    Visit("organiser", first_question, "questionnaire question edit"),
    Visit("organiser", of_questionnaire("results/"), "questionnaire results"),
    # Community insights
    Visit("anonymous", in_community("insights/"), "insights"),
    Visit("anonymous", treatment_insights, "treatment insights"),
    Visit("anonymous", in_cluster("insights/"), "cluster insights"),
    Visit("anonymous", cluster_treatment_insights, "cluster treatment insights"),
    Visit("anonymous", "/insights/how-we-count/"),
    Visit("member", in_community("insights/"), "insights as a member"),
    # Research access
    Visit("anonymous", "/research/how-it-works/"),
    Visit("anonymous", in_community("data-releases/"), "data-release register"),
    Visit("researcher", "/research/"),
    Visit(
        "researcher",
        lambda s: f"/research/requests/{tracked(s).approved.pk}/",
        "approved request with releases",
    ),
    Visit(
        "researcher",
        lambda s: f"/research/requests/{tracked(s).pending.pk}/",
        "pending request",
    ),
    Visit("organiser", in_community("research/"), "research review"),
    Visit(
        "organiser",
        lambda s: f"/research/requests/{tracked(s).pending.pk}/",
        "request to decide",
    ),
]


def sign_in(who: str, s: Setting, page: Page, log_in: LogIn) -> None:
    if who == "anonymous":
        return
    user: User = getattr(s, who)
    secret: str = getattr(s, f"{who}_secret", "")
    log_in(page, user.email, totp_secret=secret)
    reauthenticate(page)  # else allauth's security pages show its password form


@pytest.mark.parametrize("visit", PAGES, ids=[visit.id for visit in PAGES])
def test_page_has_no_serious_accessibility_violations(
    visit: Visit, setting: Setting, page: Page, log_in: LogIn
) -> None:
    check_page(visit, setting, page, log_in)


@pytest.mark.parametrize(
    "visit", TRACKING_PAGES, ids=[f"tracking:{visit.id}" for visit in TRACKING_PAGES]
)
def test_tracking_page_has_no_serious_accessibility_violations(
    visit: Visit, setting: Setting, page: Page, log_in: LogIn
) -> None:
    setting.tracking = make_tracking(setting)
    check_page(visit, setting, page, log_in)


def check_page(visit: Visit, setting: Setting, page: Page, log_in: LogIn) -> None:
    sign_in(visit.who, setting, page, log_in)
    response = visit.prepare(page, setting) if visit.prepare else None

    url = visit.url(setting)
    if url is not None:
        response = page.goto(url)

    assert response is not None
    assert response.status == visit.status, (
        f"{visit.id} answered {response.status}, landed on {page.url}"
    )
    assert_accessible(page)


def font_size(page: Page) -> float:
    size: str = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    return float(size.removesuffix("px"))


def choose_text_size(page: Page, size: str) -> None:
    field = page.locator("[name=text_size]")
    if field.first.evaluate("element => element.tagName") == "SELECT":
        field.select_option(size)
    else:
        page.check(f"input[name=text_size][value={size}]")


def test_accessibility_preferences_change_the_page(
    member: User, context: BrowserContext, page: Page, log_in_by_cookie: LogInByCookie
) -> None:
    log_in_by_cookie(context, member)
    page.goto("/me/accessibility/")
    normal_size = font_size(page)

    choose_text_size(page, User.TextSize.LARGE)
    page.check("input[name=high_contrast]")
    page.check("input[name=reduced_motion]")
    form = page.locator("form", has=page.locator("[name=text_size]"))
    with page.expect_navigation():
        form.locator("button[type=submit], input[type=submit]").first.click()
    page.goto("/me/")

    classes = page.evaluate("[...document.documentElement.classList]")
    assert {"text-large", "high-contrast", "reduced-motion"} <= set(classes)
    assert font_size(page) > normal_size
    assert_accessible(page)  # the high-contrast colours keep their contrast
    member.refresh_from_db()
    assert member.text_size == User.TextSize.LARGE
    assert member.high_contrast
    assert member.reduced_motion


def test_the_accessibility_check_finds_violations(page: Page) -> None:
    # Guards against a check that silently passes (axe not loaded, wrong filter).
    page.goto("/no-such-page/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        ' \'<img src="/static/favicon.svg"><input type="text">\')'
    )

    found: list[dict[str, Any]] = serious_violations(page)

    assert {"image-alt", "label"} <= {violation["id"] for violation in found}


def test_pages_are_checked_under_the_real_content_security_policy(page: Page) -> None:
    response = page.goto("/")
    assert response is not None
    assert "script-src" in (response.header_value("content-security-policy") or "")
    assert_accessible(page)
