"""Demo communities, made through the same services as real use: a cluster of
three sibling communities, and one hidden community. Loading twice changes
nothing: each piece is made only if it is missing."""

from django.db import transaction

from kinwell.accounts.models import User
from kinwell.communities import services
from kinwell.communities.models import Cluster, Community, Membership

CLUSTER = "Long COVID UK"
NORTH, MIDLANDS, SOUTH = "Long COVID North", "Long COVID Midlands", "Long COVID South"
HIDDEN = "Evening Circle"

CHARTER = """## Purpose

A small, kind place for people living with {topic}, and the people who care
for them, to share what helps.

## Rules

- Be gentle. Everyone here is tired some days.
- No selling, and no medical advice presented as certain.
- What is said here stays here.

## What happens to your data

Your posts belong to you. When you leave, you choose whether they stay (shown
as written by "a former member") or go. The community can be exported or
forked; only the posts of members who agree go with a fork.
"""


@transaction.atomic
def load_demo(people: dict[str, User]) -> list[str]:
    """Makes what is missing and returns a line for each thing it made."""
    alex = people["alex@demo.kinwell.test"]
    casey = people["casey@demo.kinwell.test"]
    nia = people["nia@demo.kinwell.test"]
    made: list[str] = []
    north = _community(alex, NORTH, made, visibility="public", join_policy="open")
    if north is not None:
        for person in (nia, casey):
            services.join_community(person, community=north)
        services.change_role(alex, community=north, member=nia, role="organiser")
        _with_cluster(alex, north)
    midlands = _community(alex, MIDLANDS, made, visibility="members")
    if midlands is not None:
        services.join_community(casey, community=midlands)
        _move(alex, midlands)
    south = _community(
        nia,
        SOUTH,
        made,
        join_policy="request",
        join_question="What would you like from the group?",
    )
    if south is not None:
        _move(nia, south)
        services.join_community(alex, community=south, answer="Company, mostly.")
    hidden = _community(
        nia, HIDDEN, made, visibility="hidden", join_policy="invite", topic="Care"
    )
    if hidden is not None:
        link = services.create_invite_link(nia, community=hidden, days=30, max_uses=10)
        services.join_by_invite(alex, link=link)
    return made


def _community(
    organiser: User,
    name: str,
    made: list[str],
    *,
    visibility: str = "public",
    join_policy: str = "open",
    join_question: str = "",
    topic: str = "Long COVID",
) -> Community | None:
    """A new community, or None when it is already there."""
    if Community.objects.filter(name=name).exists():
        return None
    community = services.create_community(
        organiser,
        name=name,
        topic=topic,
        description=f"A small peer-support group: {name}.",
        charter=CHARTER.format(topic=topic),
        visibility=visibility,
        join_policy=join_policy,
        join_question=join_question,
    )
    made.append(f"community {name}")
    return community


def _with_cluster(organiser: User, community: Community) -> Community:
    if not Cluster.objects.filter(name=CLUSTER).exists():
        services.create_cluster(
            organiser,
            community=community,
            name=CLUSTER,
            description="Sibling communities for people with Long COVID.",
        )
    else:
        _move(organiser, community)
    return community


def _move(organiser: User, community: Community) -> None:
    cluster = Cluster.objects.filter(name=CLUSTER).first()
    organises = Membership.objects.filter(
        user=organiser,
        role=Membership.Role.ORGANISER,
        community__cluster=cluster,
    ).exists()
    if cluster is not None and organises:
        services.move_to_cluster(organiser, community=community, cluster=cluster)
