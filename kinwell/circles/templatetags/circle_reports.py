from django import template

from kinwell.circles import access
from kinwell.communities.models import Community

register = template.Library()


@register.simple_tag
def open_circle_report_count(community: Community) -> int:
    """For the moderation queue's link; the queue's view has checked that the
    reader moderates `community`."""
    return access.open_reports(community).count()
