from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from qamqor.api.api import api

# The admin site asks for the second factor too.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("", include("qamqor.core.urls")),
    path("accounts/", include("qamqor.accounts.urls")),
    path("organizations/", include("qamqor.organizations.urls")),
    path("registry/", include("qamqor.registry.urls")),
    path("aid/", include("qamqor.aid.urls")),
    path("ledger/", include("qamqor.ledger.urls")),
    path("events/", include("qamqor.events.urls")),
    path("services/", include("qamqor.social_services.urls")),
    path("transport/", include("qamqor.transport.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "qamqor.core.errors_views.bad_request"
handler403 = "qamqor.core.errors_views.permission_denied"
handler404 = "qamqor.core.errors_views.page_not_found"
handler500 = "qamqor.core.errors_views.server_error"
