"""Who a post is by, as the thread page, the thread list and search show it.

A byline depends on a handful of plain values (the persona's kind, name and
profession, the member's and the carer's names), so it is made from those
values, once for each distinct set of them: a thread list reads them in its
one query instead of loading a post, a persona, an account and a credential
for each row."""

from functools import lru_cache
from typing import Any, NamedTuple

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from kinwell.accounts.models import Persona, badge, persona_label, public_name
from kinwell.discussions.models import Post
from kinwell.lib.urls import cached_reverse

FORMER_MEMBER = "a former member"
# The values a byline needs, as a query on posts names them.
BYLINE_VALUES = (
    "placeholder_author", "persona__kind", "persona__public_id", "persona__name",
    "persona__user__display_name", "persona__credential__profession",
    "written_by_id", "written_by__display_name",
)  # fmt: skip

# The same, for `.select_related(*BYLINE_RELATED).only(*BYLINE_FIELDS, ...)`
# on posts: a byline needs a few columns of the persona, its account, its
# credential and the carer, not every column of two accounts.
BYLINE_RELATED = ("persona__user", "persona__credential", "written_by")
BYLINE_FIELDS = (
    "persona__kind", "persona__public_id", "persona__name", "persona__user",
    "persona__credential", "persona__user__display_name",
    "persona__credential__profession", "written_by__display_name",
)  # fmt: skip
POST_FIELDS = tuple(field.name for field in Post._meta.concrete_fields)


class ByWhom(NamedTuple):
    placeholder: str
    former: bool
    # The persona's, when the post still has one.
    kind: str | None = None
    public_id: str | None = None
    name: str = ""
    member_name: str = ""
    profession: str | None = None
    carer_name: str | None = None


def byline_html(post: Post) -> SafeString:
    """The caller has set `post.by_former_member` where it knows."""
    persona = post.persona
    carer = post.written_by if post.written_by_id else None
    if persona is None:
        return render_byline(ByWhom(post.placeholder_author, former=True))
    personal = persona.kind == Persona.Kind.PERSONAL
    credential = None if personal else persona.credential
    return render_byline(
        ByWhom(
            placeholder=post.placeholder_author,
            former=getattr(post, "by_former_member", False),
            kind=persona.kind,
            public_id=persona.public_id,
            name=persona.name,
            # Only what the byline shows, so no query for what it does not.
            member_name=persona.user.display_name if personal else "",
            profession=credential.profession if credential is not None else None,
            carer_name=carer.display_name if carer is not None else None,
        )
    )


def byline_of_row(row: dict[str, Any], prefix: str) -> SafeString:
    """The byline from a `.values()` row holding BYLINE_VALUES after `prefix`."""
    values = [row[prefix + name] for name in BYLINE_VALUES]
    placeholder, kind, public_id, name, member, profession, carer_id, carer = values
    return render_byline(
        ByWhom(
            placeholder=placeholder or "",
            former=False,
            kind=kind,
            public_id=public_id,
            name=name or "",
            member_name=member or "",
            profession=profession,
            carer_name=(carer or "") if carer_id else None,
        )
    )


@lru_cache(maxsize=10_000)
def render_byline(by: ByWhom) -> SafeString:
    """The persona's name (or badge alone, for an anonymous professional),
    the carer who wrote it, or "a former member" for someone who left."""
    if by.placeholder:
        return escape(by.placeholder)
    if by.former or by.kind is None:
        return escape(FORMER_MEMBER)
    badge_text = badge(by.profession)
    if by.kind == Persona.Kind.ANONYMOUS_PROFESSIONAL:
        html = format_html('<span class="persona">{}</span>', badge_text)
    else:
        html = format_html(
            '<a class="persona" href="{}">{}</a>',
            cached_reverse("accounts:persona", by.public_id),
            persona_label(by.kind, by.name, by.member_name, by.profession),
        )
        if by.kind != Persona.Kind.PERSONAL:
            html += format_html(' <span class="badge">{}</span>', badge_text)
    if by.carer_name is not None:
        html += format_html(
            ", written by {} as their carer", public_name(by.carer_name)
        )
    return html
