"""What each scenario asks for, read from the seeded database: pages,
threads, posts and words that exist, and signed-in sessions of seeded
members (made here as `Client.force_login` makes them, so no password is
needed), with a CSRF cookie and token for their POSTs.

Writes are spread over many members because every account has its own rate
limits (writes per minute, posts per ten minutes); the benchmark measures
the server, not one account hitting its limit."""

import math
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.db.models import Count, Max, Min
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.module_loading import import_string

from kinwell.accounts.middleware import note_seen
from kinwell.accounts.models import User
from kinwell.bench.lua import Request
from kinwell.communities import access as community_access
from kinwell.communities.models import Community, Membership
from kinwell.communities.views import PAGE_SIZE
from kinwell.discussions.models import Post, Sanction, Thread
from kinwell.discussions.pages import POSTS_PER_PAGE, THREADS_PER_PAGE
from kinwell.stories.models import Service, Story
from kinwell.tracking.models import CheckIn, InsightSnapshot, TrackedSymptom

USER_AGENT = "kinwell-bench"
# How many requests of each kind a list holds; wrk cycles through them.
LIST_SIZE = 1000
READERS = 50
WRITERS = 400
REPLIES = (
    "Thank you for writing this. I had the same thing last winter and "
    "**pacing** was what finally helped.",
    "> some days are better than others\n\nYes. I keep a diary now, and it "
    "shows me the pattern after a bad week.",
    "My GP suggested smaller tasks and more breaks. It sounds obvious, but "
    "it took me months to actually do it.",
    "I'm sorry you're having a hard time. Rest first, then see how you feel "
    "tomorrow; there is no rush to answer anyone.",
)
REACTIONS = ("me_too", "thank_you", "strength")


@dataclass(frozen=True)
class Member:
    user_id: int
    session_key: str
    csrf_cookie: str
    csrf_token: str

    def headers(self) -> dict[str, str]:
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={self.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={self.csrf_cookie}"
        )
        return {"Cookie": cookie, "X-CSRFToken": self.csrf_token}


def sign_in(user: User) -> Member:
    """A session for `user`, saved in the database the server reads."""
    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    request = HttpRequest()
    request.session = engine()
    request.META.update(REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT=USER_AGENT)
    request.user = AnonymousUser()  # login() replaces it with the member
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # What signing in through allauth adds: the session in "Your sessions".
    record_session(request)
    session: SessionBase = request.session
    session.save()
    token = get_token(request)
    return Member(
        user_id=user.pk,
        session_key=session.session_key or "",
        csrf_cookie=request.META["CSRF_COOKIE"],
        csrf_token=token,
    )


def record_session(request: HttpRequest) -> None:
    from allauth.usersessions.models import UserSession

    UserSession.objects.create_from_request(request)
    note_seen(request)


def sign_out(members: Iterable[Member]) -> None:
    """Removes the benchmark's sessions (and their session records)."""
    from allauth.usersessions.models import UserSession

    keys = [member.session_key for member in members]
    UserSession.objects.filter(session_key__in=keys).delete()
    Session.objects.filter(session_key__in=keys).delete()


def posting_members(limit: int, *, skip: int = 0) -> list[User]:
    """Members (not moderators, nobody under a sanction) in order of id."""
    sanctioned = Sanction.objects.values("user_id")
    found = (
        User.objects.filter(is_active=True, memberships__role=Membership.Role.MEMBER)
        .exclude(pk__in=sanctioned)
        .distinct()
        .order_by("pk")
    )
    return list(found[skip : skip + limit])


def _get(path: str, member: Member | None = None) -> Request:
    headers = {"User-Agent": USER_AGENT}
    if member is not None:
        headers.update(member.headers())
    return {"method": "GET", "path": path, "headers": headers, "body": ""}


def _post(path: str, member: Member, fields: dict[str, str], *, htmx: bool) -> Request:
    headers = {
        "User-Agent": USER_AGENT,
        "Content-Type": "application/x-www-form-urlencoded",
        **member.headers(),
    }
    if htmx:
        headers["HX-Request"] = "true"
    return {
        "method": "POST",
        "path": path,
        "headers": headers,
        "body": urlencode(fields),
    }


