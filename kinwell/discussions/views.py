"""The discussion pages: a community's threads, a thread, writing, editing
and deleting posts, reactions, watching, tags and pictures."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.communities import access as community_access
from kinwell.discussions import access, hooks, pages, services
from kinwell.discussions.forms import (
    EditForm,
    PreviewForm,
    ReactionForm,
    ReplyForm,
    SubscriptionForm,
    TagForm,
    ThreadForm,
    ThreadListForm,
)
from kinwell.discussions.items import post_item, reactions_item, thread_row
from kinwell.discussions.models import Post, TagFollow, Thread
from kinwell.lib.forms import first_message, posted
from kinwell.lib.fragments import CSRF_PLACEHOLDER, render_each
from kinwell.lib.htmx import render_page_or_partial
from kinwell.lib.markdown import render_markdown
from kinwell.lib.urls import numbered_urls
from kinwell.lib.visitor_pages import same_for_every_visitor

# The list -----------------------------------------------------------------------


@same_for_every_visitor
def threads(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_access.get_community_for_user(request.user, slug)
    if not access.can_read(request.user, community):
        raise PermissionDenied("The discussions are for members of the community.")
    form = ThreadListForm(request.GET)
    tag = form.cleaned_data["tag"] if form.is_valid() else ""
    since = None
    if request.user.is_authenticated:
        visit = services.record_visit(request.user, community=community)
        since = visit.previous_visit_at
    page = pages.thread_list(
        request.user, community, request.GET.get("page"), tag=tag, since=since
    )
    thread_url = numbered_urls("discussions:thread", community.slug)
    context = {
        "community": community,
        "page": page,
        "rows": render_each(
            "discussions/_thread_row.html",
            [thread_row(row, thread_url) for row in page.object_list],
        ),
        "tags": access.tags_of(community),
        "tag": tag,
        "can_post": access.can_post(request.user, community),
        "can_moderate": access.is_moderator(request.user, community),
    }
    return render(request, "discussions/threads.html", context)


@login_required
def new_thread(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, _ = community_access.get_community_for_member(request.user, slug)
    form = ThreadForm(posted(request), request.FILES or None)
    form.setup(request.user, community, _acting_for(request))
    preview = _preview_of(request, form)
    if form.is_bound and preview is None and form.is_valid():
        try:
            thread = services.start_thread(
                request.user, community=community, **form.thread_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _say_if_held(request, thread.status)
            return redirect(thread)
    context = {"community": community, "form": form, "preview": preview}
    return render(request, "discussions/new_thread.html", context)


def _acting_for(request: HttpRequest) -> Any:
    return getattr(request, "acting_for", None)


def _preview_of(request: HttpRequest, form: Any) -> Any:
    """With "Preview" pressed, the form comes back with the text rendered."""
    if request.method == "POST" and "preview" in request.POST:
        return render_markdown(request.POST.get("body", ""))
    return None


def _say_if_held(request: HttpRequest, status: str) -> None:
    if status == Post.Status.HELD:
        messages.info(
            request,
            "Thank you. Your post is waiting for a moderator, as every new "
            "member's first posts do here. Only you and the moderators see it "
            "until then.",
        )


# A thread ---------------------------------------------------------------------------


@same_for_every_visitor
def thread(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    found = access.get_thread_for_user(request.user, slug, thread_id)
    state = pages.reader_state(request.user, found)
    number = _page_number(request, found, state)
    page = pages.thread_page(request.user, found, number, state)
    if request.user.is_authenticated:
        services.mark_page_read(request.user, page)
        for listener in hooks.thread_read:
            listener(request.user, found)
    return render(request, "discussions/thread.html", _thread_context(request, page))


def _page_number(request: HttpRequest, found: Thread, state: pages.ReaderState) -> int:
    wanted = request.GET.get("page", "")
    if wanted.isdecimal():
        return int(wanted)
    if wanted == "last":
        return pages.page_count(found)
    return pages.first_unread_page(found, state)


def _thread_context(request: HttpRequest, page: pages.ThreadPage) -> dict[str, Any]:
    found = page.thread
    community = found.community
    reply_form = None
    if access.can_reply(request.user, found):
        reply_form = _reply_form(request, community)
    view = {
        "slug": community.slug,
        "reactions": page.reactions,
        "mine": page.mine,
        "is_member": access.membership(request.user, community) is not None,
        "can_reply": reply_form is not None,
        "can_moderate": access.is_moderator(request.user, community),
        "last_read": page.last_read,
        "urgent_ids": {p.pk for p in page.posts if getattr(p, "is_urgent", False)},
        "page_count": page.page_count,
    }
    return {
        "community": community,
        "thread": found,
        "page": page,
        "entries": _entries(request, page, view),
        "tags": list(found.tags.all()),
        "can_moderate": view["can_moderate"],
        "is_member": view["is_member"],
        "reply_form": reply_form,
        "subscription_form": SubscriptionForm(initial={"level": page.subscription}),
    }


def _entries(
    request: HttpRequest, page: pages.ThreadPage, view: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each post with its HTML, rendered once for each way it looks."""
    items = [post_item(post, view) for post in page.posts]
    html = render_each(
        "discussions/_post.html", items, csrf_token=lambda: get_token(request)
    )
    return [
        {"post": post, "item": item, "html": piece}
        for post, item, piece in zip(page.posts, items, html, strict=True)
    ]


