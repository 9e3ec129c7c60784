"""The one pipeline for user-written text: Markdown to HTML, then sanitised.

Everything a person writes is rendered here and nowhere else, so there is one
place to get right. markdown-it-py never passes raw HTML through (html=False),
and nh3 (ammonia) keeps only the tags and attributes below, whatever Markdown
produced, with links restricted to http, https and mailto."""

import markdown_it
import nh3
from django.utils.safestring import SafeString, mark_safe

_ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody",
    "tr", "th", "td",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}}

_renderer = (
    markdown_it.MarkdownIt("commonmark", {"html": False, "linkify": False})
    .enable("table")
    .enable("strikethrough")
)


def _demote_headings(html: str) -> str:
    # Page structure owns h1 and h2; user headings start at h3.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return html


def render_markdown(text: str) -> SafeString:
    html = _demote_headings(_renderer.render(text or ""))
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
