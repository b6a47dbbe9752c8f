"""Who may see and change an organisation: the one place these permissions are decided."""

from django.db.models import Q

from qamqor.accounts.access import coordinator_region_ids, is_platform_admin, organization_ids
from qamqor.accounts.models import Role

from .models import Organization


def visible_organizations(user):
    """Verified organisations for everyone; pending and rejected ones for their members, their region's
    coordinators and platform admins."""
    qs = Organization.objects.all()
    if is_platform_admin(user):
        return qs
    condition = Q(status=Organization.Status.VERIFIED)
    if user is not None and user.is_authenticated:
        condition |= Q(pk__in=organization_ids(user)) | Q(region_id__in=coordinator_region_ids(user))
    return qs.filter(condition)


def can_view_organization(user, org) -> bool:
    return (org.status == Organization.Status.VERIFIED or is_platform_admin(user)
            or org.pk in organization_ids(user) or org.region_id in coordinator_region_ids(user))


def can_edit_organization(user, org) -> bool:
    return is_platform_admin(user) or org.pk in organization_ids(user, {Role.ORG_ADMIN})


def can_manage_members(user, org) -> bool:
    return can_edit_organization(user, org)


def can_verify_organization(user, org) -> bool:
    """A coordinator of the organisation's region, or a platform admin, who is not its member."""
    if org.pk in organization_ids(user):
        return False
    return is_platform_admin(user) or org.region_id in coordinator_region_ids(user)


def review_queue(user):
    """Organisations waiting for verification that this user may verify."""
    qs = Organization.objects.filter(status=Organization.Status.PENDING)
    if is_platform_admin(user):
        return qs
    return qs.filter(region_id__in=coordinator_region_ids(user)).exclude(pk__in=organization_ids(user))


def can_register_organization(user) -> bool:
    return bool(user and user.is_authenticated)
