from django.contrib import admin

from qamqor.core.admin import ReadOnlyAdmin

from .models import Organization


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    """Read-only here: registration, verification and changes go through the pages, which write audit rows."""

    list_display = ("name", "kind", "bin", "region", "status")
    list_filter = ("status", "kind", "region")
    list_select_related = ("region",)
    search_fields = ("name", "bin")

