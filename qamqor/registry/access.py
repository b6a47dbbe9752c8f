"""Who may see and change registry records: the one place these permissions are decided (DESIGN.md section 5).

A person's record belongs to the organisation that registered it: its staff see and edit it. A coordinator sees
the records of their region. Other organisations find a person only through the coordination view, and only what
the person consented to share. A person with an account sees their own record.
"""

from django.db.models import Q

from qamqor.accounts.access import coordinator_region_ids, is_platform_admin
from qamqor.accounts.models import Role

from .models import Person

STAFF_ROLES = {Role.ORG_ADMIN, Role.ORG_STAFF}


def staff_organization_ids(user) -> set[int]:
    """Verified organisations in which the user registers and looks after persons (from the cached roles, which
    carry their organisation: no query of its own)."""
    if user is None or not user.is_authenticated:
        return set()
    return {a.organization_id for a in user.active_roles()
            if a.role in STAFF_ROLES and a.organization is not None and a.organization.status == "verified"}


def visible_persons(user):
    """Active records this user may see in full."""
    qs = Person.objects.filter(status=Person.Status.ACTIVE)
    if is_platform_admin(user):
        return qs
    if user is None or not user.is_authenticated:
        return qs.none()
    condition = Q(owner_id__in=staff_organization_ids(user)) | Q(region_id__in=coordinator_region_ids(user))
    return qs.filter(condition)


def can_use_registry(user) -> bool:
    return is_platform_admin(user) or bool(staff_organization_ids(user)) or bool(coordinator_region_ids(user))


def can_view_person(user, person) -> bool:
    if person.user_id is not None and person.user_id == getattr(user, "pk", None):
        return True
    return visible_persons(user).filter(pk=person.pk).exists()


def can_edit_person(user, person) -> bool:
    """Staff of the owning organisation (and platform admins) change a record; coordinators only see it."""
    return person.status == Person.Status.ACTIVE and (
        is_platform_admin(user) or person.owner_id in staff_organization_ids(user))


def can_register_persons(user) -> bool:
    return is_platform_admin(user) or bool(staff_organization_ids(user))


def owners_for(user):
    """Organisations in whose name this user may register a person."""
    from qamqor.organizations.models import Organization

    if is_platform_admin(user):
        return Organization.objects.filter(status=Organization.Status.VERIFIED)
    return Organization.objects.filter(pk__in=staff_organization_ids(user))


def can_use_coordination_view(user) -> bool:
    """Staff of any verified organisation, coordinators and platform admins may ask whether a person is known."""
    return can_use_registry(user)


def can_review_duplicates(user) -> bool:
    return is_platform_admin(user) or bool(coordinator_region_ids(user))


def can_edit_household(user, household) -> bool:
    """Staff of the organisation that registered the household (and platform admins) change it."""
    return is_platform_admin(user) or household.owner_id in staff_organization_ids(user)


def can_view_household(user, household, member_ids) -> bool:
    """Those who may change it, and anyone who may see one of its current members."""
    return can_edit_household(user, household) or visible_persons(user).filter(pk__in=list(member_ids)).exists()


def can_edit_owned(user, record) -> bool:
    """A person's or a household's categories are changed by staff of the owning organisation (or platform admins)."""
    return is_platform_admin(user) or record.owner_id in staff_organization_ids(user)


def can_open_duplicate_queue(user) -> bool:
    """Coordinators and platform admins review across organisations; staff review their own organisation's records."""
    return can_review_duplicates(user) or bool(staff_organization_ids(user))
