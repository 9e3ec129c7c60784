from django.urls import path

from kinwell.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all", views.read_all, name="read_all"),
    path(
        "notifications/<int:notification_id>/",
        views.open_notification,
        name="open",
    ),
    path("notifications/settings/", views.notification_settings, name="settings"),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.unsubscribe,
        name="unsubscribe",
    ),
]