# Reading ----------------------------------------------------------------------


def floor(rng: random.Random) -> list[Request]:
    bounds = Post.objects.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"] or 0, bounds["high"] or 0
    top = max(low, high - 20)
    return [_get(f"/bench/floor?after={rng.randint(low, top)}") for _ in range(200)]


def home() -> list[Request]:
    return [_get("/")]


def directory() -> list[Request]:
    listed = community_access.directory(AnonymousUser(), "").count()
    pages = max(1, math.ceil(listed / PAGE_SIZE))
    return [_get("/communities/")] + [
        _get(f"/communities/?page={n}") for n in range(2, pages + 1)
    ]


def thread_lists() -> list[Request]:
    requests = []
    for slug in _public_slugs():
        threads = Thread.objects.filter(
            community__slug=slug,
            status=Thread.Status.PUBLISHED,
            audience=Thread.Audience.EVERYONE,
        ).count()
        pages = max(1, math.ceil(threads / THREADS_PER_PAGE))
        requests += [
            _get(f"/c/{slug}/threads/?page={n}") for n in range(1, min(pages, 5) + 1)
        ]
    return requests


def _public_slugs() -> list[str]:
    return list(
        Community.objects.filter(visibility=Community.Visibility.PUBLIC)
        .order_by("pk")
        .values_list("slug", flat=True)
    )


@dataclass(frozen=True)
class Listed:
    pk: int
    slug: str
    community_id: int
    post_count: int

    def page_path(self, rng: random.Random) -> str:
        pages = max(1, math.ceil(self.post_count / POSTS_PER_PAGE))
        return f"/c/{self.slug}/t/{self.pk}/?page={rng.randint(1, pages)}"


def _threads(**conditions: object) -> list[Listed]:
    rows = Thread.objects.filter(status=Thread.Status.PUBLISHED, **conditions)
    return [
        Listed(pk=pk, slug=slug, community_id=community, post_count=count)
        for pk, slug, community, count in rows.order_by("pk").values_list(
            "pk", "community__slug", "community_id", "post_count"
        )
    ]


def visitor_thread_pages(rng: random.Random) -> list[Request]:
    threads = _threads(
        community__visibility=Community.Visibility.PUBLIC,
        audience=Thread.Audience.EVERYONE,
    )
    return [_get(t.page_path(rng)) for t in _sample(rng, threads)]


def member_thread_pages(rng: random.Random, members: list[Member]) -> list[Request]:
    by_community = _threads_by_community()
    requests = []
    for member, community in _member_communities(rng, members):
        for listed in _pick(rng, by_community.get(community, []), 20):
            requests.append(_get(listed.page_path(rng), member))
    rng.shuffle(requests)
    return requests[:LIST_SIZE]


def _threads_by_community() -> dict[int, list[Listed]]:
    grouped: dict[int, list[Listed]] = {}
    for listed in _threads():
        grouped.setdefault(listed.community_id, []).append(listed)
    return grouped


def _member_communities(
    rng: random.Random, members: list[Member]
) -> list[tuple[Member, int]]:
    """Each member with one of their communities."""
    belongs: dict[int, list[int]] = {}
    rows = Membership.objects.filter(user_id__in=[m.user_id for m in members])
    for user_id, community_id in rows.values_list("user_id", "community_id"):
        belongs.setdefault(user_id, []).append(community_id)
    return [
        (member, community)
        for member in members
        for community in _pick(rng, belongs.get(member.user_id, []), 3)
    ]


def _pick[T](rng: random.Random, items: list[T], k: int) -> list[T]:
    return rng.sample(items, k=min(k, len(items)))


def _sample[T](rng: random.Random, items: list[T]) -> list[T]:
    return _pick(rng, items, LIST_SIZE)


# Six letters or more: the words people look for, not "about" or "after".
WORD = re.compile(r"[a-z]{6,14}")


def search_words(rng: random.Random, count: int = 40) -> list[str]:
    """Common words of the posts themselves, so every search finds something."""
    ids = list(Post.objects.order_by("pk").values_list("pk", flat=True)[:20000])
    bodies = Post.objects.filter(pk__in=_pick(rng, ids, 300)).values_list(
        "body", flat=True
    )
    counted: Counter[str] = Counter()
    for body in bodies:
        counted.update(set(WORD.findall(body.lower())))
    return [word for word, seen in counted.most_common(count) if seen > 1]


