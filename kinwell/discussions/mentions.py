"""`@handle` mentions. A member's handle is their display name, slugified
("Mo Member" is @mo-member); it names their personal identity only.

A mention resolves only among members of the post's community, and only to
a handle exactly one member has: a handle two members share names nobody,
rather than perhaps the wrong person. Anonymous professional personas have
no handle: mentioning one is impossible, and nothing here links a persona
to the account behind it."""

import re

from django.utils.text import slugify

from kinwell.accounts.models import User
from kinwell.communities.models import Community, Membership

# Not after a letter, digit or dot, so an email address ("ann@example.org")
# is no mention.
MENTION = re.compile(r"(?<![\w@.+-])@([a-z0-9][a-z0-9_-]{0,59})", re.I)
# Code shows text as it is; a handle in it is quoted, not addressed.
CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.S)


def handle_for(user: User) -> str:
    """The handle of a member, or "" if they have no display name."""
    return slugify(user.display_name)


def handles_in(body: str) -> set[str]:
    """The handles a Markdown text mentions, lower-cased, outside code."""
    text = CODE.sub(" ", body)
    return {match.lower().rstrip("-_") for match in MENTION.findall(text)}


def mentioned_members(body: str, community: Community) -> list[User]:
    """The members of `community` whom `body` mentions, each once."""
    handles = handles_in(body)
    if not handles:
        return []
    members = User.objects.filter(
        pk__in=Membership.objects.filter(community=community).values("user_id"),
        is_active=True,
    ).only("pk", "display_name", "email")
    by_handle: dict[str, list[User]] = {}
    for user in members:
        handle = handle_for(user)
        if handle in handles:
            by_handle.setdefault(handle, []).append(user)
    return [found[0] for found in by_handle.values() if len(found) == 1]
