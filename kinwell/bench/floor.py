"""The floor: the least a page of Kinwell can cost. One indexed query and a
20-row template, behind the same server and middleware as every other page,
so that each scenario can be read as a share of it."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.views.decorators.http import require_GET

from kinwell.discussions.models import Post

ROWS = 20

# Ids, numbers and dates only: the floor never shows what anyone wrote.
TEMPLATE = engines["django"].from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Floor</title></head>
<body><main><h1>Floor</h1>
<table><thead><tr><th scope="col">Post</th><th scope="col">Thread</th>\
<th scope="col">Number</th><th scope="col">Written</th></tr></thead>
<tbody>{% for post in posts %}<tr><td>{{ post.pk }}</td><td>{{ post.thread_id }}</td>\
<td>{{ post.number }}</td><td>{{ post.created_at|date:"j M Y H:i" }}</td></tr>
{% endfor %}</tbody></table></main></body></html>
"""
)


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    after = request.GET.get("after", "")
    start = int(after) if after.isdecimal() else 0
    posts = (
        Post.objects.filter(pk__gt=start)
        .order_by("pk")
        .only("pk", "thread_id", "number", "created_at")[:ROWS]
    )
    return HttpResponse(TEMPLATE.render({"posts": posts}, request))