def searches(rng: random.Random, members: list[Member]) -> list[Request]:
    words = search_words(rng)
    return [
        _get(f"/search/?{urlencode({'q': word})}", rng.choice(members))
        for word in words
        for _ in range(5)
    ]


def notifications(members: list[Member]) -> list[Request]:
    return [_get("/notifications/", member) for member in members]


def story_pages(rng: random.Random) -> list[Request]:
    """Published stories drawn over all their ids, as a visitor."""
    ids = list(Story.objects.published().order_by("pk").values_list("pk", flat=True))
    return [_get(f"/stories/{pk}/") for pk in _sample(rng, ids)]


def service_statistics(rng: random.Random) -> list[Request]:
    """The statistics of services drawn over every organisation's tree, from
    whole sites to single services, as a visitor."""
    services = list(
        Service.objects.order_by("pk").values_list("organisation__slug", "pk")
    )
    return [
        _get(f"/services/{slug}/{pk}/statistics/")
        for slug, pk in _sample(rng, services)
    ]


# Writing ----------------------------------------------------------------------


def replies(rng: random.Random, members: list[Member]) -> list[Request]:
    """Each writer replies in threads of their own communities that take replies."""
    open_threads = _threads(is_locked=False, is_closed=False)
    by_community: dict[int, list[Listed]] = {}
    for listed in open_threads:
        by_community.setdefault(listed.community_id, []).append(listed)
    requests: list[Request] = []
    for member, community in _member_communities(rng, members):
        for listed in _pick(rng, by_community.get(community, []), 3):
            body = f"{rng.choice(REPLIES)}\n\n(Reply {len(requests) + 1}.)"
            path = f"/c/{listed.slug}/t/{listed.pk}/reply"
            requests.append(_post(path, member, {"body": body}, htmx=False))
    rng.shuffle(requests)
    return requests


def reactions(rng: random.Random, members: list[Member]) -> list[Request]:
    """Each reactor toggles reactions on other people's published posts in
    their own communities (htmx, as the page's buttons send them)."""
    requests: list[Request] = []
    for member, community in _member_communities(rng, members):
        offset = rng.randrange(50)
        for pk, slug in _posts_to_react_to(community, member.user_id, offset):
            fields = {"kind": rng.choice(REACTIONS)}
            path = f"/c/{slug}/p/{pk}/react"
            requests.append(_post(path, member, fields, htmx=True))
    rng.shuffle(requests)
    return requests


def _posts_to_react_to(
    community: int, user_id: int, offset: int
) -> list[tuple[int, str]]:
    found = (
        Post.objects.filter(
            community_id=community,
            status=Post.Status.PUBLISHED,
            thread__status=Thread.Status.PUBLISHED,
        )
        .exclude(author_id=user_id)
        .exclude(written_by_id=user_id)
        .order_by("pk")
        .values_list("pk", "community__slug")[offset : offset + 3]
    )
    return list(found)


# Tracking -------------------------------------------------------------------------

# The chart with most to draw: seeded check-ins end on 1 January 2026, and the
# chart shows the months up to today.
CHART_MONTHS = 12
TRACKERS = 400
# wrk's two threads start 7,919 requests apart in a list (lua.py): a list
# twice that long keeps each thread clear of the pairs the other has checked
# in for, so that no member checks in twice for the same day (which would
# update a row instead of adding one) until both have made 7,919 requests.
CHECK_INS = 2 * 7919


def tracking_community() -> Community | None:
    """The public community with the most members who check in."""
    checking_in = CheckIn.objects.values("user_id").distinct()
    counted = (
        Membership.objects.filter(
            community__visibility=Community.Visibility.PUBLIC,
            user_id__in=checking_in,
        )
        .values("community_id")
        .annotate(trackers=Count("user_id"))
        .order_by("-trackers", "community_id")
        .first()
    )
    if counted is None:
        return None
    return Community.objects.get(pk=counted["community_id"])


