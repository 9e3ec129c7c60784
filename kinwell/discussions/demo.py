"""Demo discussions, made through the same services as real use: lively
threads with replies, quotes and reactions in the demo communities, a post
by a carer for the member they care for, an anonymous nurse's answer, a held
post waiting for a moderator, and a moderation log with entries.

Moderating needs two-factor authentication, so the demo has a moderator,
Morgan, whose authenticator secret is printed with the demo logins. Loading
twice changes nothing: the threads are made only if missing."""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from kinwell.accounts import services as account_services
from kinwell.accounts.models import Delegation, Persona, User
from kinwell.communities import services as community_services
from kinwell.communities.models import Community, Membership
from kinwell.discussions import services
from kinwell.discussions.models import DiscussionSettings, Tag, Thread
from kinwell.discussions.moderation import sanctions
from kinwell.discussions.moderation import services as moderation
from kinwell.lib import ratelimit

# Fixed secrets, so that people trying the demo can add Morgan and Nia to an
# authenticator app. Never used outside the demo.
MODERATOR_TOTP_SECRET = "KINWELLDEMOMODERATORSECRET234567"  # noqa: S105
NURSE_TOTP_SECRET = "KINWELLDEMONURSESECRETABCDEFGHIJ"  # noqa: S105
WELCOME = "Welcome: start here"


@transaction.atomic
def load_demo(people: dict[str, User]) -> list[str]:
    north = Community.objects.filter(name="Long COVID North").first()
    if north is None or Thread.objects.filter(community=north).exists():
        return []
    alex = people["alex@demo.kinwell.test"]
    casey = people["casey@demo.kinwell.test"]
    nia = people["nia@demo.kinwell.test"]
    morgan = _moderator(north, alex)
    _with_authenticator(nia, NURSE_TOTP_SECRET)
    with ratelimit.suspended():
        _north(north, alex=alex, casey=casey, nia=nia, morgan=morgan)
        _elsewhere(alex=alex, casey=casey)
        _held_post(north)
    return ["demo discussions, a held post and a moderation log"]


def _moderator(community: Community, organiser: User) -> User:
    morgan = _demo_account("morgan@demo.kinwell.test", "Morgan")
    _with_authenticator(morgan, MODERATOR_TOTP_SECRET)
    if not Membership.objects.filter(community=community, user=morgan).exists():
        community_services.join_community(morgan, community=community)
        community_services.change_role(
            organiser, community=community, member=morgan, role="moderator"
        )
    return morgan


def _with_authenticator(user: User, secret: str) -> None:
    if not Authenticator.objects.filter(user=user, type="totp").exists():
        TOTP.activate(user, secret)


def _north(
    north: Community, *, alex: User, casey: User, nia: User, morgan: User
) -> None:
    sleep = services.create_tag(morgan, community=north, name="Sleep")
    work = services.create_tag(morgan, community=north, name="Work")
    services.create_tag(morgan, community=north, name="Pacing")
    welcome = services.start_thread(
        morgan,
        community=north,
        title=WELCOME,
        body=(
            "Hello and welcome. This is a small group: say hello, tell us as "
            "much or as little as you like, and read the charter.\n\n"
            "**Be gentle.** Everyone here is tired some days."
        ),
    )
    moderation.set_thread_state(
        morgan,
        thread=welcome,
        state="pin",
        reason="So that newcomers find it first.",
        signed=True,
    )
    _reply_all(
        welcome,
        [
            (alex, "Hi all. Eighteen months in, still learning to pace."),
            (nia, "Hello! I'm a nurse and I live with it too. Glad you're here."),
        ],
    )
    _fog_at_work(north, alex=alex, nia=nia, work=work)
    _sleep(north, alex=alex, casey=casey, sleep=sleep)
    _spam(north, morgan=morgan)


def _reply_all(thread: Thread, replies: list[tuple[User, str]]) -> None:
    for author, body in replies:
        services.reply(author, thread=thread, body=body)


