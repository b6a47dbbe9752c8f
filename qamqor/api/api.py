"""The versioned REST API, /api/v1/, assembled from each app's apis.py."""

from django.http import Http404
from django.utils.translation import gettext, gettext_lazy as _
from ninja import NinjaAPI, Router

from qamqor.accounts.apis import router as accounts_router
from qamqor.aid.apis import router as aid_router
from qamqor.core.apis import router as core_router
from qamqor.ledger.apis import router as ledger_router
from qamqor.events.apis import router as events_router
from qamqor.organizations.apis import router as organizations_router
from qamqor.registry.apis import router as registry_router
from qamqor.social_services.apis import router as social_services_router
from qamqor.transport.apis import router as transport_router

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
api.add_router("/registry", registry_router)
api.add_router("/aid", aid_router)
api.add_router("/ledger", ledger_router)
api.add_router("/events", events_router)
api.add_router("/services", social_services_router)
api.add_router("/transport", transport_router)

# Last, because Django tries URL patterns in order: any other address under /api/v1/ answers a JSON 404 in the one
# error shape rather than the site's HTML page.
fallback_router = Router()


@fallback_router.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None,
                               include_in_schema=False)
def unknown_address(request, rest: str):
    raise Http404(gettext("There is no such API address. The documentation at /api/v1/docs lists them all."))


api.add_router("/", fallback_router)
