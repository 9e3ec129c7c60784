from django.contrib import admin
from django.urls import include, path

from kinwell.api.urls import api

urlpatterns = [
    path("", include("kinwell.web.urls")),
    path("", include("kinwell.accounts.urls")),
    path("", include("kinwell.communities.urls")),
    path("", include("kinwell.discussions.urls")),
    path("", include("kinwell.notifications.urls")),
    path("", include("kinwell.search.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler404 = "kinwell.web.errors.not_found"
handler500 = "kinwell.web.errors.server_error"
