"""De-identification keys: a pseudonym and a date shift for each member,
derived from the request's secret salt.

The same member gets the same pseudonym and the same shift in every release
of one request (so releases can be joined by the researcher), and unrelated
ones in another request (so two datasets cannot be linked to each other)."""

import hashlib
import hmac

from kinwell.tracking.models import DatasetRequest

MAX_SHIFT_DAYS = 30
PSEUDONYM_LENGTH = 16


def _digest(salt: str, label: str, user_id: int) -> bytes:
    message = f"{label}:{user_id}".encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).digest()


def pseudonym(request: DatasetRequest, user_id: int) -> str:
    return "P-" + _digest(request.salt, "pseudonym", user_id).hex()[:PSEUDONYM_LENGTH]


def shift_days(request: DatasetRequest, user_id: int) -> int:
    """A shift of 1 to 30 days, back or forward, never 0: a member whose dates
    did not move would be recognisable from them."""
    value = int.from_bytes(_digest(request.salt, "shift", user_id)[:8], "big")
    days = value % MAX_SHIFT_DAYS + 1
    return days if value >> 63 else -days


def rank(request: DatasetRequest, user_id: int, key: str) -> bytes:
    """An order of one member's items that nobody without the salt can
    predict, to choose which of them count when contributions are bounded."""
    return _digest(request.salt, f"rank:{key}", user_id)
