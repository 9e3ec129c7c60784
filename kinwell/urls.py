from django.conf import settings
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
    path("", include("kinwell.stories.urls")),
    path("", include("kinwell.tracking.urls")),
    path("", include("kinwell.circles.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# The benchmark's floor page, only in the server `kinwell bench` starts.
if settings.KINWELL_BENCH_FLOOR:
    urlpatterns.append(path("", include("kinwell.bench.urls")))

handler404 = "kinwell.web.errors.not_found"
handler500 = "kinwell.web.errors.server_error"
