"""Who may see and record an organisation's books and stock, receipts and trace pages: the one place these
permissions are decided (DESIGN.md section 5).

An organisation's administrators and staff (of a verified organisation) record and see its ledger. Platform
administrators and the coordinators of the organisation's region see it; they record nothing in another
organisation's books. Stock moved by an allocation or a distribution (reserve, release, hand over, return) may also
be moved by platform administrators, the coordinators of the warehouse's region (who confirm allocations) and the
volunteer handing a distribution over. A donor sees the receipts of their
own gifts and where each gift went (the trace page), nothing else.
"""

from django.db.models import Q

from qamqor.accounts.access import coordinator_region_ids, is_platform_admin, organization_ids
from qamqor.organizations.models import Organization
from qamqor.registry import access as registry_access


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def recording_organization_ids(user) -> set[int]:
    """Verified organisations whose books this user keeps (org_admin, org_staff)."""
    return registry_access.staff_organization_ids(user)


def visible_organizations(user):
    """Organisations whose ledger and stock this user may see."""
    qs = Organization.objects.all()
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    return qs.filter(Q(pk__in=recording_organization_ids(user)) | Q(region_id__in=coordinator_region_ids(user)))


def can_use_ledger(user) -> bool:
    return is_platform_admin(user) or bool(recording_organization_ids(user)) or bool(coordinator_region_ids(user))


def can_view_ledger(user, organization) -> bool:
    if is_platform_admin(user):
        return True
    return organization.pk in recording_organization_ids(user) or organization.region_id in coordinator_region_ids(user)


def can_record(user, organization) -> bool:
    """Money and goods are recorded by the organisation's own administrators and staff."""
    return organization.pk in recording_organization_ids(user)


def can_move_reserved_stock(user, warehouse, distribution=None) -> bool:
    """Reserving, releasing, handing over and returning follow allocations and distributions (the aid app checks
    its own rules first): platform admins, the warehouse's organisation, the coordinators of its region (who
    confirm allocations), and for one distribution the volunteer handing it over and the coordinators of the
    recipient's region."""
    if is_platform_admin(user):
        return True
    if not _signed_in(user):
        return False
    if (warehouse.organization_id in recording_organization_ids(user)
            or warehouse.region_id in coordinator_region_ids(user)):
        return True
    if distribution is None:
        return False
    return distribution.volunteer_id == user.pk or distribution.need.region_id in coordinator_region_ids(user)


def is_offer_donor(user, offer) -> bool:
    """The person who gave, or a member of the organisation that gave."""
    if offer is None or not _signed_in(user):
        return False
    if offer.donor_user_id is not None and offer.donor_user_id == user.pk:
        return True
    return offer.donor_organization_id is not None and offer.donor_organization_id in organization_ids(user)


def can_view_receipt(user, txn) -> bool:
    """A donation's receipt: those who see the organisation's books, and the donor of the linked offer."""
    if txn.kind != txn.Kind.DONATION:
        return False
    return can_view_ledger(user, txn.organization) or is_offer_donor(user, txn.offer)


def can_view_trace(user, offer) -> bool:
    """Where a gift went: its donor, the receiving organisation's staff, platform administrators."""
    return (is_platform_admin(user) or is_offer_donor(user, offer)
            or offer.recipient_id in recording_organization_ids(user))


def own_offers_filter(user) -> Q:
    """Offers this user gave, personally or through an organisation they belong to."""
    if not _signed_in(user):
        return Q(pk__in=[])
    return Q(donor_user_id=user.pk) | Q(donor_organization_id__in=organization_ids(user))
