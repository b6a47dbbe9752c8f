from django.contrib import admin

from .models import AccessLog, AuditLog, Holiday, Region, TaskProgress


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and reference data are read here, never edited: changes go through services and migrations."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("kato_code", "iso_code", "name_kk", "name_ru", "name_en")


@admin.register(Holiday)
class HolidayAdmin(ReadOnlyAdmin):
    list_display = ("date", "name_en", "kind", "status")
    list_filter = ("kind", "status")
    date_hierarchy = "date"


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    list_select_related = ("actor",)
    search_fields = ("object_id", "actor__email")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "subject_type", "subject_id", "purpose", "channel")
    list_filter = ("channel", "subject_type")
    list_select_related = ("actor",)
    search_fields = ("subject_id", "actor__email")


@admin.register(TaskProgress)
class TaskProgressAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "label", "status", "done", "total")
