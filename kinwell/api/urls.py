"""The API at /api/v1: one router per app, the one error shape, and who may
call (a browser session with CSRF, or a personal access token)."""

from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.operation import Operation

from kinwell.api import errors
from kinwell.api.auth import SessionAuth, TokenAuth
from kinwell.api.routers.accounts import router as accounts_router
from kinwell.api.routers.catalogue import router as catalogue_router
from kinwell.api.routers.circles import router as circles_router
from kinwell.api.routers.communities import router as communities_router
from kinwell.api.routers.discussions import router as discussions_router
from kinwell.api.routers.forks import router as forks_router
from kinwell.api.routers.insights import router as insights_router
from kinwell.api.routers.moderation import router as moderation_router
from kinwell.api.routers.notifications import router as notifications_router
from kinwell.api.routers.questionnaires import router as questionnaires_router
from kinwell.api.routers.research import router as research_router
from kinwell.api.routers.search import router as search_router
from kinwell.api.routers.stories import router as stories_router
from kinwell.api.routers.story_admin import router as story_admin_router
from kinwell.api.routers.tracking import router as tracking_router
from kinwell.api.routers.tracking_io import router as tracking_io_router
from kinwell.api.routers.treatments import router as treatments_router


class KinwellAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = errors.json_not_allowed(pattern.callback)
        return patterns, app_name, namespace

    def get_openapi_operation_id(self, operation: Operation) -> str:
        return str(operation.view_func.__name__)


api = KinwellAPI(
    title="Kinwell API",
    version="1",
    urls_namespace="api",
    # The docs page would load Swagger UI from a CDN; the site loads nothing
    # from third parties. The schema is at /api/v1/openapi.json.
    docs_url=None,
    # Token first: a request that presents a token is judged by it alone.
    auth=[TokenAuth(), SessionAuth()],
)
errors.install(api)
api.add_router("/", accounts_router)
api.add_router("/", communities_router)
api.add_router("/", forks_router)
api.add_router("/", discussions_router)
api.add_router("/", notifications_router)
api.add_router("/", moderation_router)
api.add_router("/", search_router)
api.add_router("/", stories_router)
api.add_router("/", story_admin_router)
api.add_router("/", tracking_router)
api.add_router("/", tracking_io_router)
api.add_router("/", treatments_router)
api.add_router("/", catalogue_router)
api.add_router("/", questionnaires_router)
api.add_router("/", insights_router)
api.add_router("/", research_router)
api.add_router("/", circles_router)
