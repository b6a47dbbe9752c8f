"""The versioned REST API, /api/v1/, assembled from each app's apis.py."""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from qamqor.accounts.apis import router as accounts_router
from qamqor.core.apis import router as core_router
from qamqor.organizations.apis import router as organizations_router

from . import errors
from .docs import AccessibleDocs

api = NinjaAPI(
    title="Qamqor API",
    version="1",
    description=str(_("Coordinating help for people in need in Kazakhstan. Authenticate with a personal access token "
                      "(Authorization: Bearer qmq_...) or the browser session. Errors share one shape: "
                      '{"error": {"code", "message", "fields"}}.')),
    urls_namespace="api-1",
    docs=AccessibleDocs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("/", core_router)
api.add_router("/", accounts_router)
api.add_router("/organizations", organizations_router)
