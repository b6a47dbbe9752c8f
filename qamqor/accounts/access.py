"""Who may do what with user accounts and roles: the one place these permissions are decided."""

from .models import Role


def is_platform_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_role(Role.PLATFORM_ADMIN)))


def coordinator_region_ids(user) -> set[int]:
    if not (user and user.is_authenticated):
        return set()
    return {a.region_id for a in user.active_roles() if a.role == Role.COORDINATOR}


def organization_ids(user, roles=None) -> set[int]:
    """Organisations the user belongs to (optionally only through some roles)."""
    if not (user and user.is_authenticated):
        return set()
    return {a.organization_id for a in user.active_roles()
            if a.organization_id is not None and (roles is None or a.role in roles)}


def can_grant_role(actor, role, *, organization=None, region=None) -> bool:
    """Platform admins grant any role; an organisation's admin grants roles within it."""
    if is_platform_admin(actor):
        return True
    if organization is not None and role != Role.COORDINATOR:
        return organization.pk in organization_ids(actor, {Role.ORG_ADMIN})
    return False


def can_manage_people(user) -> bool:
    """The people-and-roles pages: platform admins only."""
    return is_platform_admin(user)


def second_factor_missing(user) -> bool:
    """A signed-in user whose roles see personal data but who has not confirmed a TOTP code in this session."""
    from django.conf import settings

    return bool(settings.QAMQOR_REQUIRE_2FA and user is not None and user.is_authenticated
                and user.needs_two_factor and not user.is_verified())
