from django.contrib import admin

from .models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Read-only here: registration, verification and changes go through the pages, which write audit rows."""

    list_display = ("name", "kind", "bin", "region", "status")
    list_filter = ("status", "kind", "region")
    list_select_related = ("region",)
    search_fields = ("name", "bin")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