def tracking_members(limit: int) -> list[User]:
    """Members who rate symptoms now, those of the biggest tracking
    community first (whose records are the longest), then by id."""
    community = tracking_community()
    tracking = TrackedSymptom.objects.filter(stopped_on=None).values("user_id")
    found = User.objects.filter(is_active=True, pk__in=tracking)
    first: list[User] = []
    if community is not None:
        first = list(found.filter(memberships__community=community).order_by("pk"))
    rest = found.exclude(pk__in=[user.pk for user in first]).order_by("pk")
    return (first + list(rest[: max(0, limit - len(first))]))[:limit]


def insight_pages(members: list[Member]) -> list[Request]:
    """The biggest tracking community's insights, each treatment's
    evaluation page, its cluster's insights and the rules, as visitors and
    as members of the community."""
    community = tracking_community()
    if community is None:
        return []
    paths = [f"/c/{community.slug}/insights/", "/insights/how-we-count/"]
    paths += [
        f"/c/{community.slug}/insights/treatments/{pk}/" for pk in _evaluated(community)
    ]
    if community.cluster is not None:
        paths.append(f"/clusters/{community.cluster.slug}/insights/")
    belong = set(
        Membership.objects.filter(
            community=community, user_id__in=[m.user_id for m in members]
        ).values_list("user_id", flat=True)
    )
    readers = [m for m in members if m.user_id in belong][:READERS]
    requests = [_get(path) for path in paths]
    requests += [_get(path, reader) for reader in readers for path in paths]
    return requests


def _evaluated(community: Community) -> list[int]:
    """Treatments with an evaluation page in the newest snapshot."""
    snapshot = (
        InsightSnapshot.objects.filter(community=community)
        .order_by("-computed_at", "-pk")
        .first()
    )
    figures = snapshot.figures if snapshot is not None else {}
    return sorted(int(pk) for pk in figures.get("evaluations", {}))


def personal_charts(members: list[Member]) -> list[Request]:
    return [_get(f"/tracking/chart/?months={CHART_MONTHS}", m) for m in members]


def check_ins(rng: random.Random, members: list[Member]) -> list[Request]:
    """Each member checks in for days they have not checked in for yet
    (today, then each day before), rating every symptom they track; one day
    of every member before the next day, so that consecutive requests are
    different members'."""
    rated = _tracked_symptoms(members)
    writers = [m for m in members if rated.get(m.user_id)]
    if not writers:
        return []
    days = -(-CHECK_INS // len(writers))  # rounded up
    today = timezone.localdate()
    taken = _days_checked_in(writers, today - timedelta(days=2 * days), today)
    requests = []
    for back in range(2 * days):
        day = today - timedelta(days=back)
        for member in writers:
            if (member.user_id, day) not in taken:
                fields = _check_in_fields(rng, day, rated[member.user_id])
                requests.append(
                    _post("/tracking/check-in/", member, fields, htmx=False)
                )
    return requests[:CHECK_INS]


def _tracked_symptoms(members: list[Member]) -> dict[int, list[int]]:
    rows = TrackedSymptom.objects.filter(
        stopped_on=None, user_id__in=[m.user_id for m in members]
    ).order_by("user_id", "symptom_id")
    rated: dict[int, list[int]] = {}
    for user_id, symptom_id in rows.values_list("user_id", "symptom_id"):
        rated.setdefault(user_id, []).append(symptom_id)
    return rated


def _days_checked_in(
    members: list[Member], since: date, until: date
) -> set[tuple[int, date]]:
    rows = CheckIn.objects.filter(
        user_id__in=[m.user_id for m in members], day__gte=since, day__lte=until
    )
    return set(rows.values_list("user_id", "day"))


def _check_in_fields(
    rng: random.Random, day: date, symptoms: list[int]
) -> dict[str, str]:
    fields = {"day": day.isoformat(), "mood": str(rng.randint(0, 4)), "note": ""}
    fields |= {f"symptom_{pk}": str(rng.randint(0, 4)) for pk in symptoms}
    return fields


def count_check_ins() -> int:
    return CheckIn.objects.count()


def count_posts() -> int:
    return Post.objects.count()
