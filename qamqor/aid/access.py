"""Who may see and change needs, offers, campaigns, lots, allocations and distributions: the one place these
permissions are decided (DESIGN.md section 5).

A need belongs to the organisation that recorded it (or, when a person applied themselves, to the organisation
that registered them, or to the coordinators of the region until someone does). A coordinator sees the needs of
their region. A campaign is run by its organiser's staff and by the coordinators of its regions. A donor sees their
own offers. A person sees their own needs and the help they received.
"""

from django.db.models import Q

from qamqor.accounts.access import coordinator_region_ids, is_platform_admin, organization_ids
from qamqor.accounts.models import Role
from qamqor.registry import access as registry_access

from .models import Campaign, Distribution, Need, Offer

STAFF_ROLES = {Role.ORG_ADMIN, Role.ORG_STAFF}


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def staff_organization_ids(user) -> set[int]:
    """Verified organisations whose needs, lots and distributions this user works on."""
    return registry_access.staff_organization_ids(user)


def _own_need(user):
    return Q(applicant_id=user.pk) | Q(person__user_id=user.pk)


def own_needs(user):
    """A person's own needs: those they applied for and those recorded for their registry record."""
    if not _signed_in(user):
        return Need.objects.none()
    return Need.objects.filter(_own_need(user))


def own_distributions(user):
    """Hand-overs to a person: of their applications and to their registry record."""
    if not _signed_in(user):
        return Distribution.objects.none()
    return Distribution.objects.filter(Q(need__applicant_id=user.pk) | Q(person__user_id=user.pk))


def visible_needs(user):
    """Needs this user may see with the recipient's name."""
    qs = Need.objects.all()
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    condition = (Q(owner_id__in=staff_organization_ids(user)) | Q(region_id__in=coordinator_region_ids(user))
                 | _own_need(user))
    return qs.filter(condition)


def can_view_need(user, need) -> bool:
    return visible_needs(user).filter(pk=need.pk).exists()


def can_work_on_needs(user) -> bool:
    """Staff of a verified organisation, coordinators and platform admins record and follow needs."""
    return is_platform_admin(user) or bool(staff_organization_ids(user)) or bool(coordinator_region_ids(user))


def can_record_need_for(user, person) -> bool:
    """A need for a registered person is recorded by those who may change the person's record."""
    return registry_access.can_edit_person(user, person)


def can_record_institution_need(user) -> bool:
    return is_platform_admin(user) or bool(staff_organization_ids(user))


def can_change_need(user, need) -> bool:
    """The recording organisation's staff, the region's coordinators, platform admins; the applicant cancels their
    own open application."""
    if is_platform_admin(user):
        return True
    if not _signed_in(user):
        return False
    if need.owner_id in staff_organization_ids(user) or need.region_id in coordinator_region_ids(user):
        return True
    return need.self_applied and need.applicant_id == user.pk


def can_link_application(user, need) -> bool:
    """Linking an application to a registry record: the region's coordinators and platform admins."""
    return is_platform_admin(user) or need.region_id in coordinator_region_ids(user)


def can_apply(user) -> bool:
    """Anyone signed in may ask for help for themselves."""
    return _signed_in(user)


# Campaigns.

def visible_campaigns(user):
    """Open and closed campaigns are public; drafts only to those who run them."""
    qs = Campaign.objects.all()
    if is_platform_admin(user):
        return qs
    public = ~Q(status=Campaign.Status.DRAFT)
    if not _signed_in(user):
        return qs.filter(public)
    runs = Q(organizer_id__in=staff_organization_ids(user)) | Q(regions__in=coordinator_region_ids(user))
    return qs.filter(public | runs).distinct()


def can_create_campaign(user) -> bool:
    return is_platform_admin(user) or bool(staff_organization_ids(user)) or bool(coordinator_region_ids(user))


def can_manage_campaign(user, campaign) -> bool:
    """The organiser's staff, coordinators of one of its regions, platform admins."""
    if is_platform_admin(user):
        return True
    if not _signed_in(user):
        return False
    if campaign.organizer_id in staff_organization_ids(user):
        return True
    regions = coordinator_region_ids(user)
    return bool(regions) and campaign.regions.filter(pk__in=regions).exists()


def campaign_organizers_for(user):
    """Organisations in whose name this user may run a campaign."""
    from qamqor.organizations.models import Organization

    verified = Organization.objects.filter(status=Organization.Status.VERIFIED)
    if is_platform_admin(user):
        return verified
    return verified.filter(Q(pk__in=staff_organization_ids(user)) | Q(region_id__in=coordinator_region_ids(user)))


def warehouses_for(user):
    from .models import Warehouse

    qs = Warehouse.objects.filter(active=True).select_related("organization", "region")
    if is_platform_admin(user):
        return qs
    return qs.filter(Q(organization_id__in=staff_organization_ids(user))
                     | Q(region_id__in=coordinator_region_ids(user)))


# Offers.

def visible_offers(user):
    """A donor's own offers (as a person, or as a member of the donor organisation), and offers made to an
    organisation for its staff."""
    qs = Offer.objects.all()
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    mine = organization_ids(user)
    return qs.filter(Q(donor_user_id=user.pk) | Q(donor_organization_id__in=mine)
                     | Q(recipient_id__in=staff_organization_ids(user)))


def can_make_offer(user) -> bool:
    return _signed_in(user)


def donor_organizations_for(user):
    """Organisations in whose name this user may give: those they administer or work for."""
    from qamqor.organizations.models import Organization

    return Organization.objects.filter(pk__in=organization_ids(user, STAFF_ROLES),
                                       status=Organization.Status.VERIFIED)


def can_receive_offer(user, offer) -> bool:
    """The receiving organisation's staff record that a gift arrived."""
    return is_platform_admin(user) or offer.recipient_id in staff_organization_ids(user)


def can_cancel_offer(user, offer) -> bool:
    if can_receive_offer(user, offer):
        return True
    if not _signed_in(user):
        return False
    return offer.donor_user_id == user.pk or offer.donor_organization_id in organization_ids(user, STAFF_ROLES)


# Distributions.

def visible_distributions(user):
    qs = Distribution.objects.all()
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    return qs.filter(Q(organization_id__in=staff_organization_ids(user))
                     | Q(need__region_id__in=coordinator_region_ids(user))
                     | Q(volunteer_id=user.pk) | Q(need__applicant_id=user.pk) | Q(person__user_id=user.pk))


def can_hand_over(user, distribution) -> bool:
    """The distributing organisation's staff, the volunteer it was given to, coordinators of the region."""
    if is_platform_admin(user):
        return True
    if not _signed_in(user):
        return False
    return (distribution.organization_id in staff_organization_ids(user) or distribution.volunteer_id == user.pk
            or distribution.need.region_id in coordinator_region_ids(user))


def is_recipient(user, distribution) -> bool:
    if not _signed_in(user):
        return False
    need = distribution.need
    return need.applicant_id == user.pk or (distribution.person_id is not None
                                            and distribution.person.user_id == user.pk)