def _reply_form(request: HttpRequest, community: Any, data: Any = None) -> ReplyForm:
    initial = _quote_initial(request)
    form = ReplyForm(data, request.FILES or None, initial=initial)
    form.setup(request.user, community, _acting_for(request))  # type: ignore[arg-type]
    return form


def _quote_initial(request: HttpRequest) -> dict[str, Any]:
    """?quote=<post id> starts the reply with that post quoted."""
    wanted = request.GET.get("quote", "")
    if not wanted.isdecimal():
        return {}
    slug = request.resolver_match.kwargs["slug"] if request.resolver_match else ""
    try:
        quoted = access.get_post_for_user(request.user, slug, int(wanted))
    except Http404:  # an unknown post simply quotes nothing
        return {}
    if quoted.status != Post.Status.PUBLISHED:
        return {}
    lines = "\n".join(f"> {line}" for line in quoted.body.splitlines())
    return {"body": f"{lines}\n\n", "in_reply_to": quoted.pk}


@login_required
@require_POST
def reply(request: AuthenticatedRequest, slug: str, thread_id: int) -> HttpResponse:
    found = access.get_thread_for_user(request.user, slug, thread_id)
    form = _reply_form(request, found.community, request.POST)
    preview = _preview_of(request, form)
    if preview is None and form.is_valid():
        try:
            post = services.reply(
                request.user,
                thread=found,
                body=form.cleaned_data["body"],
                in_reply_to=_in_reply_to(request, form),
                **form.voice(),
            )
        except (ValidationError, PermissionDenied) as error:
            _add_error(form, error)
        else:
            _say_if_held(request, post.status)
            return redirect(_post_url(found, post))
    page = pages.thread_page(request.user, found, pages.page_count(found))
    context = {**_thread_context(request, page), "reply_form": form}
    context["preview"] = preview
    return render(request, "discussions/thread.html", context, status=200)


def _in_reply_to(request: AuthenticatedRequest, form: ReplyForm) -> Post | None:
    wanted = form.cleaned_data.get("in_reply_to")
    if not wanted:
        return None
    slug = request.resolver_match.kwargs["slug"] if request.resolver_match else ""
    return access.get_post_for_user(request.user, slug, wanted)


def _add_error(form: Any, error: Exception) -> None:
    if isinstance(error, ValidationError):
        add_service_errors(form, error)
    else:
        form.add_error(None, str(error) or "You cannot do that here.")


def _post_url(found: Thread, post: Post) -> str:
    page = pages.page_of(post.number)
    return f"{found.get_absolute_url()}?page={page}#post-{post.number}"


