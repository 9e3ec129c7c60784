"""The kinds of record in a community archive: the archive's extension point.

Each kind is one `RecordKind`, registered here in the order it is written and
read back. A kind declares:

- `name`: its entry, records/<name>.jsonl, and its JSON Schema,
  docs/archive-schema/<name>.schema.json (every record is checked against it
  before an import writes anything);
- `rows(context)`: the model rows to export, streamed with
  `.iterator(chunk_size=CHUNK_SIZE)`, never a list;
- `count(context)`: how many rows `rows` yields, for the progress bar;
- `serialise(context, row)`: the JSON-ready record, or None to leave it out;
- `import_row(context, record)`: writes one record into the new community,
  inside the import's transaction (`context.save_later` batches inserts).

Content features (threads, posts, reactions, tracking) register their kinds
from their AppConfig.ready with `register(...)`, and call `author_ref` for
every author they write: it is the one rule that keeps members who have not
consented to portability out of archives. Circles, private messages and
audit records are never registered."""

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils.text import slugify

from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities.models import (
    Cluster,
    Community,
    Departure,
    MemberInvitation,
    Membership,
)
from kinwell.lib import mail

CHUNK_SIZE = 2000
# Shown where a post's author has not consented to portability.
PLACEHOLDER = {"placeholder": "a former member"}
AuthorRef = dict[str, str]


@dataclass
class ExportContext:
    community: Community
    # People who are members now and have consented to portability.
    portable_ids: frozenset[int]
    # Former members (not members now) and whether they left their posts.
    departed: dict[int, bool]
    # Random for each export and never written, so the pseudonyms of two
    # archives cannot be linked to each other or to an account.
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @classmethod
    def for_community(cls, community: Community) -> "ExportContext":
        return cls(
            community=community,
            portable_ids=portable_member_ids(community),
            departed=departed_members(community),
        )

    def ref(self, user_id: int) -> str:
        digest = hmac.new(self.salt, str(user_id).encode(), hashlib.sha256)
        return "m-" + digest.hexdigest()[:24]


@dataclass
class ImportContext:
    actor: User | None
    slug: str
    provenance: str
    imported_at: datetime
    open_media: Callable[[str], Any]
    community: Community | None = None
    pending: list[models.Model] = field(default_factory=list)
    # Pseudonym -> email of members who consented to be invited back.
    invite_emails: dict[str, str] = field(default_factory=dict)

    def save_later(self, row: models.Model) -> None:
        """Inserts `row` with the next batch, CHUNK_SIZE rows at a time."""
        self.pending.append(row)
        if len(self.pending) >= CHUNK_SIZE:
            self.flush()

    def flush(self) -> None:
        by_model: dict[type[models.Model], list[models.Model]] = {}
        for row in self.pending:
            by_model.setdefault(type(row), []).append(row)
        for model, rows in by_model.items():
            model._default_manager.bulk_create(rows)
        self.pending.clear()

    @property
    def new_community(self) -> Community:
        if self.community is None:
            raise ValueError("The community record is imported first.")
        return self.community


@dataclass(frozen=True)
class RecordKind:
    name: str
    rows: Callable[[ExportContext], Iterable[Any]]
    count: Callable[[ExportContext], int]
    serialise: Callable[[ExportContext, Any], dict[str, Any] | None]
    import_row: Callable[[ImportContext, dict[str, Any]], None]


_kinds: dict[str, RecordKind] = {}


def register(kind: RecordKind) -> RecordKind:
    _kinds[kind.name] = kind
    return kind


def registered() -> list[RecordKind]:
    return list(_kinds.values())


def get(name: str) -> RecordKind | None:
    return _kinds.get(name)


# Who may appear --------------------------------------------------------------


