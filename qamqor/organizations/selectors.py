from django.db.models import Q

from qamqor.accounts.models import RoleAssignment

from . import access
from .models import Organization


def organization_list(*, user, region=None, kind: str = "", q: str = "", status: str = ""):
    """Organisations this user may see, filtered; region joined in the same query."""
    qs = access.visible_organizations(user).select_related("region")
    if region is not None:
        qs = qs.filter(region=region)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if q:
        q = q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(bin__startswith=q))
    return qs.order_by("name", "id")


def organization_detail(*, user, pk: int) -> Organization | None:
    """One organisation, if this user may see it."""
    return access.visible_organizations(user).select_related("region", "verified_by").filter(pk=pk).first()


def organization_members(org: Organization):
    return (RoleAssignment.objects.filter(organization=org, revoked_at__isnull=True)
            .select_related("user").order_by("user__full_name", "role"))
