"""All of the tracking app's URLs, namespace "tracking", mounted at the site
root. Each part of the app keeps its own list."""

from kinwell.tracking import (
    urls_catalogue,
    urls_insights,
    urls_io,
    urls_personal,
    urls_questionnaires,
    urls_research,
    urls_treatments,
)

app_name = "tracking"
urlpatterns = (
    urls_personal.urlpatterns
    + urls_treatments.urlpatterns
    + urls_io.urlpatterns
    + urls_catalogue.urlpatterns
    + urls_questionnaires.urlpatterns
    + urls_insights.urlpatterns
    + urls_research.urlpatterns
)
