"""The one pipeline for user-written text: Markdown to HTML, then sanitised.

Everything a person writes is rendered here and nowhere else, so there is one
place to get right. cmark-gfm (GitHub's CommonMark, in C, with its table and
strikethrough extensions) never passes raw HTML through: a tag someone types
is left out. nh3 (ammonia) then keeps only the tags and attributes below,
whatever Markdown produced, with links restricted to http, https and mailto.

cmark-gfm renders a long post in tens of microseconds, which matters when an
import re-renders every post of a community (an archive's HTML is never
trusted)."""

import ctypes

import nh3
from cmarkgfm import _cmark
from cmarkgfm.cmark import Options
from django.utils.safestring import SafeString, mark_safe

_ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody",
    "tr", "th", "td",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}}
# Without CMARK_OPT_UNSAFE, raw HTML and dangerous link schemes are left out
# by cmark itself; nh3 checks again below.
_OPTIONS = Options.CMARK_OPT_VALIDATE_UTF8

# cmarkgfm's own helpers never free the document tree or the rendered HTML
# (about 10 kB lost per post), so the rendering below frees both, calling
# the library's exported functions on the memory it allocated.
_lib, _ffi = _cmark.lib, _cmark.ffi
_native = ctypes.CDLL(_cmark.__file__)
_native.cmark_node_free.argtypes = [ctypes.c_void_p]
_libc_free = ctypes.CDLL(None).free
_libc_free.argtypes = [ctypes.c_void_p]
_lib.cmark_gfm_core_extensions_ensure_registered()
_EXTENSIONS = [
    _lib.cmark_find_syntax_extension(name) for name in (b"table", b"strikethrough")
]


def _address(pointer: object) -> int:
    return int(_ffi.cast("uintptr_t", pointer))


def _to_html(text: str) -> str:
    # A lone surrogate cannot be encoded for cmark; it becomes "?".
    source = text.encode("utf-8", "replace")
    parser = _lib.cmark_parser_new(_OPTIONS)
    try:
        for extension in _EXTENSIONS:
            _lib.cmark_parser_attach_syntax_extension(parser, extension)
        _lib.cmark_parser_feed(parser, source, len(source))
        root = _lib.cmark_parser_finish(parser)
        try:
            extensions = _lib.cmark_parser_get_syntax_extensions(parser)
            rendered = _lib.cmark_render_html(root, _OPTIONS, extensions)
            try:
                return str(_ffi.string(rendered).decode("utf-8"))
            finally:
                _libc_free(_address(rendered))
        finally:
            _native.cmark_node_free(_address(root))
    finally:
        _lib.cmark_parser_free(parser)


def _demote_headings(html: str) -> str:
    # Page structure owns h1 and h2; user headings start at h3.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return html


def _drop_empty_links(element: str, attribute: str, value: str) -> str | None:
    # cmark empties the address of a link it refuses (javascript: and the
    # like); a link to nowhere would only reload the page, so it goes.
    if element == "a" and attribute == "href" and not value.strip():
        return None
    return value


def render_markdown(text: str) -> SafeString:
    html = _demote_headings(_to_html(text or ""))
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
        attribute_filter=_drop_empty_links,
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
