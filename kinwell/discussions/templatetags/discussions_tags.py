from django import template
from django.utils.safestring import SafeString

from kinwell.discussions.bylines import byline_html
from kinwell.discussions.models import Post

register = template.Library()


@register.simple_tag
def byline(post: Post) -> SafeString:
    return byline_html(post)
