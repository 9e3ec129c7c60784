"""All of the communities app's URLs, namespace "communities", mounted at the
site root. Each part of the app keeps its own list."""

from kinwell.communities import urls_core
from kinwell.communities.archive import urls as archive_urls
from kinwell.communities.forks import urls as fork_urls

app_name = "communities"
urlpatterns = urls_core.urlpatterns + archive_urls.urlpatterns + fork_urls.urlpatterns
