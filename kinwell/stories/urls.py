from django.urls import include, path

app_name = "stories"

urlpatterns = [
    path("", include("kinwell.stories.urls_public")),
    path("", include("kinwell.stories.urls_stories")),
    path("", include("kinwell.stories.urls_staff")),
    path("", include("kinwell.stories.urls_directory")),
]
