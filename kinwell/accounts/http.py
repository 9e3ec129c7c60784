from django.http import HttpRequest

from kinwell.accounts.models import Delegation, User


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind login_required: `user` is a real account,
    and `acting_for` the delegation a carer acts under (see middleware.py)."""

    user: User
    acting_for: Delegation | None