def _fog_at_work(north: Community, *, alex: User, nia: User, work: Tag) -> None:
    thread = services.start_thread(
        alex,
        community=north,
        title="Explaining brain fog to my manager",
        body=(
            "I'm going back to work part-time next month. How did you explain "
            "brain fog to your manager? I lose words mid-sentence and I worry "
            "it looks like I'm not trying."
        ),
        tags=[work],
    )
    anonymous = Persona.objects.get(user=nia, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL)
    first = services.reply(
        nia,
        thread=thread,
        persona=anonymous,
        body=(
            "From the clinical side: an occupational health referral helps. "
            "Ask for a phased return written down, with rest breaks, and a "
            "note that symptoms can fluctuate day to day.\n\n"
            "- Agree which tasks are for good days\n"
            "- Keep written notes of meetings\n"
            "- Review after four weeks"
        ),
    )
    services.toggle_reaction(alex, post=first, kind="helpful")
    services.toggle_reaction(alex, post=first, kind="thank_you")
    services.reply(
        alex,
        thread=thread,
        in_reply_to=first,
        body=(
            "> Ask for a phased return written down\n\n"
            "Thank you, that is exactly what I needed to hear."
        ),
    )


def _sleep(north: Community, *, alex: User, casey: User, sleep: Tag) -> None:
    delegation = Delegation.objects.filter(
        carer=casey, member=alex, status=Delegation.Status.ACTIVE
    ).first()
    thread = services.start_thread(
        casey,
        community=north,
        title="Sleeping in the afternoon: does it help or hurt?",
        body=(
            "Writing this for Alex, who is having a rough week. Do afternoon "
            "naps make your nights worse, or do you need them?"
        ),
        on_behalf_of=delegation,
        tags=[sleep],
        content_warning="mentions low mood",
    )
    reply = services.reply(
        casey,
        thread=thread,
        body=(
            "Twenty minutes, lying down, before 3pm. Longer and I'm awake at "
            "2am. Sending you both strength."
        ),
    )
    services.toggle_reaction(alex, post=reply, kind="me_too")
    services.toggle_reaction(alex, post=reply, kind="strength")


def _spam(north: Community, *, morgan: User) -> None:
    seller = _demo_account("sam.seller@demo.kinwell.test", "Sam")
    community_services.join_community(seller, community=north)
    thread = Thread.objects.get(community=north, title=WELCOME)
    spam = services.reply(
        seller,
        thread=thread,
        body="Cure Long COVID in 7 days with our supplement! Message me.",
    )
    moderation.hide_post(
        morgan,
        post=spam,
        reason="Selling a supplement with claims of a cure: against the charter.",
    )
    sanctions.warn_member(
        morgan,
        community=north,
        member=seller,
        reason="Advertising is not allowed here.",
    )


def _elsewhere(*, alex: User, casey: User) -> None:
    """A members-only community's thread, in Midlands."""
    midlands = Community.objects.filter(name="Long COVID Midlands").first()
    if midlands is not None:
        thread = services.start_thread(
            alex,
            community=midlands,
            title="Small wins this week",
            body="I walked to the end of the road and back. Your turn!",
        )
        services.reply(casey, thread=thread, body="I cooked a whole meal. Slowly.")


def _held_post(north: Community) -> None:
    """North holds a new member's first post for a moderator: Jo's is
    waiting in the moderation queue."""
    DiscussionSettings.objects.update_or_create(
        community=north, defaults={"hold_first_posts": 1}
    )
    jo = _demo_account("jo@demo.kinwell.test", "Jo")
    community_services.join_community(jo, community=north)
    thread = Thread.objects.get(community=north, title=WELCOME)
    services.reply(jo, thread=thread, body="Hello, I'm Jo. New here and a bit nervous.")


def _demo_account(email: str, name: str) -> User:
    from kinwell.web.demo import DEMO_PASSWORD

    found = User.objects.filter(email=email).first()
    if found is not None:
        return found
    return account_services.create_account(email, DEMO_PASSWORD, display_name=name)
