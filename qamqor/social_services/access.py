"""Who may see and do what with special social services: the one place these permissions are decided (DESIGN.md
section 5).

- A person books, sees and cancels their own bookings (the registry record linked to their account); a
  representative (Representative, with a consent reference) does the same for the person they represent. Staff of
  the organisation that registered the person may book for them too (bookings taken by phone).
- A provider's dispatchers, admins and staff take a booking by phone for a person of a region where the provider
  holds a contract for the service (can_book_as_provider); the booking names the provider (`taken_by`), and its
  confirmation code stays the person's: whoever takes it for the provider does not see it.
- A provider's staff and admins see the bookings under their contracts and assign their staff; the provider's
  admins manage its staff and hours; a staff member sees their own schedule and records what they delivered.
- The customer (staff of the contract's customer organisation) and the coordinators of the contract's region see
  contracts and delivery totals, not persons. The customer's staff sign and amend contracts.
- Platform admins do everything, and manage the catalogue and eligibility rules.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from qamqor.accounts.access import coordinator_region_ids, is_platform_admin
from qamqor.accounts.models import Role
from qamqor.registry import access as registry_access

from .models import Booking, Contract, ProviderStaff, Representative

PROVIDER_ROLES = {Role.ORG_ADMIN, Role.ORG_STAFF, Role.DISPATCHER}
CUSTOMER_ROLES = {Role.ORG_ADMIN, Role.ORG_STAFF}


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def _verified_ids(user, roles) -> set[int]:
    if not _signed_in(user):
        return set()
    return {a.organization_id for a in user.active_roles()
            if a.role in roles and a.organization is not None and a.organization.status == "verified"}


def provider_ids(user) -> set[int]:
    """Organisations whose bookings this user schedules (admins, staff and dispatchers of verified providers)."""
    return _verified_ids(user, PROVIDER_ROLES)


def provider_admin_ids(user) -> set[int]:
    return _verified_ids(user, {Role.ORG_ADMIN})


def customer_ids(user) -> set[int]:
    """State bodies in whose name this user signs and follows contracts."""
    if not _signed_in(user):
        return set()
    return {a.organization_id for a in user.active_roles()
            if a.role in CUSTOMER_ROLES and a.organization is not None and a.organization.status == "verified"
            and a.organization.kind == "state_body"}


REPRESENTED_CACHE = "_social_represented_ids"


def represented_person_ids(user) -> set[int]:
    """The persons this user represents. Read once and kept on the user object, like its roles (User.active_roles):
    a request's user lives for that request, and a booking request asks this three times (may they book, which
    bookings they see, whether they see the person's code). representative_add and _revoke clear it."""
    if not _signed_in(user):
        return set()
    cached = user.__dict__.get(REPRESENTED_CACHE)
    if cached is None:
        cached = frozenset(Representative.objects.filter(user=user, revoked_at__isnull=True)
                           .values_list("person_id", flat=True))
        user.__dict__[REPRESENTED_CACHE] = cached
    return set(cached)


def forget_represented(user) -> None:
    """Drop the cached represented persons of a user object (after their representation changed)."""
    if user is not None:
        user.__dict__.pop(REPRESENTED_CACHE, None)


# --- Catalogue --------------------------------------------------------------------------------------------------------

def can_manage_catalogue(user) -> bool:
    return is_platform_admin(user)


# --- Persons and bookings --------------------------------------------------------------------------------------------

def can_book_for(user, person) -> bool:
    """The person themselves, their representative, staff of the organisation that registered them, platform admins."""
    if not _signed_in(user) or person.status != "active":
        return False
    if person.user_id == user.pk or is_platform_admin(user):
        return True
    if person.owner_id in registry_access.staff_organization_ids(user):
        return True
    return person.pk in represented_person_ids(user)


def can_book_as_provider(user, person, provider, service_type) -> bool:
    """A provider's dispatcher, admin or staff member (a verified role in the provider), or a platform admin, taking a
    booking for an active person of a region where the provider holds an active contract for the service that has
    not ended. Eligibility, quota and the contract's volume on the booked day are the booking's own checks."""
    if not _signed_in(user) or person is None or provider is None or service_type is None \
            or person.status != "active":
        return False
    if not (is_platform_admin(user) or provider.pk in provider_ids(user)):
        return False
    return Contract.objects.filter(provider=provider, service_type=service_type, region_id=person.region_id,
                                   status=Contract.Status.ACTIVE,
                                   current_ends_on__gte=timezone.localdate()).exists()


def bookable_persons(user):
    """The persons this user books for in the self-service portal: themselves and those they represent."""
    from qamqor.registry.models import Person

    if not _signed_in(user):
        return Person.objects.none()
    return Person.objects.filter(Q(user=user) | Q(pk__in=represented_person_ids(user)), status="active")


