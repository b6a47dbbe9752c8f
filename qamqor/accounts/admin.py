from django.contrib import admin

from qamqor.core.admin import ReadOnlyAdmin

from .models import ApiToken, RoleAssignment, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "full_name", "is_active", "date_joined")
    search_fields = ("email", "full_name")
    fields = ("email", "full_name", "phone", "language", "is_active", "date_joined", "last_login")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # accounts are opened by sign-up or by services, with their audit rows; see /accounts/people/

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "organization", "region", "granted_at", "revoked_at")
    list_filter = ("role", "region")
    list_select_related = ("user", "organization", "region")
    search_fields = ("user__email",)



@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "lookup", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "lookup", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
