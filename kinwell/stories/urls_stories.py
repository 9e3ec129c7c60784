"""Telling stories and moderating them (the pages of kinwell.stories.views.
stories and .moderation), in the `stories` namespace."""

from django.urls import URLPattern, path

from kinwell.stories.views import moderation, stories

urlpatterns: list[URLPattern] = [
    path("stories/new/", stories.tell, name="tell"),
    path("stories/mine/", stories.mine, name="mine"),
    path("stories/principles/", stories.principles, name="principles"),
    path("stories/moderation/", moderation.queue, name="moderation"),
    path("stories/<int:story_id>/", stories.story, name="story"),
    path("stories/<int:story_id>/edit/", stories.edit, name="edit"),
    path("stories/<int:story_id>/withdraw/", stories.withdraw, name="withdraw"),
    path(
        "stories/<int:story_id>/redactions/<int:redaction_id>/",
        stories.redaction,
        name="redaction",
    ),
    path("stories/<int:story_id>/moderate/", moderation.moderate, name="moderate"),
]
