"""Who may see and do what with InvaTaxi: the one place these permissions are decided (DESIGN.md section 5).

- A provider's dispatchers (role `dispatcher`) and administrators (`org_admin`) of a verified provider run its fleet,
  shifts, ride requests, plans and manifests, and take rides by phone for the persons of the regions where the
  provider holds an InvaTaxi contract.
- A driver (the ProviderStaff of a shift) sees the manifest of their own shifts and marks the stops of the rides
  planned on them.
- A passenger sees and cancels their own rides (the registry record linked to their account); a representative does
  the same for the person they represent. Who may book for a person is social_services.access.can_book_for.
- Platform admins do everything.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from qamqor.accounts.access import is_platform_admin
from qamqor.accounts.models import Role
from qamqor.social_services import access as social_access

from .models import DayPlan, PlannedStop, RideRequest, Shift

DISPATCH_ROLES = {Role.DISPATCHER, Role.ORG_ADMIN}
INVATAXI = "invataxi"


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def dispatch_provider_ids(user) -> set[int]:
    """Providers where the user is a verified dispatcher or organisation admin (from the cached roles: no query)."""
    if not _signed_in(user):
        return set()
    return {a.organization_id for a in user.active_roles()
            if a.role in DISPATCH_ROLES and a.organization is not None and a.organization.status == "verified"}


def _provider_id(provider) -> int | None:
    return provider if isinstance(provider, int) else getattr(provider, "pk", None)


def can_dispatch(user, provider) -> bool:
    return _signed_in(user) and (is_platform_admin(user) or _provider_id(provider) in dispatch_provider_ids(user))


def is_driver_of(user, shift) -> bool:
    return _signed_in(user) and shift.driver.user_id == user.pk


def can_view_manifest(user, shift) -> bool:
    """The shift's driver and the provider's dispatchers."""
    return is_driver_of(user, shift) or can_dispatch(user, shift.provider_id)


def current_shift_id(ride) -> int | None:
    """The shift the ride is planned on in the newest version of its day's plan (None when it is on none)."""
    dp = DayPlan.objects.filter(provider_id=ride.provider_id, day=ride.day).first()
    if dp is None or dp.version == 0:
        return None
    return (PlannedStop.objects.filter(version__day_plan=dp, version__number=dp.version, request=ride)
            .values_list("shift_id", flat=True).first())


def can_mark(user, ride) -> bool:
    """The driver of the shift the ride is planned on, and the provider's dispatchers."""
    if not _signed_in(user):
        return False
    if can_dispatch(user, ride.provider_id):
        return True
    shift_id = current_shift_id(ride)
    return shift_id is not None and Shift.objects.filter(pk=shift_id, driver__user_id=user.pk).exists()


def passenger_person_ids(user) -> set[int]:
    """The registry records of the user (their own) and of those they represent."""
    if not _signed_in(user):
        return set()
    from qamqor.registry.models import Person

    own = set(Person.objects.filter(user_id=user.pk).values_list("pk", flat=True))
    return own | social_access.represented_person_ids(user)


def visible_rides(user):
    """Rides this user may see with the passenger's name and addresses."""
    qs = RideRequest.objects.all()
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    return qs.filter(Q(person_id__in=passenger_person_ids(user)) | Q(provider_id__in=dispatch_provider_ids(user)))


def can_view_ride(user, ride) -> bool:
    """The passenger, their representative, the provider's dispatchers."""
    if not _signed_in(user):
        return False
    return can_dispatch(user, ride.provider_id) or ride.person_id in passenger_person_ids(user)


def is_passenger_side(user, ride) -> bool:
    return _signed_in(user) and ride.person_id in passenger_person_ids(user)


def can_cancel_ride(user, ride) -> bool:
    return is_passenger_side(user, ride) or can_dispatch(user, ride.provider_id)


def provider_serves(provider, person, *, day=None) -> bool:
    """Whether the provider holds an InvaTaxi contract in force in the person's region (on the day)."""
    from qamqor.social_services.models import Contract

    day = day or timezone.localdate()
    return Contract.objects.filter(provider_id=_provider_id(provider), region_id=person.region_id,
                                   service_type__code=INVATAXI, status=Contract.Status.ACTIVE,
                                   starts_on__lte=day, current_ends_on__gte=day).exists()


def can_request_ride(user, person, provider=None) -> bool:
    """Whoever may book services for the person (themselves, a representative, the registering organisation), or a
    dispatcher of a provider serving the person's region (of `provider` when named) taking the call."""
    if person is None or not _signed_in(user):
        return False
    if social_access.can_book_for(user, person):
        return True
    if person.status != "active":
        return False
    providers = dispatch_provider_ids(user) if provider is None else (
        {_provider_id(provider)} if can_dispatch(user, provider) else set())
    return any(provider_serves(pid, person) for pid in providers)


def visible_shifts(user):
    qs = Shift.objects.all()
    if is_platform_admin(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    return qs.filter(Q(provider_id__in=dispatch_provider_ids(user)) | Q(driver__user_id=user.pk))
