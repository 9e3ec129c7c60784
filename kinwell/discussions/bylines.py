"""Who a post is by, as the thread page, the thread list and search show it."""

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from kinwell.discussions.models import Post

FORMER_MEMBER = "a former member"


def byline_html(post: Post) -> SafeString:
    """The persona's name (or badge alone, for an anonymous professional),
    the carer who wrote it, or "a former member" for someone who left. The
    caller has set `post.by_former_member` where it knows."""
    if post.placeholder_author:
        return escape(post.placeholder_author)
    persona = post.persona
    if getattr(post, "by_former_member", False) or persona is None:
        return escape(FORMER_MEMBER)
    if persona.is_anonymous:
        html = format_html('<span class="persona">{}</span>', persona.badge)
    else:
        html = format_html(
            '<a class="persona" href="{}">{}</a>',
            persona.get_absolute_url(),
            persona.label,
        )
        if persona.is_professional:
            html += format_html(' <span class="badge">{}</span>', persona.badge)
    if post.written_by_id and post.written_by is not None:
        html += format_html(
            ", written by {} as their carer", post.written_by.public_name
        )
    return html
