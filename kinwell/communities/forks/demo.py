"""Demo data for forks: a small community and a confirmed fork of it, made
through the fork services. Loading twice changes nothing."""

from django.db import transaction
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities.forks import services
from kinwell.communities.models import Community, ForkProposal, Membership

ORIGINAL_SLUG = "demo-fatigue-support"
FORK_SLUG = "demo-fatigue-evenings"


@transaction.atomic
def load_demo(people: dict[str, User]) -> list[str]:
    """Makes what is missing and returns a line for each thing it made.
    `people` are the demo accounts by email."""
    made: list[str] = []
    if ForkProposal.objects.filter(slug=FORK_SLUG).exists():
        return made
    alex = people["alex@demo.kinwell.test"]
    casey = people["casey@demo.kinwell.test"]
    nia = people["nia@demo.kinwell.test"]
    val = people["val@demo.kinwell.test"]
    original = _original(alex, [casey, nia, val], made)
    proposal = services.propose_fork(
        nia,
        community=original,
        name="Fatigue Support: Evenings",
        slug=FORK_SLUG,
        reason="Many of us are only up to talking in the evening. A smaller "
        "group that meets then could be calmer.",
        charter=original.charter + "\n\nWe meet online on weekday evenings.",
        bring_posts=True,
    )
    services.choose_fork(alex, proposal=proposal, joins=True, bring_posts=True)
    services.choose_fork(casey, proposal=proposal, joins=False, bring_posts=False)
    services.comment_on_fork(
        alex, proposal=proposal, body="Good idea. I will join both."
    )
    # Demo data skips the notice period: nobody should wait a week to see a fork.
    now = timezone.now()
    ForkProposal.objects.filter(pk=proposal.pk).update(confirmable_at=now)
    proposal.confirmable_at = now
    services.confirm_fork(nia, proposal=proposal)
    made.append(f"fork {FORK_SLUG} of {ORIGINAL_SLUG}")
    return made


def _original(organiser: User, members: list[User], made: list[str]) -> Community:
    community = Community.objects.filter(slug=ORIGINAL_SLUG).first()
    if community is not None:
        return community
    # Made directly: the demo of forks needs only a small community to fork.
    community = Community.objects.create(
        name="Fatigue Support",
        slug=ORIGINAL_SLUG,
        topic="Fatigue",
        description="Peer support for people living with long-term fatigue.",
        charter="## Purpose\n\nSupport each other, gently.\n\n## Rules\n\nBe kind.",
    )
    Membership.objects.create(
        community=community, user=organiser, role=Membership.Role.ORGANISER
    )
    Membership.objects.bulk_create(
        Membership(community=community, user=user) for user in members
    )
    made.append(f"community {ORIGINAL_SLUG}")
    return community
