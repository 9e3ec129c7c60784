from django import template
from django.templatetags.static import static
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from kinwell.circles.scripts import CIRCLE_SCRIPTS

register = template.Library()


@register.simple_tag
def circle_scripts() -> SafeString:
    return format_html_join(
        "\n",
        '<script src="{}" integrity="{}" defer></script>',
        ((static(path), digest) for path, digest in CIRCLE_SCRIPTS),
    )
