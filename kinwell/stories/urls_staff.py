from django.urls import URLPattern, path

from kinwell.stories.views import staff

urlpatterns: list[URLPattern] = [
    path("stories/<int:story_id>/replies/", staff.reply, name="reply"),
    path("stories/replies/<int:reply_id>/helpful/", staff.helpful, name="helpful"),
    path(
        "stories/replies/<int:reply_id>/moderate/",
        staff.moderate_reply,
        name="moderate_reply",
    ),
    path("stories/<int:story_id>/echo/", staff.echo, name="echo"),
    path("staff/", staff.dashboard, name="staff"),
    path("staff/alerts/", staff.alert_list, name="alerts"),
    path(
        "staff/alerts/<int:alert_id>/delete/", staff.delete_alert, name="delete_alert"
    ),
]
