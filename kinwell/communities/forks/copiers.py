"""Content copiers: how a confirmed fork gets copies of the original's content.

Each content feature registers one copier here when it arrives. A copier is a
function `copy(original, fork, consenting_user_ids)` that copies its own rows
from `original` into `fork`, inside the confirming transaction, and returns
nothing. It must leave `original` unchanged.

`consenting_user_ids` holds the members who chose to bring their past posts
along (see services.choose_fork). Content by anyone else is copied as a
placeholder ("A post by a member who did not bring their posts along"), never
with its text, author or attachments, so that a conversation keeps its shape
without carrying the words of people who did not agree.

No copier is registered yet. Discussions will register thread copying here:
threads and their posts, with the posts of non-consenting authors replaced by
placeholders. Copiers run in registration order."""

from collections.abc import Callable

from kinwell.communities.models import Community

Copier = Callable[[Community, Community, frozenset[int]], None]

_copiers: list[Copier] = []


def register(copier: Copier) -> Copier:
    """Adds `copier` to the fork's copying; usable as a decorator."""
    if copier not in _copiers:
        _copiers.append(copier)
    return copier


def unregister(copier: Copier) -> None:
    if copier in _copiers:
        _copiers.remove(copier)


def copy_content(
    original: Community, fork: Community, consenting_user_ids: frozenset[int]
) -> None:
    for copier in list(_copiers):
        copier(original, fork, consenting_user_ids)
