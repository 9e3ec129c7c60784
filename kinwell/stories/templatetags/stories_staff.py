"""Template tags of the staff loop. The moderation queue page includes
_reply_queue.html, which fetches its own rows through `reply_queue`, so the
queue's view need not know what the reply queue holds."""

from typing import Any

from django import template

from kinwell.stories import access, replies
from kinwell.stories.models import StaffReply

register = template.Library()


@register.simple_tag
def reply_queue(user: Any) -> dict[str, list[StaffReply]]:
    """Replies and changes waiting for a story moderator; nothing for
    anyone else."""
    if not access.is_story_moderator(user):
        return {"waiting_replies": [], "waiting_changes": []}
    return replies.reply_queue()
