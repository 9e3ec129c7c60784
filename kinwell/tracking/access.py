"""The only door to members' tracking records.

A member's records are theirs. A carer reaches them only through an active
delegation: "track for me" lets them record for the member, "read my private
data" lets them see what is recorded. Nobody else may, moderators and
administrators included: every record outside the reader's reach is a 404,
so its existence is never confirmed.

`records_owner` decides whose records a request is about. The website passes
the delegation a carer is acting under (request.acting_for); the API passes
the `delegation` query parameter, resolved by `delegation_for_api`."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from kinwell.accounts.access import get_active_delegation
from kinwell.accounts.models import Delegation, User
from kinwell.lib import audit

READ = Delegation.Scope.READ
TRACK = Delegation.Scope.TRACK


class NotAllowedForCarer(PermissionDenied):
    """A carer acting for a member whose delegation lacks the scope."""


def records_owner(user: Any, acting_for: Delegation | None, *, scope: str) -> User:
    """Whose records `user` reads (scope READ) or writes (scope TRACK).

    Without a delegation, their own. Under a delegation, the member's, if it
    is active, belongs to `user` as carer and grants the scope; a carer
    without the scope gets NotAllowedForCarer (403: they know the member)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("Not found")
    if acting_for is None:
        return user  # type: ignore[no-any-return]
    if acting_for.carer_id != user.pk or acting_for.status != Delegation.Status.ACTIVE:
        raise Http404("Not found")
    if not acting_for.allows(scope):
        raise NotAllowedForCarer(_missing_scope_message(acting_for, scope))
    return acting_for.member


def delegation_for_api(user: Any, delegation_id: int | None) -> Delegation | None:
    """The delegation named by the API's `delegation` parameter: one the caller
    is the active carer of, or Http404."""
    if delegation_id is None:
        return None
    delegation = get_active_delegation(user, delegation_id)
    if delegation is None:
        raise Http404("No such delegation")
    return delegation


def is_carer_reading(user: Any, owner: User) -> bool:
    return bool(getattr(user, "pk", None) != owner.pk)


def record_carer_access(user: Any, owner: User, action: str, obj: Any) -> None:
    """A carer's read or write of a member's records goes on the member's
    "Access to my data". A member's own use of their records does not."""
    if is_carer_reading(user, owner):
        audit.record(user, action, obj, subject=owner)


def own_or_404[T](obj: T | None, owner: User) -> T:
    """`obj` if it belongs to `owner`, else Http404."""
    if obj is None or getattr(obj, "user_id", None) != owner.pk:
        raise Http404("Not found")
    return obj


def _missing_scope_message(delegation: Delegation, scope: str) -> str:
    name = delegation.member.public_name
    if scope == READ:
        return (
            f"Your arrangement with {name} lets you record for them, "
            "not read their records."
        )
    return (
        f"Your arrangement with {name} lets you read their records, "
        "not record for them."
    )


# Personal records (check-ins, conditions, tracked symptoms) ------------------


# Treatment courses and evaluations -------------------------------------------


# Questionnaires ---------------------------------------------------------------


# Research -----------------------------------------------------------------------