def post(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    """A post's permanent address: its place in its thread."""
    found = access.get_post_for_user(request.user, slug, post_id)
    return redirect(_post_url(found.thread, found))


def image(request: HttpRequest, slug: str, image_id: int) -> FileResponse:
    picture = access.get_image_for_user(request.user, slug, image_id)
    response = FileResponse(picture.image.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# Writing and changing posts ----------------------------------------------------


@login_required
def edit_post(request: AuthenticatedRequest, slug: str, post_id: int) -> HttpResponse:
    found = access.get_post_for_user(request.user, slug, post_id)
    if not access.can_edit(request.user, found):
        raise PermissionDenied("Only the author can edit this post.")
    initial = {"body": found.body, "title": found.thread.title}
    form = EditForm(posted(request), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.edit_post(request.user, post=found, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your post is changed.")
            return redirect(_post_url(found.thread, found))
    context = {"community": found.community, "post": found, "form": form}
    return render(request, "discussions/edit_post.html", context)


@login_required
def delete_post(request: AuthenticatedRequest, slug: str, post_id: int) -> HttpResponse:
    found = access.get_post_for_user(request.user, slug, post_id)
    if not access.can_edit(request.user, found):
        raise PermissionDenied("Only the author can delete this post.")
    if request.method == "POST":
        services.delete_post(request.user, post=found)
        messages.success(request, "Your post is deleted.")
        return redirect(_post_url(found.thread, found))
    context = {"community": found.community, "post": found}
    return render(request, "discussions/delete_post.html", context)


def history(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    found = access.get_post_for_user(request.user, slug, post_id)
    if not access.can_see_history(request.user, found):
        raise PermissionDenied("The history is for the author and the moderators.")
    revisions = found.revisions.select_related("edited_by")
    context = {"community": found.community, "post": found, "revisions": revisions}
    return render(request, "discussions/history.html", context)


@login_required
@require_POST
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The Markdown preview beside the composer (htmx)."""
    community_access.get_community_for_user(request.user, slug)
    form = PreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    return render(
        request, "discussions/_preview.html", {"preview": render_markdown(body)}
    )


# Small steps ---------------------------------------------------------------------


@login_required
@require_POST
def react(request: AuthenticatedRequest, slug: str, post_id: int) -> HttpResponse:
    found = access.get_post_for_user(request.user, slug, post_id)
    form = ReactionForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.toggle_reaction(
                request.user, post=found, kind=form.cleaned_data["kind"]
            )
        except (ValidationError, PermissionDenied) as refused:
            error = (
                first_message(refused)
                if isinstance(refused, ValidationError)
                else str(refused)
            )
    else:
        error = "Choose one of the reactions."
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            messages.error(request, error)
        return redirect(_post_url(found.thread, found))
    now = pages.reactions(request.user, [found.pk])
    item = reactions_item(
        slug,
        found.pk,
        now.counts.get(found.pk, {}),
        now.mine.get(found.pk, set()),
        can_react=True,
    )
    html = render_to_string(
        "discussions/_reactions.html", {"item": item, "reaction_error": error}
    )
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


@login_required
def who_reacted(request: AuthenticatedRequest, slug: str, post_id: int) -> HttpResponse:
    found = access.get_post_for_user(request.user, slug, post_id)
    community_access.get_community_for_member(request.user, slug)
    context = {
        "community": found.community,
        "post": found,
        "reactions": access.who_reacted(found),
    }
    return render_page_or_partial(
        request, "discussions/who_reacted.html", "list", context
    )


@login_required
@require_POST
def subscribe(request: AuthenticatedRequest, slug: str, thread_id: int) -> HttpResponse:
    found = access.get_thread_for_user(request.user, slug, thread_id)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        services.set_subscription(
            request.user, thread=found, level=form.cleaned_data["level"] or None
        )
        messages.success(request, "Your notification choice is saved.")
    return redirect(found)


# Tags -------------------------------------------------------------------------------


@login_required
def tags(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = community_access.get_community_for_member(
        request.user, slug
    )
    form = TagForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            services.create_tag(request.user, community=community, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The tag is added.")
            return redirect("discussions:tags", community.slug)
    followed = set(
        TagFollow.objects.filter(user=request.user, community=community).values_list(
            "tag_id", flat=True
        )
    )
    context = {
        "community": community,
        "tags": access.tags_of(community),
        "followed": followed,
        "form": form if membership.can_moderate else None,
    }
    return render(request, "discussions/tags.html", context)


@login_required
@require_POST
def follow_tag(request: AuthenticatedRequest, slug: str, tag: str) -> HttpResponse:
    community, _ = community_access.get_community_for_member(request.user, slug)
    found = access.get_tag(community, tag)
    follow = request.POST.get("follow") == "1"
    services.follow_tag(request.user, tag=found, follow=follow)
    return redirect("discussions:tags", community.slug)


@login_required
@require_POST
def delete_tag(request: AuthenticatedRequest, slug: str, tag: str) -> HttpResponse:
    community, _ = community_access.get_community_for_moderator(request.user, slug)
    services.delete_tag(request.user, tag=access.get_tag(community, tag))
    messages.success(request, "The tag is removed.")
    return redirect("discussions:tags", community.slug)