def portable_member_ids(community: Community) -> frozenset[int]:
    """Members whose latest portability decision is yes (as has_consented)."""
    latest = (
        ConsentRecord.objects.filter(
            user=OuterRef("user_id"), purpose=ConsentRecord.Purpose.PORTABILITY
        )
        .order_by("-created_at", "-pk")
        .values("given")[:1]
    )
    found = (
        Membership.objects.filter(community=community)
        .annotate(portable=Subquery(latest))
        .filter(portable=True)
        .values_list("user_id", flat=True)
    )
    return frozenset(found.iterator(chunk_size=CHUNK_SIZE))


def departed_members(community: Community) -> dict[int, bool]:
    """Former members and their latest choice about their posts."""
    rows = (
        Departure.objects.filter(community=community)
        .exclude(user__memberships__community=community)
        .order_by("left_at", "pk")
        .values_list("user_id", "keep_posts")
    )
    return dict(rows.iterator(chunk_size=CHUNK_SIZE))


def author_ref(context: ExportContext, user_id: int | None) -> AuthorRef | None:
    """How content by `user_id` names its author in the archive: the member's
    pseudonym if they consented to portability; "a former member" if they did
    not (or left and kept their posts); None, meaning leave the content out,
    if they left and took their posts with them."""
    if user_id is None:
        return dict(PLACEHOLDER)
    if user_id in context.portable_ids:
        return {"member": context.ref(user_id)}
    if context.departed.get(user_id) is False:
        return None
    return dict(PLACEHOLDER)


# The community ---------------------------------------------------------------


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _one_community(context: ExportContext) -> Iterator[Community]:
    yield context.community


def _serialise_community(context: ExportContext, row: Community) -> dict[str, Any]:
    cluster = row.cluster
    forked_from = row.forked_from
    return {
        "name": row.name,
        "slug": row.slug,
        "topic": row.topic,
        "description": row.description,
        "charter": row.charter,
        "visibility": row.visibility,
        "join_policy": row.join_policy,
        "join_question": row.join_question,
        "size_cap": row.size_cap,
        "fork_notice_days": row.fork_notice_days,
        "created_at": _stamp(row.created_at),
        "avatar": avatar_entry(row),
        "cluster": cluster
        and {
            "name": cluster.name,
            "slug": cluster.slug,
            "description": cluster.description,
        },
        "provenance": {
            "forked_from": forked_from
            and {"name": forked_from.name, "slug": forked_from.slug},
            "forked_at": _stamp(row.forked_at),
            "imported_from": row.imported_from,
            "imported_at": _stamp(row.imported_at),
        },
    }


def avatar_entry(community: Community) -> str | None:
    if not community.avatar:
        return None
    suffix = str(community.avatar.name).rsplit(".", 1)[-1].lower()
    return f"media/avatar.{suffix}"


def _import_community(context: ImportContext, record: dict[str, Any]) -> None:
    provenance = record["provenance"]
    community = Community.objects.create(
        name=record["name"],
        slug=context.slug,
        topic=record["topic"],
        description=record["description"],
        charter=record["charter"],
        visibility=record["visibility"],
        join_policy=record["join_policy"],
        join_question=record["join_question"],
        size_cap=record["size_cap"],
        fork_notice_days=record["fork_notice_days"],
        created_at=datetime.fromisoformat(record["created_at"]),
        cluster=_cluster_for(record["cluster"]),
        # The fork's original lives elsewhere: its name travels in the archive,
        # and the import's own provenance is what this installation knows.
        imported_from=context.provenance,
        imported_at=context.imported_at,
        forked_at=_parse(provenance["forked_at"]),
    )
    if record["avatar"]:
        with context.open_media(record["avatar"]) as stream:
            name = record["avatar"].rsplit("/", 1)[-1]
            community.avatar.save(name, stream, save=False)
        community.save(update_fields=["avatar"])
    if context.actor is not None:
        Membership.objects.create(
            community=community, user=context.actor, role=Membership.Role.ORGANISER
        )
    context.community = community


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


