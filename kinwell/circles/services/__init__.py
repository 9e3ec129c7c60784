"""Every change to circles, one function per change, actor first: shared by
the web views, the API, the demo data and the seeder. Each runs in one
transaction, checks what the server can check of what the clients send
(kinwell.circles.services.formats) and raises ValidationError with a calm,
clear message, or EpochConflict when another key period came first."""

from kinwell.circles.services.common import EpochConflict
from kinwell.circles.services.devices import (
    approve_device,
    register_device,
    revoke_device,
    save_key_backup,
)
from kinwell.circles.services.epochs import add_key_wraps, start_epoch
from kinwell.circles.services.membership import (
    accept_circle_invitation,
    create_circle,
    decline_circle_invitation,
    invite_to_circle,
    leave_circle,
    leave_circles_of_community,
    leave_circles_on_departure,
)
from kinwell.circles.services.messages import (
    decide_report,
    post_message,
    report_message,
)

__all__ = [
    "EpochConflict",
    "accept_circle_invitation",
    "add_key_wraps",
    "approve_device",
    "create_circle",
    "decide_report",
    "decline_circle_invitation",
    "invite_to_circle",
    "leave_circle",
    "leave_circles_of_community",
    "leave_circles_on_departure",
    "post_message",
    "register_device",
    "report_message",
    "revoke_device",
    "save_key_backup",
    "start_epoch",
]
