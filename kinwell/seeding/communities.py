"""Communities: mostly public, some members-only, a few hidden; siblings
gathered in clusters; members with an organiser and moderators each."""

import random
from datetime import datetime, timedelta

from django.utils.text import slugify

from kinwell.communities.models import Cluster, Community, Membership
from kinwell.communities.sizes import instance_max_size
from kinwell.seeding import text
from kinwell.seeding.registry import BASE, Context, SeededCommunity

HISTORY_DAYS = 700
VISIBILITIES = [
    (Community.Visibility.PUBLIC, 0.8),
    (Community.Visibility.MEMBERS_ONLY, 0.15),
    (Community.Visibility.HIDDEN, 0.05),
]
MODERATORS = 2
CLUSTERED = 0.6


def seed_communities(context: Context) -> None:
    rng = context.rng
    names = text.community_names(rng, context.scale.communities)
    clusters = _clusters(rng, [condition for condition, _ in names])
    communities = Community.objects.bulk_create(
        _community(rng, index, name, clusters.get(condition))
        for index, (condition, name) in enumerate(names)
    )
    context.count("communities", len(communities))
    cap = min(Community._meta.get_field("size_cap").default, instance_max_size())
    for community in communities:
        size = max(3, int(min(cap, len(context.user_ids)) * rng.uniform(0.35, 1.0)))
        member_ids = rng.sample(context.user_ids, size)
        context.communities.append(
            SeededCommunity(
                id=community.pk,
                slug=community.slug,
                visibility=community.visibility,
                created_at=community.created_at,
                member_ids=member_ids,
                moderator_ids=member_ids[: 1 + MODERATORS],
            )
        )
    _memberships(context)


def _clusters(rng: random.Random, conditions: list[str]) -> dict[str, Cluster]:
    """A cluster for most conditions with more than one community."""
    repeated = sorted({c for c in conditions if conditions.count(c) > 1})
    chosen = [c for c in repeated if rng.random() < CLUSTERED]
    made = Cluster.objects.bulk_create(
        Cluster(
            name=f"{condition} communities",
            slug=slugify(condition)[:50] or "cluster",
            description=f"Sibling communities for people living with {condition}.",
            created_at=BASE - timedelta(days=HISTORY_DAYS + 30),
        )
        for condition in chosen
    )
    return dict(zip(chosen, made, strict=True))


def _community(
    rng: random.Random, index: int, name: str, cluster: Cluster | None
) -> Community:
    # The first is public, so there is always a big community anyone can read.
    visibility = Community.Visibility.PUBLIC
    if index > 0:
        kinds, weights = zip(*VISIBILITIES, strict=True)
        visibility = rng.choices(kinds, weights)[0]
    return Community(
        name=name,
        slug=_slug(name, index),
        topic=name.rsplit(" ", 1)[0],
        description=f"Peer support for {name}: {rng.choice(text.TOPICS)}, "
        f"{rng.choice(text.TOPICS)} and everyday life.",
        charter=_charter(name),
        visibility=visibility,
        join_policy=_join_policy(rng, visibility),
        cluster=cluster,
        created_at=BASE - timedelta(days=HISTORY_DAYS, minutes=rng.randrange(60_000)),
    )


def _slug(name: str, index: int) -> str:
    # The index keeps slugs unique even where names meet after slugify.
    return f"{slugify(name)[:50]}-{index + 1}"


def _join_policy(rng: random.Random, visibility: str) -> str:
    if visibility == Community.Visibility.HIDDEN:
        return Community.JoinPolicy.INVITE
    if rng.random() < 0.8:
        return Community.JoinPolicy.OPEN
    return Community.JoinPolicy.REQUEST


def _charter(name: str) -> str:
    return (
        f"## What {name} is for\n\n"
        "Sharing what living with it is like, and what helps.\n\n"
        "## Our rules\n\n"
        "- Be kind; everyone here is tired.\n"
        "- No selling, no miracle cures.\n"
        "- Medical questions are welcome, but see your GP for advice.\n\n"
        "## Your data\n\n"
        "Posts stay in this community; you can take them with you or away."
    )


def _memberships(context: Context) -> None:
    rng = context.rng
    rows: list[Membership] = []
    for community in context.communities:
        for position, user_id in enumerate(community.member_ids):
            joined = _joined(rng, community.created_at, position)
            rows.append(
                Membership(
                    community_id=community.id,
                    user_id=user_id,
                    role=_role(position),
                    joined_at=joined,
                    last_active_at=joined + (BASE - joined) * rng.random(),
                )
            )
        if len(rows) >= context.scale.batch:
            Membership.objects.bulk_create(rows)
            context.count("memberships", len(rows))
            rows = []
    Membership.objects.bulk_create(rows)
    context.count("memberships", len(rows))


def _role(position: int) -> str:
    if position == 0:
        return Membership.Role.ORGANISER
    if position <= MODERATORS:
        return Membership.Role.MODERATOR
    return Membership.Role.MEMBER


def _joined(rng: random.Random, founded: datetime, position: int) -> datetime:
    if position == 0:
        return founded
    return founded + timedelta(days=rng.randrange(30)) * rng.random()