def _cluster_for(record: dict[str, str] | None) -> Cluster | None:
    if record is None:
        return None
    same = Cluster.objects.filter(name=record["name"]).first()
    if same is not None:
        return same
    slug = record["slug"]
    if Cluster.objects.filter(slug=slug).exists():
        slug = f"{slugify(record['name'])[:40]}-{secrets.token_hex(3)}"
    return Cluster.objects.create(
        name=record["name"], slug=slug, description=record["description"]
    )


# People ----------------------------------------------------------------------


def _memberships(context: ExportContext) -> Iterator[Membership]:
    return (
        Membership.objects.filter(community=context.community)
        .select_related("user")
        .only("user_id", "role", "joined_at", "user__display_name", "user__email")
        .order_by("pk")
        .iterator(chunk_size=CHUNK_SIZE)
    )


def _count_memberships(context: ExportContext) -> int:
    return Membership.objects.filter(community=context.community).count()


def _serialise_member(context: ExportContext, row: Membership) -> dict[str, Any]:
    """A pseudonymous persona record: personal data only with consent."""
    if row.user_id not in context.portable_ids:
        return {"ref": context.ref(row.user_id), "portable": False}
    return {
        "ref": context.ref(row.user_id),
        "portable": True,
        "display_name": row.user.public_name,
        "joined_at": _stamp(row.joined_at),
        # So the place it is imported to can invite them back (their consent says so).
        "email": row.user.email,
    }


def _serialise_role(context: ExportContext, row: Membership) -> dict[str, Any]:
    return {"member": context.ref(row.user_id), "role": row.role}


def _remember_email(context: ImportContext, record: dict[str, Any]) -> None:
    if record.get("email"):
        context.invite_emails[record["ref"]] = record["email"].lower()


def _import_role(context: ImportContext, record: dict[str, Any]) -> None:
    """Each role becomes an invitation, addressed where the member consented to
    be invited back; it waits unaddressed otherwise (docs/archive-format.md)."""
    email = context.invite_emails.get(record["member"], "")
    if context.actor is not None and email == context.actor.email.lower():
        return  # the importing organiser is already in
    context.save_later(
        MemberInvitation(
            community=context.new_community,
            email=email,
            user=verified_account(email),
            role=record["role"],
            created_at=context.imported_at,
        )
    )
    if email:
        mail.send_after_commit(
            "You are invited to rejoin your community",
            render_to_string(
                "communities/archive/email/invited_back.txt",
                {"site_url": settings.SITE_URL},
            ),
            [email],
        )


def verified_account(email: str) -> User | None:
    if not email:
        return None
    return User.objects.filter(
        is_active=True, emailaddress__email__iexact=email, emailaddress__verified=True
    ).first()


def _departures(context: ExportContext) -> Iterator[tuple[int, bool]]:
    return iter(context.departed.items())


def _serialise_departure(
    context: ExportContext, row: tuple[int, bool]
) -> dict[str, Any]:
    user_id, keep_posts = row
    return {"member": context.ref(user_id), "keep_posts": keep_posts}


def _nothing_to_import(context: ImportContext, record: dict[str, Any]) -> None:
    """Pseudonyms are not accounts: nobody is enrolled from them."""


register(
    RecordKind(
        name="community",
        rows=_one_community,
        count=lambda context: 1,
        serialise=_serialise_community,
        import_row=_import_community,
    )
)
register(
    RecordKind(
        name="members",
        rows=_memberships,
        count=_count_memberships,
        serialise=_serialise_member,
        import_row=_remember_email,
    )
)
register(
    RecordKind(
        name="roles",
        rows=_memberships,
        count=_count_memberships,
        serialise=_serialise_role,
        import_row=_import_role,
    )
)
register(
    RecordKind(
        name="departures",
        rows=_departures,
        count=lambda context: len(context.departed),
        serialise=_serialise_departure,
        import_row=_nothing_to_import,
    )
)