def visible_bookings(user):
    """Bookings this user may see with the person's name."""
    qs = Booking.objects.all()
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    return qs.filter(Q(person__user_id=user.pk) | Q(booked_by_id=user.pk)
                     | Q(person_id__in=represented_person_ids(user))
                     | Q(contract__provider_id__in=provider_ids(user)) | Q(staff__user_id=user.pk))


def can_view_booking(user, booking) -> bool:
    return visible_bookings(user).filter(pk=booking.pk).exists()


def is_booking_side(user, booking) -> bool:
    """The person, whoever booked it for them (not for a provider), or the person's representative: the side that
    cancels under the notice rule and sees the confirmation code."""
    if not _signed_in(user):
        return False
    if booking.person.user_id == user.pk:
        return True
    if booking.booked_by_id == user.pk and booking.taken_by_id is None:
        return True  # whoever took it for a provider is the provider's side
    return booking.person_id in represented_person_ids(user)


def is_provider_of(user, contract) -> bool:
    return is_platform_admin(user) or contract.provider_id in provider_ids(user)


def can_assign(user, booking) -> bool:
    return is_provider_of(user, booking.contract)


def can_cancel(user, booking) -> bool:
    return is_booking_side(user, booking) or is_provider_of(user, booking.contract)


def can_change(user, booking) -> bool:
    """Moving a booking to another time or place: the same people as cancelling it (the person's side within the
    notice rule, the provider at any time before the start)."""
    return can_cancel(user, booking)


def can_mark_no_show(user, booking) -> bool:
    """The assigned staff member and the provider's people record that the person did not come."""
    return can_record_delivery(user, booking) or can_assign(user, booking)


def can_record_delivery(user, booking) -> bool:
    """The assigned staff member, and the provider's admins for them (a paper record typed in later)."""
    if not _signed_in(user) or booking.staff_id is None:
        return False
    if booking.staff.user_id == user.pk:
        return True
    return is_platform_admin(user) or booking.contract.provider_id in provider_admin_ids(user)


# --- Staff -----------------------------------------------------------------------------------------------------------

def can_manage_staff(user, provider) -> bool:
    return is_platform_admin(user) or provider.pk in provider_admin_ids(user)


def can_view_schedule(user, provider) -> bool:
    return is_platform_admin(user) or provider.pk in provider_ids(user)


def visible_staff(user):
    qs = ProviderStaff.objects.select_related("user", "provider")
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    return qs.filter(Q(provider_id__in=provider_ids(user)) | Q(user_id=user.pk))


# --- Contracts -------------------------------------------------------------------------------------------------------

def visible_contracts(user):
    """Contracts with their totals: the customer's and provider's people, the region's coordinators, admins."""
    qs = Contract.objects.all()
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    return qs.filter(Q(customer_id__in=customer_ids(user)) | Q(provider_id__in=provider_ids(user))
                     | Q(region_id__in=coordinator_region_ids(user)))


def can_view_contract(user, contract) -> bool:
    return visible_contracts(user).filter(pk=contract.pk).exists()


def can_manage_contract(user, contract=None, *, customer=None) -> bool:
    """Signing and amending: staff of the customer (a state body), and platform admins."""
    if is_platform_admin(user):
        return True
    customer_id = contract.customer_id if contract is not None else getattr(customer, "pk", None)
    return customer_id is not None and customer_id in customer_ids(user)


def contract_customers(user):
    """The state bodies in whose name this user records new contracts (verified ones only)."""
    from qamqor.organizations.models import Organization

    qs = Organization.objects.filter(kind=Organization.Kind.STATE_BODY, status="verified")
    if is_platform_admin(user):
        return qs
    return qs.filter(pk__in=customer_ids(user))


def can_create_contracts(user) -> bool:
    return is_platform_admin(user) or bool(customer_ids(user))


def can_generate_act(user, contract) -> bool:
    """The provider draws up the act; the customer and the provider may both issue it."""
    return is_provider_of(user, contract)


def can_issue_act(user, contract) -> bool:
    return is_provider_of(user, contract) or can_manage_contract(user, contract)


def can_view_totals(user) -> bool:
    """Customer totals by region, type and period (no persons): customers, coordinators, admins."""
    return is_platform_admin(user) or bool(customer_ids(user)) or bool(coordinator_region_ids(user))


def totals_scope(user) -> Q | None:
    """The contracts whose delivery totals this user sees (None: everything)."""
    if is_platform_admin(user):
        return None
    return (Q(customer_id__in=customer_ids(user)) | Q(provider_id__in=provider_ids(user))
            | Q(region_id__in=coordinator_region_ids(user)))


# --- Representatives -------------------------------------------------------------------------------------------------

def can_manage_representatives(user, person) -> bool:
    """Staff of the organisation that registered the person record the representative and the consent document."""
    return registry_access.can_edit_person(user, person)

