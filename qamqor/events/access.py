"""Who may see and change charity events, sign up for them and read campaign reports: the one place these
permissions are decided (DESIGN.md section 5).

Events are public information: the calendar shows the events of verified organisations to everyone. An event is
run by its organiser's administrators and staff, by the coordinators of its region and by platform admins. A
signed-in volunteer signs up. Volunteers' names are shown only to those who run the event.
"""

from django.db.models import Q

from qamqor.accounts.access import coordinator_region_ids, is_platform_admin, organization_ids
from qamqor.accounts.models import Role

from .models import Event

STAFF_ROLES = {Role.ORG_ADMIN, Role.ORG_STAFF}


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def staff_organization_ids(user) -> set[int]:
    """Organisations in which the user runs events (administrators and staff; from the cached roles)."""
    return organization_ids(user, STAFF_ROLES)


def visible_events(user):
    """Events of verified organisations for everyone; the others for their members, their region's coordinators
    and platform admins."""
    qs = Event.objects.all()
    if is_platform_admin(user):
        return qs
    condition = Q(organizer__status="verified")
    if _signed_in(user):
        condition |= Q(organizer_id__in=organization_ids(user)) | Q(region_id__in=coordinator_region_ids(user))
    return qs.filter(condition)


def public_events():
    """What the calendar feed and the public statistics show: events of verified organisations."""
    return Event.objects.filter(organizer__status="verified")


def can_view_event(user, event) -> bool:
    return (event.organizer.status == "verified" or is_platform_admin(user)
            or event.organizer_id in organization_ids(user) or event.region_id in coordinator_region_ids(user))


def can_create_event(user) -> bool:
    return is_platform_admin(user) or bool(staff_organization_ids(user)) or bool(coordinator_region_ids(user))


def can_manage_event(user, event) -> bool:
    """Edit, cancel, mark held, see the volunteers and confirm their hours."""
    if is_platform_admin(user):
        return True
    if not _signed_in(user):
        return False
    return event.organizer_id in staff_organization_ids(user) or event.region_id in coordinator_region_ids(user)


def managed_events(user):
    """Events this user runs."""
    qs = Event.objects.all()
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    return qs.filter(Q(organizer_id__in=staff_organization_ids(user))
                     | Q(region_id__in=coordinator_region_ids(user)))


def organizers_for(user):
    """Organisations in whose name this user may hold an event: their own as staff; any verified one for a
    coordinator (in their region) and a platform admin."""
    from qamqor.organizations.models import Organization

    verified = Organization.objects.filter(status=Organization.Status.VERIFIED)
    if is_platform_admin(user) or coordinator_region_ids(user):
        return verified
    return verified.filter(pk__in=staff_organization_ids(user))


def may_hold_event(user, *, organizer, region) -> bool:
    """An event in this region by this organiser: the organiser's staff anywhere, a coordinator in their region."""
    if is_platform_admin(user):
        return True
    if not _signed_in(user) or organizer is None:
        return False
    if organizer.status != "verified":
        return False
    if organizer.pk in staff_organization_ids(user):
        return True
    return region is not None and region.pk in coordinator_region_ids(user)


def can_volunteer(user) -> bool:
    """Signing up for events: users with the volunteer role."""
    return _signed_in(user) and user.has_role(Role.VOLUNTEER)


def visible_campaigns(user):
    """Campaign reports follow the campaigns' own rule (aid.access): public unless a draft."""
    from qamqor.aid import access as aid_access

    return aid_access.visible_campaigns(user)
