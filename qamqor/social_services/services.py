"""Every write of special social services: the catalogue and its rules, contracts and amendments, provider staff and
hours, representatives, bookings (single and recurring), assignment, cancellation, delivery records and monthly acts.

Each checks permission through access.py, validates, writes its audit row in the same transaction, and raises
ServiceError (a whole translated sentence naming the field, and `code`) without changing anything when it refuses.
A refused booking carries `exc.alternative`: the next free slot (selectors.Slot) when there is one, also named in the
message. `now=` exists for tests and demo data; pages and the API never pass it.

Locks, always in this order so that two writers never wait on each other in a circle: the person, then the
contracts of the service in the region (their volume), then the staff member (their time), then the booking."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import DisabilityCategory
from qamqor.core.services import audit_record, snapshot
from qamqor.lib.codes import code_matches, one_time_code
from qamqor.organizations.models import Organization
from qamqor.registry.models import Category, Person

from . import access, selectors
from .eligibility import NEED_FLAGS
from .models import (Act, ActLine, Booking, Contract, ContractAmendment, DeliveryRecord, EligibilityRule,
                     ProviderStaff, Purpose, RecurrenceSeries, Representative, ServiceType, StaffRole, WorkingHours)
from .notifications import notify

MAX_UNITS = Decimal("1000000")
MAX_MONEY = Decimal("999999999999.99")
MAX_OCCURRENCES = 120
MAX_BOOKING = dt.timedelta(hours=24)


def _refuse(message, *, field=None, code="invalid", alternative=None):
    if alternative is not None:
        message = f"{message} {alternative.describe()}"
    exc = ServiceError(message, field=field, code=code)
    exc.alternative = alternative
    return exc


# --- Validation helpers ----------------------------------------------------------------------------------------------

def _decimal(value, *, field, message, places=2, allow_zero=False, maximum=MAX_UNITS) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ServiceError(message, field=field)
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ServiceError(message, field=field) from None
    if not number.is_finite() or number != number.quantize(Decimal(1).scaleb(-places)):
        raise ServiceError(message, field=field)
    if number < 0 or (number == 0 and not allow_zero) or number > maximum:
        raise ServiceError(message, field=field)
    return number.quantize(Decimal(1).scaleb(-places))


def _units(value, *, field="volume") -> Decimal:
    return _decimal(value, field=field, message=_("Enter a number of units more than zero, with at most two "
                                                  "decimals, such as 120 or 7.5."))


def _money(value, *, field, allow_zero=True) -> Decimal:
    return _decimal(value, field=field, allow_zero=allow_zero, maximum=MAX_MONEY,
                    message=_("Enter the amount in tenge with at most two decimals, such as 4500 or 4500.50."))


def _optional(value):
    return None if value is None or str(value).strip() == "" else value


def _moment(value, *, field) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ServiceError(_("Enter the date and time, such as 14.05.2026 10:00."), field=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _text(value, *, limit) -> str:
    return (value or "").strip()[:limit]


def _region_required(region, field="region"):
    if region is None:
        raise ServiceError(_("Choose the region."), field=field)
    return region


# --- Catalogue -------------------------------------------------------------------------------------------------------

SERVICE_TYPE_FIELDS = ("name_kk", "name_ru", "name_en", "unit", "staff_role", "tariff_kzt", "tariff_year",
                       "default_minutes", "cancel_notice_hours", "active", "notes")


def _clean_service_type(values: dict) -> dict:
    for lang in ("kk", "ru", "en"):
        if f"name_{lang}" in values:
            values[f"name_{lang}"] = _text(values[f"name_{lang}"], limit=250)
            if not values[f"name_{lang}"]:
                raise ServiceError(_("Enter the name in Kazakh, Russian and English."), field=f"name_{lang}")
    if "unit" in values and values["unit"] not in ServiceType.Unit.values:
        raise ServiceError(_("Choose the unit: ride, hour, visit, day or course."), field="unit")
    if "staff_role" in values and values["staff_role"] not in ("", *StaffRole.values):
        raise ServiceError(_("Choose who delivers the service."), field="staff_role")
    if "tariff_kzt" in values:
        values["tariff_kzt"] = None if _optional(values["tariff_kzt"]) is None else _money(values["tariff_kzt"],
                                                                                          field="tariff_kzt")
    if "default_minutes" in values:
        minutes = values["default_minutes"]
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 < minutes <= 24 * 60:
            raise ServiceError(_("Enter the usual duration in minutes, from 1 to 1440."), field="default_minutes")
    if "cancel_notice_hours" in values:
        hours = values["cancel_notice_hours"]
        if not isinstance(hours, int) or isinstance(hours, bool) or not 0 <= hours <= 720:
            raise ServiceError(_("Enter the notice for cancelling in hours, from 0 to 720."),
                               field="cancel_notice_hours")
    return values


def service_type_create(*, actor, code: str, name_kk: str, name_ru: str, name_en: str, unit: str,
                        staff_role: str = "", tariff_kzt=None, tariff_year: int | None = None,
                        default_minutes: int = 60, cancel_notice_hours: int = 24, active: bool = True,
                        notes: str = "") -> ServiceType:
    """Add a service type to the catalogue (platform admins)."""
    if not access.can_manage_catalogue(actor):
        raise PermissionDenied(_("Only platform administrators change the catalogue of services."))
    code = (code or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9_-]{2,40}", code):
        raise ServiceError(_("Enter a code of 2-40 Latin letters, digits, hyphens or underscores."), field="code")
    if ServiceType.objects.filter(code=code).exists():
        raise ServiceError(_("A service with this code already exists."), field="code")
    values = _clean_service_type({"name_kk": name_kk, "name_ru": name_ru, "name_en": name_en, "unit": unit,
                                  "staff_role": staff_role, "tariff_kzt": tariff_kzt, "tariff_year": tariff_year,
                                  "default_minutes": default_minutes, "cancel_notice_hours": cancel_notice_hours,
                                  "active": bool(active), "notes": _text(notes, limit=2000)})
    with transaction.atomic():
        service_type = ServiceType.objects.create(code=code, **values)
        audit_record(actor=actor, action="social_service_type.create", obj=service_type, after=snapshot(service_type))
    return service_type


def service_type_update(*, actor, service_type: ServiceType, **changes) -> ServiceType:
    """Change a service type's names, unit, tariff, duration, cancellation notice or availability."""
    if not access.can_manage_catalogue(actor):
        raise PermissionDenied(_("Only platform administrators change the catalogue of services."))
    unknown = set(changes) - set(SERVICE_TYPE_FIELDS)
    if unknown:
        raise ServiceError(_("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
                           field=sorted(unknown)[0])
    values = _clean_service_type(dict(changes))
    with transaction.atomic():
        locked = ServiceType.objects.select_for_update().get(pk=service_type.pk)
        before = snapshot(locked)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
        audit_record(actor=actor, action="social_service_type.update", obj=locked, before=before,
                     after=snapshot(locked))
    return locked


RULE_FIELDS = ("name", "disability_codes", "needs", "min_age", "max_age", "regions", "category_codes",
               "units_per_day", "units_per_month", "units_per_year", "priority", "active", "source", "notes")


def _clean_rule(values: dict) -> dict:
    if "name" in values:
        values["name"] = _text(values["name"], limit=200)
        if not values["name"]:
            raise ServiceError(_("Name the rule, such as “Group I or II”."), field="name")
    if "disability_codes" in values:
        codes = sorted({str(c) for c in values["disability_codes"] or ()})
        known = set(DisabilityCategory.objects.filter(code__in=codes).values_list("code", flat=True))
        if set(codes) - known:
            raise ServiceError(_("Unknown disability category: %(codes)s.") % {
                "codes": ", ".join(sorted(set(codes) - known))}, field="disability_codes")
        values["disability_codes"] = codes
    if "needs" in values:
        needs = sorted({str(n) for n in values["needs"] or ()})
        if set(needs) - set(NEED_FLAGS):
            raise ServiceError(_("Unknown functional need: %(needs)s.") % {
                "needs": ", ".join(sorted(set(needs) - set(NEED_FLAGS)))}, field="needs")
        values["needs"] = needs
    if "category_codes" in values:
        codes = sorted({str(c) for c in values["category_codes"] or ()})
        known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
        if set(codes) - known:
            raise ServiceError(_("Unknown registry category: %(codes)s.") % {
                "codes": ", ".join(sorted(set(codes) - known))}, field="category_codes")
        values["category_codes"] = codes
    for name in ("min_age", "max_age"):
        if name in values and values[name] is not None:
            age = values[name]
            if not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 130:
                raise ServiceError(_("Enter an age in whole years from 0 to 130."), field=name)
    for name in ("units_per_day", "units_per_month", "units_per_year"):
        if name in values:
            values[name] = None if _optional(values[name]) is None else _units(values[name], field=name)
    return values


def _check_rule(rule: EligibilityRule) -> None:
    if rule.min_age is not None and rule.max_age is not None and rule.min_age > rule.max_age:
        raise ServiceError(_("The minimum age must not be above the maximum age."), field="max_age")


def rule_create(*, actor, service_type: ServiceType, name: str, disability_codes=(), needs=(), min_age=None,
                max_age=None, regions=(), category_codes=(), units_per_day=None, units_per_month=None,
                units_per_year=None, priority: int = 100, source: str = "", notes: str = "") -> EligibilityRule:
    """Add one way to be entitled to a service (conditions all-of; the type's rules any-of) with its quota."""
    if not access.can_manage_catalogue(actor):
        raise PermissionDenied(_("Only platform administrators change eligibility rules."))
    values = _clean_rule({"name": name, "disability_codes": disability_codes, "needs": needs, "min_age": min_age,
                          "max_age": max_age, "category_codes": category_codes, "units_per_day": units_per_day,
                          "units_per_month": units_per_month, "units_per_year": units_per_year})
    rule = EligibilityRule(service_type=service_type, priority=int(priority), source=_text(source, limit=200),
                           notes=_text(notes, limit=2000), created_by=actor, **values)
    _check_rule(rule)
    with transaction.atomic():
        rule.save()
        rule.regions.set(list(regions))
        audit_record(actor=actor, action="social_rule.create", obj=rule,
                     after={**snapshot(rule), "regions": [r.pk for r in regions]})
    return rule


def rule_update(*, actor, rule: EligibilityRule, **changes) -> EligibilityRule:
    if not access.can_manage_catalogue(actor):
        raise PermissionDenied(_("Only platform administrators change eligibility rules."))
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ServiceError(_("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
                           field=sorted(unknown)[0])
    regions = changes.pop("regions", None)
    values = _clean_rule(dict(changes))
    with transaction.atomic():
        locked = EligibilityRule.objects.select_for_update().get(pk=rule.pk)
        before = {**snapshot(locked), "regions": list(locked.regions.values_list("pk", flat=True))}
        for name, value in values.items():
            setattr(locked, name, value)
        _check_rule(locked)
        locked.save()
        if regions is not None:
            locked.regions.set(list(regions))
        audit_record(actor=actor, action="social_rule.update", obj=locked, before=before,
                     after={**snapshot(locked), "regions": list(locked.regions.values_list("pk", flat=True))})
    return locked


# --- Contracts -------------------------------------------------------------------------------------------------------

def contract_create(*, actor, customer: Organization, provider: Organization, service_type: ServiceType, region,
                    number: str, starts_on: dt.date, ends_on: dt.date, volume, unit_price, budget=None,
                    allows_overrun: bool = False) -> Contract:
    """Record a state social order contract; its budget is volume × price unless another amount is given."""
    if customer is None or customer.kind != Organization.Kind.STATE_BODY or customer.status != "verified":
        raise ServiceError(_("The customer of a state social order is a verified state body."), field="customer")
    if not access.can_manage_contract(actor, customer=customer):
        raise PermissionDenied(_("Only staff of the customer state body record its contracts."))
    if provider is None or provider.status != "verified" or provider.pk == customer.pk:
        raise ServiceError(_("Choose a verified provider organisation."), field="provider")
    _region_required(region)
    if service_type is None:
        raise ServiceError(_("Choose the service."), field="service_type")
    number = _text(number, limit=60)
    if not number:
        raise ServiceError(_("Enter the contract number."), field="number")
    if Contract.objects.filter(number=number).exists():
        raise ServiceError(_("A contract with this number is already recorded."), field="number")
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise ServiceError(_("Enter the contract period."), field="starts_on")
    if ends_on < starts_on:
        raise ServiceError(_("The contract must end on or after the day it starts."), field="ends_on")
    volume = _units(volume)
    unit_price = _money(unit_price, field="unit_price")
    budget = (volume * unit_price).quantize(Decimal("0.01")) if _optional(budget) is None else _money(budget,
                                                                                                       field="budget")
    if budget > MAX_MONEY:
        raise ServiceError(_("The budget is too large. Check the volume and price."), field="budget")
    with transaction.atomic():
        contract = Contract.objects.create(
            number=number, customer=customer, provider=provider, service_type=service_type, region=region,
            starts_on=starts_on, ends_on=ends_on, volume=volume, unit_price=unit_price, budget=budget,
            current_ends_on=ends_on, current_volume=volume, current_unit_price=unit_price, current_budget=budget,
            allows_overrun=bool(allows_overrun), created_by=actor)
        audit_record(actor=actor, action="social_contract.create", obj=contract, after=snapshot(contract))
    return contract


def contract_amend(*, actor, contract: Contract, signed_on: dt.date, reason: str, volume=None, unit_price=None,
                   ends_on: dt.date | None = None, budget=None) -> ContractAmendment:
    """Record a signed amendment; the contract's current terms become the original terms with every amendment."""
    if not access.can_manage_contract(actor, contract):
        raise PermissionDenied(_("Only staff of the customer state body amend its contracts."))
    reason = _text(reason, limit=2000)
    if not reason:
        raise ServiceError(_("Say why the contract is amended."), field="reason")
    if not isinstance(signed_on, dt.date):
        raise ServiceError(_("Enter the date the amendment was signed."), field="signed_on")
    new_volume = None if _optional(volume) is None else _units(volume)
    new_price = None if _optional(unit_price) is None else _money(unit_price, field="unit_price")
    new_budget = None if _optional(budget) is None else _money(budget, field="budget")
    if ends_on is not None and ends_on < contract.starts_on:
        raise ServiceError(_("The contract must end on or after the day it starts."), field="ends_on")
    if new_volume is None and new_price is None and ends_on is None and new_budget is None:
        raise ServiceError(_("Enter what the amendment changes: volume, price, end date or budget."), field="volume")
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if new_volume is not None and not locked.allows_overrun:
            used = selectors.contract_consumption(locked).used
            if new_volume < used:
                raise ServiceError(_("The new volume (%(new)s) is below what is already delivered or booked "
                                     "(%(used)s). Cancel bookings first or allow an overrun.") % {
                                         "new": new_volume, "used": used}, field="volume")
        before = snapshot(locked)
        sequence = (locked.amendments.order_by("-sequence").values_list("sequence", flat=True).first() or 0) + 1
        amendment = ContractAmendment.objects.create(
            contract=locked, sequence=sequence, signed_on=signed_on, reason=reason, new_volume=new_volume,
            new_unit_price=new_price, new_ends_on=ends_on, new_budget=new_budget, created_by=actor)
        terms = selectors.contract_terms(locked)
        locked.current_volume, locked.current_unit_price = terms.volume, terms.unit_price
        locked.current_ends_on, locked.current_budget = terms.ends_on, terms.budget
        locked.save(update_fields=["current_volume", "current_unit_price", "current_ends_on", "current_budget"])
        audit_record(actor=actor, action="social_contract.amend", obj=locked, before=before, after=snapshot(locked),
                     reason=reason)
    return amendment


def contract_set_status(*, actor, contract: Contract, status: str, reason: str = "") -> Contract:
    if not access.can_manage_contract(actor, contract):
        raise PermissionDenied(_("Only staff of the customer state body change its contracts."))
    if status not in Contract.Status.values:
        raise ServiceError(_("Choose a status."), field="status")
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        before = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="social_contract.status", obj=locked, before={"status": before},
                     after={"status": status}, reason=_text(reason, limit=500))
    return locked


# --- Staff -----------------------------------------------------------------------------------------------------------

def staff_add(*, actor, provider: Organization, user, role: str) -> ProviderStaff:
    """Make a user a provider's interpreter, assistant, carer or driver (a provider's admins)."""
    if provider is None or not access.can_manage_staff(actor, provider):
        raise PermissionDenied(_("Only the provider's administrators manage its staff."))
    if role not in StaffRole.values:
        raise ServiceError(_("Choose the staff member's role."), field="role")
    if user is None or not user.is_active:
        raise ServiceError(_("Choose an active user account."), field="user")
    with transaction.atomic():
        staff, created = ProviderStaff.objects.select_for_update().get_or_create(
            provider=provider, user=user, defaults={"role": role})
        if not created:
            if staff.active and staff.role == role:
                raise ServiceError(_("This person already works for the provider in this role."), field="user")
            staff.role, staff.active = role, True
            staff.save(update_fields=["role", "active"])
        audit_record(actor=actor, action="social_staff.add", obj=staff, after=snapshot(staff))
    return staff


def staff_deactivate(*, actor, staff: ProviderStaff) -> ProviderStaff:
    """The staff member leaves: no new assignments; their future assigned bookings go back to requested."""
    if not access.can_manage_staff(actor, staff.provider):
        raise PermissionDenied(_("Only the provider's administrators manage its staff."))
    with transaction.atomic():
        locked = ProviderStaff.objects.select_for_update().get(pk=staff.pk)
        locked.active = False
        locked.save(update_fields=["active"])
        freed = Booking.objects.filter(staff=locked, status=Booking.Status.ASSIGNED, starts_at__gt=timezone.now()) \
            .update(staff=None, status=Booking.Status.REQUESTED)
        audit_record(actor=actor, action="social_staff.deactivate", obj=locked, after={"unassigned": freed})
    return locked


def staff_set_hours(*, actor, staff: ProviderStaff, hours) -> list[WorkingHours]:
    """Replace a staff member's weekly working hours: hours is [(weekday 0-6, starts, ends), ...], local time."""
    if not access.can_manage_staff(actor, staff.provider):
        raise PermissionDenied(_("Only the provider's administrators set working hours."))
    rows = []
    for weekday, starts, ends in hours:
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise ServiceError(_("Choose a day of the week."), field="hours")
        if not isinstance(starts, dt.time) or not isinstance(ends, dt.time) or ends <= starts:
            raise ServiceError(_("Each working interval must end after it starts, within the day."), field="hours")
        rows.append(WorkingHours(staff=staff, weekday=weekday, starts=starts, ends=ends))
    rows.sort(key=lambda h: (h.weekday, h.starts))
    for a, b in zip(rows, rows[1:]):
        if a.weekday == b.weekday and b.starts < a.ends:
            raise ServiceError(_("Working intervals of one day must not overlap."), field="hours")
    with transaction.atomic():
        ProviderStaff.objects.select_for_update().get(pk=staff.pk)
        before = [(h.weekday, h.starts, h.ends) for h in staff.hours.all()]
        WorkingHours.objects.filter(staff=staff).delete()
        WorkingHours.objects.bulk_create(rows)
        audit_record(actor=actor, action="social_staff.hours", obj=staff, before={"hours": before},
                     after={"hours": [(h.weekday, h.starts, h.ends) for h in rows]})
    return rows


# --- Representatives -------------------------------------------------------------------------------------------------

def representative_add(*, actor, person: Person, user, consent_reference: str, relationship: str = "") -> Representative:
    """Let a user book for a person, on a consent document (staff of the organisation that registered the person)."""
    if not access.can_manage_representatives(actor, person):
        raise PermissionDenied(_("Only staff of the organisation that registered the person record representatives."))
    consent_reference = _text(consent_reference, limit=200)
    if not consent_reference:
        raise ServiceError(_("Enter the consent document, such as “power of attorney No. 12 of 01.03.2026”."),
                           field="consent_reference")
    if user is None or user.pk == person.user_id:
        raise ServiceError(_("Choose the representative's user account."), field="user")
    if Representative.objects.filter(user=user, person=person, revoked_at__isnull=True).exists():
        raise ServiceError(_("This user already represents the person."), field="user")
    with transaction.atomic():
        rep = Representative.objects.create(user=user, person=person, consent_reference=consent_reference,
                                            relationship=_text(relationship, limit=100), created_by=actor)
        audit_record(actor=actor, action="social_representative.add", obj=rep, after=snapshot(rep))
    access.forget_represented(user)
    return rep


def representative_revoke(*, actor, representative: Representative, reason: str = "") -> Representative:
    if not (access.can_manage_representatives(actor, representative.person)
            or (actor is not None and representative.person.user_id == actor.pk)):
        raise PermissionDenied(_("You may not change this person's representatives."))
    with transaction.atomic():
        locked = Representative.objects.select_for_update().get(pk=representative.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="social_representative.revoke", obj=locked,
                         after={"revoked_at": locked.revoked_at}, reason=_text(reason, limit=500))
    access.forget_represented(representative.user)
    access.forget_represented(actor)
    return locked


# --- Bookings --------------------------------------------------------------------------------------------------------

def booking_confirmation_code(booking: Booking) -> str:
    """The person's one-time confirmation code for a booking (qamqor.lib.codes): shown only to the person (and their
    representative); the staff member types the code the person tells them."""
    return one_time_code("social-booking", booking.pk, booking.created_at)


def _booking_times(service_type: ServiceType, starts_at, ends_at) -> tuple[dt.datetime, dt.datetime]:
    starts_at = _moment(starts_at, field="starts_at")
    ends_at = starts_at + dt.timedelta(minutes=service_type.default_minutes) if ends_at is None \
        else _moment(ends_at, field="ends_at")
    if ends_at <= starts_at:
        raise ServiceError(_("The booking must end after it starts."), field="ends_at")
    if ends_at - starts_at > MAX_BOOKING:
        raise ServiceError(_("A booking lasts at most 24 hours. Book longer help as a recurring booking."),
                           field="ends_at")
    # In UTC, as the database gives them back: an answer made from this object reads as one read later.
    return starts_at.astimezone(dt.timezone.utc), ends_at.astimezone(dt.timezone.utc)


def _check_staff(staff: ProviderStaff, service_type: ServiceType, *, field="staff") -> None:
    if not staff.active:
        raise ServiceError(_("This staff member no longer works for the provider."), field=field)
    if service_type.staff_role and staff.role != service_type.staff_role:
        raise ServiceError(_("This staff member does not deliver this service."), field=field)


def _slot(service_type, region, after, duration, *, staff=None, units=None):
    return selectors.next_free_slot(service_type, region, after, duration, staff=staff, units=units)


def _choose_contract(service_type, region, day, units, *, provider=None, exclude_booking=None,
                     after=None, duration=None) -> Contract:
    """The contract for a booking: in force on the day for the service in the person's region (of the provider when
    one is named), with volume left, the one ending first; else one that allows an overrun. Locks the candidates,
    so that two bookings cannot both take the last units."""
    # Only the contracts' rows are locked (their provider is joined for the answer, not locked).
    candidates = list(selectors.contracts_for(service_type, region, day, provider=provider)
                      .select_for_update(of=("self",)).select_related("provider").order_by("pk"))
    if not candidates:
        raise _refuse(_("No provider has a contract for this service in your region on this date."),
                      field="starts_at", code="no_contract",
                      alternative=_slot(service_type, region, after, duration) if after else None)
    used = selectors.consumption_many(c.pk for c in candidates)
    if exclude_booking is not None and exclude_booking.contract_id in used \
            and exclude_booking.status in Booking.ACTIVE:
        delivered, booked = used[exclude_booking.contract_id]
        used[exclude_booking.contract_id] = (delivered, booked - exclude_booking.units)
    candidates.sort(key=lambda c: (c.current_ends_on, c.pk))
    for contract in candidates:
        # What the contract held under the lock, for the booking's consumption warnings (_warnings_after).
        contract.used_before = used[contract.pk]
    for contract in candidates:
        if contract.current_volume - sum(used[contract.pk]) >= units:
            return contract
    for contract in candidates:
        if contract.allows_overrun:
            return contract
    raise _refuse(_("The contracted volume of this service in your region is used up: the provider cannot take "
                    "more bookings under its contract."), field="starts_at", code="contract_volume")


def _warnings(contract: Contract) -> list[str]:
    consumption = selectors.contract_consumption(contract)
    return [consumption.message] if consumption.level != "ok" else []


def _warnings_after(contract: Contract, units: Decimal) -> list[str]:
    """The contract's warnings with a new booking's units added to what it held under the lock (no query: every
    other booking under the contract waited for that lock, so these are the figures at the commit)."""
    delivered, booked = contract.used_before
    consumption = selectors.consumption_of(contract, delivered, booked + units)
    return [consumption.message] if consumption.level != "ok" else []


def _book(*, actor, person, service_type, starts_at, ends_at, place, latitude, longitude, purpose, note, staff,
          provider, now, series=None, taken_by=None) -> Booking:
    """One booking inside the caller's transaction: every check, the locks, the row and its audit."""
    duration = ends_at - starts_at
    units = selectors.units_for(service_type, starts_at, ends_at)
    region = person.region
    if starts_at <= now:
        raise _refuse(_("A booking must start in the future."), field="starts_at", code="past",
                      alternative=_slot(service_type, region, now, duration, staff=staff, units=units))
    day = selectors.local(starts_at).date()
    # The person's row lock: two bookings for one person at once cannot both pass the quota check.
    list(Person.objects.select_for_update().filter(pk=person.pk).order_by().values_list("pk", flat=True))
    result = selectors.entitlement(person, service_type, on=day)
    if not result.eligible:
        raise ServiceError(result.reason, field="service_type", code="not_eligible")
    if result.quota_left_day is not None and units > result.quota_left_day:
        message = _("This booking needs %(units)s %(unit)s but %(left)s are left of your quota for that day "
                    "(%(reason)s).")
        alternative_after = selectors.at(day + dt.timedelta(days=1), dt.time())
        if result.quota_left_month is not None and units > result.quota_left_month:
            message = _("This booking needs %(units)s %(unit)s but %(left)s are left of your quota for that month "
                        "(%(reason)s).")
            alternative_after = selectors.at(selectors.next_month(day), dt.time())
            if result.quota_left_year is not None and units > result.quota_left_year:
                message = _("This booking needs %(units)s %(unit)s but %(left)s are left of your quota for that "
                            "year (%(reason)s).")
                alternative_after = selectors.at(dt.date(day.year + 1, 1, 1), dt.time())
        left = min(v for v in (result.quota_left_day, result.quota_left_month, result.quota_left_year)
                   if v is not None)
        raise _refuse(message % {"units": units, "unit": service_type.get_unit_display(), "left": left,
                                 "reason": result.reason},
                      field="starts_at", code="quota",
                      alternative=_slot(service_type, region, max(alternative_after, starts_at), duration,
                                        staff=staff, units=units))
    contract = _choose_contract(service_type, region, day, units,
                                provider=staff.provider if staff is not None else provider,
                                after=starts_at, duration=duration)
    if staff is not None:
        _check_staff(staff, service_type)
        if staff.provider_id != contract.provider_id:
            raise ServiceError(_("This staff member's organisation has no contract for this service in your "
                                 "region."), field="staff")
        _lock_and_check_staff(staff, starts_at, ends_at, service_type=service_type, region=region, units=units)
    booking = Booking(person=person, booked_by=actor, service_type=service_type, contract=contract,
                      starts_at=starts_at, ends_at=ends_at, units=units, place=place, latitude=latitude,
                      longitude=longitude, purpose=purpose, note=note, staff=staff, series=series,
                      exclusive=service_type.exclusive_staff, taken_by=taken_by,
                      status=Booking.Status.ASSIGNED if staff is not None else Booking.Status.REQUESTED)
    _save_guarded(booking, staff, service_type=service_type, region=region)
    audit_record(actor=actor, action="social_booking.create", obj=booking, after=_booking_snapshot(booking))
    return booking


def _lock_staff(staff) -> None:
    """Lock the staff member's row (their time), and only that row: ordered by pk, because the model's default
    ordering joins the provider and the user, and FOR UPDATE would then lock the provider's row too, making every
    assignment of the provider wait for every other."""
    list(ProviderStaff.objects.select_for_update().filter(pk=staff.pk).order_by("pk").values_list("pk", flat=True))


def _lock_and_check_staff(staff, starts_at, ends_at, *, service_type, region, units, exclude_pk=None) -> None:
    """Lock the staff member's row (their time), then refuse a time outside their hours or overlapping a booking,
    naming the next time they are free. Nothing to check for a service whose bookings are shared (a driver's rides:
    their time is the transport shift, which the transport app plans and checks)."""
    if not service_type.exclusive_staff:
        return
    _lock_staff(staff)
    duration = ends_at - starts_at
    works, busy = selectors.staff_time(staff, starts_at, ends_at, exclude_pk=exclude_pk)
    if not works:
        raise _refuse(_("%(name)s does not work at this time.") % {"name": staff.user.full_name or staff.user.email},
                      field="starts_at", code="outside_hours",
                      alternative=_slot(service_type, region, starts_at, duration, staff=staff, units=units))
    if busy:
        raise _overlap(staff, starts_at, duration, service_type=service_type, region=region, units=units)


def _overlap(staff, starts_at, duration, *, service_type, region, units):
    return _refuse(_("%(name)s already has a booking at this time.") % {
        "name": staff.user.full_name or staff.user.email}, field="staff", code="overlap",
        alternative=_slot(service_type, region, starts_at, duration, staff=staff, units=units))


def _save_guarded(booking: Booking, staff, *, service_type, region, update_fields=None) -> None:
    """Save; the exclusion constraint (PostgreSQL) answering a race the lock did not see becomes the same refusal."""
    if staff is None or not booking.exclusive:
        # Without a staff member, or for a shared ride, the constraint cannot object: no savepoint (two round trips
        # under the contract lock).
        booking.save(update_fields=update_fields) if update_fields else booking.save()
        return
    try:
        with transaction.atomic():
            booking.save(update_fields=update_fields) if update_fields else booking.save()
    except IntegrityError as exc:
        if staff is not None and "ss_booking_staff_no_overlap" in str(exc):
            raise _overlap(staff, booking.starts_at, booking.ends_at - booking.starts_at,
                           service_type=service_type, region=region, units=booking.units) from None
        raise


def _booking_snapshot(b: Booking) -> dict:
    return {"person": b.person_id, "service_type": b.service_type_id, "contract": b.contract_id,
            "starts_at": b.starts_at, "ends_at": b.ends_at, "units": b.units, "status": b.status,
            "staff": b.staff_id, "series": b.series_id, "purpose": b.purpose, "taken_by": b.taken_by_id}


def _purpose(value) -> str:
    if value not in Purpose.values:
        raise ServiceError(_("Choose the purpose of the booking."), field="purpose")
    return value


def _place(latitude, longitude):
    if (latitude is None) != (longitude is None):
        raise ServiceError(_("Give both latitude and longitude of the place, or neither."), field="latitude")
    if latitude is None:
        return None, None
    try:
        lat, lon = Decimal(str(latitude)).quantize(Decimal("0.000001")), Decimal(str(longitude)).quantize(
            Decimal("0.000001"))
    except InvalidOperation:
        raise ServiceError(_("The place's coordinates are not numbers."), field="latitude") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ServiceError(_("The place's coordinates are out of range."), field="latitude")
    return lat, lon


def _prepare(actor, person, service_type, *, provider=None, taken_by=None):
    """Who books: the person's side (can_book_for), or with `taken_by` a provider's dispatcher or staff taking the
    booking for the person (can_book_as_provider), under that provider's contract. Returns the provider whose
    contract the booking must be under (None: any)."""
    if service_type is None or not service_type.active:
        raise ServiceError(_("This service cannot be booked in Qamqor."), field="service_type")
    if taken_by is None:
        if person is None or not access.can_book_for(actor, person):
            raise PermissionDenied(_("You may book services only for yourself or for a person you represent."))
        return provider
    if provider is not None and provider.pk != taken_by.pk:
        raise ServiceError(_("A booking taken by a provider is made under that provider's contract."),
                           field="provider")
    if not access.can_book_as_provider(actor, person, taken_by, service_type):
        raise PermissionDenied(_("Only the provider's dispatchers, administrators and staff take bookings for it, and "
                                 "only for persons of a region where it holds a contract for this service."))
    return taken_by


def booking_create(*, actor, person: Person, service_type: ServiceType, starts_at: dt.datetime,
                   ends_at: dt.datetime | None = None, place: str = "", latitude=None, longitude=None,
                   purpose: str = Purpose.OTHER, note: str = "", staff: ProviderStaff | None = None,
                   provider: Organization | None = None, taken_by: Organization | None = None,
                   now: dt.datetime | None = None) -> Booking:
    """Book a service for a person: refused (with the reason, and the next free slot when there is one) if in the
    past, outside the requested staff member's hours or overlapping their bookings, if the person is not eligible or
    over the quota, or beyond the contracted volume. The returned booking's `warnings` name a contract at 80%/100%.

    The person's side books (the person, their representative, the organisation that registered them). A provider's
    dispatcher, admin or staff member taking a call books with `taken_by=` their provider: every check is the same,
    the booking is under that provider's contract and names it, and the audit row names who took it."""
    now = now or timezone.now()
    provider = _prepare(actor, person, service_type, provider=provider, taken_by=taken_by)
    starts_at, ends_at = _booking_times(service_type, starts_at, ends_at)
    latitude, longitude = _place(latitude, longitude)
    purpose = _purpose(purpose)
    with transaction.atomic():
        booking = _book(actor=actor, person=person, service_type=service_type, starts_at=starts_at, ends_at=ends_at,
                        place=_text(place, limit=300), latitude=latitude, longitude=longitude, purpose=purpose,
                        note=_text(note, limit=300), staff=staff, provider=provider, now=now, taken_by=taken_by)
        if staff is not None:
            _notice_later(booking, "assigned", staff=staff.pk)
    booking.warnings = _warnings_after(booking.contract, booking.units)
    return booking


def _occurrences(weekdays, start_time: dt.time, first_date: dt.date, until: dt.date) -> list[dt.date]:
    days, day = [], first_date
    while day <= until:
        if day.weekday() in weekdays:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def booking_series_create(*, actor, person: Person, service_type: ServiceType, weekdays, start_time: dt.time,
                          minutes: int, first_date: dt.date, until: dt.date, place: str = "", latitude=None,
                          longitude=None, purpose: str = Purpose.OTHER, note: str = "",
                          staff: ProviderStaff | None = None, provider: Organization | None = None,
                          taken_by: Organization | None = None,
                          now: dt.datetime | None = None) -> tuple[RecurrenceSeries, list[Booking]]:
    """A recurring booking, weekly on the weekdays (0 Monday … 6 Sunday) from first_date until a date: every
    occurrence is booked, or none; a refusal names the first occurrence that cannot be booked. `taken_by` as for
    booking_create."""
    now = now or timezone.now()
    provider = _prepare(actor, person, service_type, provider=provider, taken_by=taken_by)
    weekdays = sorted({int(w) for w in weekdays or () if str(w).strip().lstrip("-").isdigit()})
    if not weekdays or any(not 0 <= w <= 6 for w in weekdays):
        raise ServiceError(_("Choose the days of the week."), field="weekdays")
    if not isinstance(start_time, dt.time):
        raise ServiceError(_("Enter the time, such as 10:00."), field="start_time")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 < minutes <= 24 * 60:
        raise ServiceError(_("Enter the duration in minutes, from 1 to 1440."), field="minutes")
    if not isinstance(first_date, dt.date) or not isinstance(until, dt.date) or until < first_date:
        raise ServiceError(_("The series must end on or after its first day."), field="until")
    if until > first_date + dt.timedelta(days=366):
        raise ServiceError(_("A series lasts at most a year."), field="until")
    days = _occurrences(weekdays, start_time, first_date, until)
    if not days:
        raise ServiceError(_("No day of the chosen weekdays falls in this period."), field="weekdays")
    if len(days) > MAX_OCCURRENCES:
        raise ServiceError(_("A series has at most %(n)s occurrences. Choose a shorter period.") % {
            "n": MAX_OCCURRENCES}, field="until")
    latitude, longitude = _place(latitude, longitude)
    purpose = _purpose(purpose)
    with transaction.atomic():
        series = RecurrenceSeries.objects.create(person=person, service_type=service_type, weekdays=weekdays,
                                                 start_time=start_time, minutes=minutes, first_date=first_date,
                                                 until=until, created_by=actor)
        bookings = []
        for day in days:
            starts_at = selectors.at(day, start_time)
            try:
                bookings.append(_book(actor=actor, person=person, service_type=service_type, starts_at=starts_at,
                                      ends_at=starts_at + dt.timedelta(minutes=minutes), place=_text(place, limit=300),
                                      latitude=latitude, longitude=longitude, purpose=purpose,
                                      note=_text(note, limit=300), staff=staff, provider=provider, now=now,
                                      series=series, taken_by=taken_by))
            except ServiceError as exc:
                # Nothing of the series is kept: the transaction rolls back every occurrence booked so far.
                refused = ServiceError(_("Nothing was booked: the occurrence on %(date)s cannot be booked. "
                                         "%(reason)s") % {"date": day.strftime("%d.%m.%Y"), "reason": exc.message},
                                       field=exc.field, code=exc.code)
                refused.alternative = getattr(exc, "alternative", None)
                refused.occurrence = day
                raise refused from None
        audit_record(actor=actor, action="social_series.create", obj=series,
                     after={"weekdays": weekdays, "first_date": first_date, "until": until,
                            "bookings": [b.pk for b in bookings]})
        if staff is not None and bookings:
            _notice_later(bookings[0], "assigned", staff=staff.pk, series_count=len(bookings))
    for b in bookings:
        b.warnings = []
    if bookings:
        bookings[-1].warnings = _warnings(bookings[-1].contract)
    return series, bookings


def booking_assign(*, actor, booking: Booking, staff: ProviderStaff) -> Booking:
    """The provider assigns (or reassigns) one of its staff; refused if outside their hours or overlapping."""
    if not access.can_assign(actor, booking):
        raise PermissionDenied(_("Only the provider under whose contract this booking is made assigns its staff."))
    if staff is None or staff.provider_id != booking.contract.provider_id:
        raise ServiceError(_("Choose a staff member of the provider."), field="staff")
    service_type = booking.service_type
    _check_staff(staff, service_type)
    with transaction.atomic():
        # Only the booking's row: locking the joined person and region would make every assignment in the region
        # wait for every other. The other rows joined are what the caller shows of the booking (the API's answer).
        locked = Booking.objects.select_for_update(of=("self",)).select_related(
            "person__region", "service_type", "contract__provider", "staff__user").get(pk=booking.pk)
        if locked.status not in Booking.ACTIVE:
            raise ServiceError(_("Only a requested or assigned booking can be assigned."), code="conflict")
        if locked.staff_id == staff.pk:
            return locked
        _lock_and_check_staff(staff, locked.starts_at, locked.ends_at, service_type=service_type,
                              region=locked.person.region, units=locked.units, exclude_pk=locked.pk)
        before = _booking_snapshot(locked)
        locked.staff, locked.status = staff, Booking.Status.ASSIGNED
        _save_guarded(locked, staff, service_type=service_type, region=locked.person.region,
                      update_fields=["staff", "status"])
        audit_record(actor=actor, action="social_booking.assign", obj=locked, before=before,
                     after=_booking_snapshot(locked))
        _notice_later(locked, "assigned", staff=staff.pk)
    return locked


def booking_cancel(*, actor, booking: Booking, reason: str = "", now: dt.datetime | None = None) -> Booking:
    """Cancel a booking before it starts. The person's side may cancel any time before; later than the service's
    notice (cancel_notice_hours) it is recorded as a late cancellation. The provider's cancellations are never late."""
    now = now or timezone.now()
    if not access.can_cancel(actor, booking):
        raise PermissionDenied(_("You may not cancel this booking."))
    with transaction.atomic():
        locked = Booking.objects.select_for_update(of=("self",)).select_related(
            "service_type", "person", "contract__provider", "staff__user").get(pk=booking.pk)
        if locked.status not in Booking.ACTIVE:
            raise ServiceError(_("Only a requested or assigned booking can be cancelled."), code="conflict")
        if locked.starts_at <= now:
            raise ServiceError(_("This booking has already started. The provider records it as delivered or as a "
                                 "no-show."), code="conflict")
        side = access.is_booking_side(actor, locked)
        notice = dt.timedelta(hours=locked.service_type.cancel_notice_hours)
        before = _booking_snapshot(locked)
        locked.status = Booking.Status.CANCELLED
        locked.cancelled_at, locked.cancelled_by = now, actor
        locked.cancel_reason = _text(reason, limit=300)
        locked.late_cancellation = side and locked.starts_at - now < notice
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "late_cancellation"])
        audit_record(actor=actor, action="social_booking.cancel", obj=locked, before=before,
                     after={**_booking_snapshot(locked), "late": locked.late_cancellation}, reason=locked.cancel_reason)
        _notice_later(locked, "cancelled", by_provider=not side)
    return locked


def booking_change(*, actor, booking: Booking, starts_at: dt.datetime, ends_at: dt.datetime | None = None,
                   place: str | None = None, purpose: str | None = None, note: str | None = None,
                   now: dt.datetime | None = None) -> Booking:
    """Move a booking to another time or place, with every check of a new booking (past, quota, eligibility, the
    provider's contract volume). It stays with its provider. The assigned staff member is kept when they work and are
    free at the new time; otherwise the booking returns to "requested" and `unassigned` on the result names who was
    released, so the person is told that the provider will assign someone else.

    The notice rule, as a provider plans its staff: the person's side may change a booking until the service's
    cancellation notice (cancel_notice_hours before the current start); later, a change would free the staff member
    at short notice like a late cancellation, so it is refused with the reason (cancel it, recorded as late, and book
    again, or ask the provider). The provider may change it at any time before the start. Empty place, purpose or
    note are unchanged; ends_at None keeps the booking's duration."""
    now = now or timezone.now()
    if not access.can_change(actor, booking):
        raise PermissionDenied(_("You may not change this booking."))
    service_type = booking.service_type
    starts_at = _moment(starts_at, field="starts_at")
    if ends_at is None:
        ends_at = starts_at + (booking.ends_at - booking.starts_at)
    starts_at, ends_at = _booking_times(service_type, starts_at, ends_at)
    new_place = booking.place if place is None else _text(place, limit=300)
    new_purpose = booking.purpose if purpose is None else _purpose(purpose)
    new_note = booking.note if note is None else _text(note, limit=300)
    provider_side = access.is_provider_of(actor, booking.contract)
    with transaction.atomic():
        # Locks in the module's order: the person, the provider's contracts, the staff member, then the booking.
        person = Person.objects.select_for_update(of=("self",)).select_related("region").get(pk=booking.person_id)
        current = Booking.objects.select_related("staff__user").get(pk=booking.pk)
        if current.status not in Booking.ACTIVE:
            raise ServiceError(_("Only a requested or assigned booking can be changed."), code="conflict")
        if current.starts_at <= now:
            raise ServiceError(_("This booking has already started and can no longer be changed."), code="conflict")
        notice = dt.timedelta(hours=service_type.cancel_notice_hours)
        if not provider_side and current.starts_at - now < notice:
            raise ServiceError(_("Less than %(hours)s hours before the start, a booking can no longer be changed: the "
                                 "provider has planned its staff. Cancel it (recorded as a late cancellation) and "
                                 "book the new time, or ask the provider to change it.") % {
                                     "hours": service_type.cancel_notice_hours}, field="starts_at", code="notice")
        if (starts_at, ends_at, new_place) == (current.starts_at, current.ends_at, current.place) \
                and (new_purpose, new_note) == (current.purpose, current.note):
            raise ServiceError(_("Nothing to change: the new time and place are the booking's own. Enter another "
                                 "date, time or address."), field="starts_at", code="unchanged")
        duration = ends_at - starts_at
        units = selectors.units_for(service_type, starts_at, ends_at)
        region = person.region
        provider = current.contract.provider
        if starts_at <= now:
            raise _refuse(_("A booking must start in the future."), field="starts_at", code="past",
                          alternative=_slot(service_type, region, now, duration, staff=current.staff, units=units))
        day = selectors.local(starts_at).date()
        result = selectors.entitlement(person, service_type, on=day, exclude_booking_ids=[current.pk])
        if not result.eligible:
            raise ServiceError(result.reason, field="service_type", code="not_eligible")
        left = [v for v in (result.quota_left_day, result.quota_left_month, result.quota_left_year) if v is not None]
        if left and units > min(left):
            raise _refuse(_("At the new time this booking needs %(units)s %(unit)s but %(left)s are left of your "
                            "quota (%(reason)s). Choose a shorter time or another day.") % {
                                "units": units, "unit": service_type.get_unit_display(), "left": min(left),
                                "reason": result.reason}, field="starts_at", code="quota")
        try:
            contract = _choose_contract(service_type, region, day, units, provider=provider, exclude_booking=current,
                                        after=starts_at, duration=duration)
        except ServiceError as exc:
            if exc.code != "no_contract":
                raise
            raise _refuse(_("%(provider)s has no contract for this service in your region on that date. Choose "
                            "another date, or cancel this booking and book again.") % {"provider": provider.name},
                          field="starts_at", code="no_contract",
                          alternative=_slot(service_type, region, starts_at, duration, staff=current.staff,
                                            units=units)) from None
        staff = current.staff
        keep = False
        if staff is not None and not service_type.exclusive_staff:
            staff.refresh_from_db(fields=["active"])
            keep = staff.active  # a shared ride's driver: the transport plan decides when they come
        elif staff is not None:
            _lock_staff(staff)
            staff.refresh_from_db(fields=["active"])
            works, busy = selectors.staff_time(staff, starts_at, ends_at, exclude_pk=current.pk)
            keep = staff.active and works and not busy
        locked = Booking.objects.select_for_update(of=("self",)).select_related(
            "service_type", "person__user", "booked_by", "staff__user").get(pk=current.pk)
        if (locked.status, locked.staff_id, locked.starts_at) != (current.status, current.staff_id, current.starts_at):
            raise ServiceError(_("This booking was changed by someone else meanwhile. Open it again and repeat your "
                                 "change."), code="conflict")
        before = {**_booking_snapshot(locked), "place": locked.place}
        old_start = locked.starts_at
        locked.starts_at, locked.ends_at, locked.units, locked.contract = starts_at, ends_at, units, contract
        locked.place, locked.purpose, locked.note = new_place, new_purpose, new_note
        if starts_at != old_start:
            locked.reminder_sent_at = None  # the reminder goes again for the new day
        fields = ["starts_at", "ends_at", "units", "contract", "place", "purpose", "note", "reminder_sent_at",
                  "staff", "status"]
        if not keep:
            locked.staff, locked.status = None, Booking.Status.REQUESTED
        try:
            _save_guarded(locked, locked.staff, service_type=service_type, region=region, update_fields=fields)
        except ServiceError as exc:
            # The exclusion constraint saw an overlap the lock did not (PostgreSQL): release the staff member instead.
            if exc.code != "overlap":
                raise
            keep = False
            locked.staff, locked.status = None, Booking.Status.REQUESTED
            _save_guarded(locked, None, service_type=service_type, region=region, update_fields=fields)
        locked.unassigned = staff if staff is not None and not keep else None
        audit_record(actor=actor, action="social_booking.change", obj=locked, before=before,
                     after={**_booking_snapshot(locked), "place": locked.place,
                            "released_staff": locked.unassigned.pk if locked.unassigned else None})
        _notice_later(locked, "changed", old_start=old_start.isoformat(), staff=staff.pk if staff else None,
                      kept=keep, by_provider=provider_side)
    # The contract's figures under its lock, without this booking's old units, plus its new ones.
    locked.warnings = _warnings_after(contract, units)
    return locked


def booking_mark_no_show(*, actor, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """The person did not come: recorded after the start by the assigned staff member or the provider."""
    now = now or timezone.now()
    if not (access.can_record_delivery(actor, booking) or access.can_assign(actor, booking)):
        raise PermissionDenied(_("Only the provider records a no-show."))
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status != Booking.Status.ASSIGNED or locked.starts_at > now:
            raise ServiceError(_("A no-show is recorded for an assigned booking after its start."), code="conflict")
        locked.status = Booking.Status.NO_SHOW
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="social_booking.no_show", obj=locked, after={"status": locked.status})
    return locked


# --- Delivery --------------------------------------------------------------------------------------------------------

def delivery_record(*, actor, booking: Booking, started_at: dt.datetime, ended_at: dt.datetime, units=None,
                    code: str = "", signature: bool = False, note: str = "",
                    now: dt.datetime | None = None) -> DeliveryRecord:
    """The assigned staff member records the service delivered with its actual times and the person's confirmation
    (their one-time code, or a signature on paper). Units default to the hours (to the quarter hour, up) or one."""
    now = now or timezone.now()
    if not access.can_record_delivery(actor, booking):
        raise PermissionDenied(_("Only the staff member assigned to this booking records its delivery."))
    started_at = _moment(started_at, field="started_at")
    ended_at = _moment(ended_at, field="ended_at")
    if ended_at <= started_at:
        raise ServiceError(_("The service must end after it starts."), field="ended_at")
    if ended_at > now + dt.timedelta(minutes=5):
        raise ServiceError(_("A delivery is recorded after it happened: the end is in the future."), field="ended_at")
    if ended_at - started_at > MAX_BOOKING:
        raise ServiceError(_("One delivery lasts at most 24 hours."), field="ended_at")
    if abs(started_at - booking.starts_at) > dt.timedelta(hours=12):
        raise ServiceError(_("The delivery must start within 12 hours of the booked time."), field="started_at")
    service_type = booking.service_type
    if _optional(units) is None:
        units = selectors.units_for(service_type, started_at, ended_at)
    elif service_type.unit == ServiceType.Unit.HOUR:
        units = _units(units, field="units")
    else:
        units = _decimal(units, field="units", places=0, maximum=Decimal(100),
                         message=_("Enter a whole number of %(unit)s, such as 1.") % {
                             "unit": service_type.get_unit_display()})
    code = (code or "").strip().replace(" ", "")
    if not code and not signature:
        raise ServiceError(_("Enter the person's confirmation code, or confirm that they signed."), field="code")
    if code and not code_matches(code, booking_confirmation_code(booking)):
        raise ServiceError(_("This code does not match. Ask the person to read it again from their booking."),
                           field="code")
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status != Booking.Status.ASSIGNED:
            raise ServiceError(_("This booking is already recorded as delivered, or it was cancelled."),
                               code="conflict")
        contract = Contract.objects.select_for_update().get(pk=locked.contract_id)
        if not contract.allows_overrun:
            consumption = selectors.contract_consumption(contract)
            # This booking's planned units are among the booked ones; its delivery replaces them.
            if consumption.used - locked.units + units > contract.current_volume:
                raise ServiceError(_("Recording %(units)s units would go beyond the contracted volume (%(left)s "
                                     "left). Ask the customer for an amendment.") % {
                                         "units": units, "left": consumption.left + locked.units},
                                   field="units", code="contract_volume")
        record = DeliveryRecord.objects.create(
            booking=locked, contract=contract, staff_id=locked.staff_id, started_at=started_at, ended_at=ended_at,
            units=units, confirmation=DeliveryRecord.Confirmation.CODE if code else DeliveryRecord.Confirmation.SIGNATURE,
            note=_text(note, limit=300), created_by=actor)
        locked.status = Booking.Status.DELIVERED
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="social_delivery.record", obj=record, after=snapshot(record))
    record.warnings = _warnings(contract)
    return record


# --- Acts ------------------------------------------------------------------------------------------------------------

def act_generate(*, actor, contract: Contract, month: dt.date) -> Act:
    """Draw up the act of services rendered for a contract and month from its delivery records. Idempotent:
    regenerating a draft replaces its lines; an issued act is never changed."""
    if not access.can_generate_act(actor, contract):
        raise PermissionDenied(_("Only the provider draws up acts for its contract."))
    if not isinstance(month, dt.date):
        raise ServiceError(_("Choose the month."), field="month")
    month = selectors.month_start(month)
    m0, m1 = selectors.month_bounds(month)
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        act = Act.objects.select_for_update().filter(contract=locked, month=month).first()
        if act is not None and act.status == Act.Status.ISSUED:
            raise ServiceError(_("The act for this month is issued and cannot be changed."), code="conflict")
        deliveries = list(DeliveryRecord.objects.filter(contract=locked, started_at__gte=m0, started_at__lt=m1)
                          .order_by("started_at", "pk"))
        if not deliveries:
            raise ServiceError(_("Nothing was delivered under this contract in that month."), field="month")
        amendments = list(locked.amendments.order_by("sequence"))
        now = timezone.now()
        before = None
        if act is None:
            act = Act.objects.create(contract=locked, month=month, generated_by=actor, generated_at=now)
        else:
            before = {"total_units": act.total_units, "total_amount": act.total_amount}
            ActLine.objects.filter(act=act).delete()
        lines = []
        for d in deliveries:
            day = selectors.local(d.started_at).date()
            price = selectors.contract_terms(locked, on=day, amendments=amendments).unit_price
            lines.append(ActLine(act=act, delivery=d, date=day, units=d.units, unit_price=price,
                                 amount=(d.units * price).quantize(Decimal("0.01"))))
        ActLine.objects.bulk_create(lines)
        act.total_units = sum((line.units for line in lines), Decimal("0"))
        act.total_amount = sum((line.amount for line in lines), Decimal("0"))
        act.generated_by, act.generated_at = actor, now
        act.save(update_fields=["total_units", "total_amount", "generated_by", "generated_at"])
        audit_record(actor=actor, action="social_act.generate", obj=act, before=before,
                     after={"month": month, "lines": len(lines), "total_units": act.total_units,
                            "total_amount": act.total_amount})
    return act


def act_issue(*, actor, act: Act) -> Act:
    """Issue a draft act for payment: from then on it never changes."""
    if not access.can_issue_act(actor, act.contract):
        raise PermissionDenied(_("Only the provider or the customer issues the act."))
    with transaction.atomic():
        locked = Act.objects.select_for_update().get(pk=act.pk)
        if locked.status != Act.Status.DRAFT:
            raise ServiceError(_("This act is already issued."), code="conflict")
        lines = list(locked.lines.values_list("units", "amount"))
        if (sum((u for u, _a in lines), Decimal("0")), sum((a for _u, a in lines), Decimal("0"))) != \
                (locked.total_units, locked.total_amount):
            raise ServiceError(_("The act's totals do not match its lines. Draw it up again."), code="conflict")
        locked.status, locked.issued_by, locked.issued_at = Act.Status.ISSUED, actor, timezone.now()
        locked.save(update_fields=["status", "issued_by", "issued_at"])
        audit_record(actor=actor, action="social_act.issue", obj=locked,
                     after={"total_units": locked.total_units, "total_amount": locked.total_amount})
    return locked


# --- Notifications ---------------------------------------------------------------------------------------------------

def _recipients(booking: Booking) -> list:
    """The person and whoever booked for them; not the provider's staff who took a booking for the person."""
    users, seen = [], set()
    for user in (booking.person.user, booking.booked_by if booking.taken_by_id is None else None):
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            users.append(user)
    return users


def _when(booking: Booking) -> dict:
    start = selectors.local(booking.starts_at)
    return {"date": start.strftime("%d.%m.%Y"), "time": start.strftime("%H:%M"),
            "service": booking.service_type.name, "place": booking.place or "-"}


def _send(booking: Booking, subject_text, body_text, extra=None) -> int:
    sent = 0
    for user in _recipients(booking):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            values = {**_when(booking), **(extra or {})}
            notify(user, str(subject_text) % values, str(body_text) % values)
            sent += 1
    return sent


NOTICES = ("assigned", "cancelled", "changed")


def _notice_later(booking: Booking, kind: str, **values) -> None:
    """Queue a notice about a booking for after the commit (never for a change that rolled back), to be sent by the
    task worker, outside the request: e-mail (and SMS) cost more than the booking itself. `values` travel as JSON."""
    from .tasks import booking_notice_task

    booking_id = booking.pk
    transaction.on_commit(lambda: booking_notice_task.enqueue(kind, booking_id, values), robust=True)


def booking_notice_send(*, kind: str, booking_id: int, staff: int | None = None, series_count: int = 1,
                        old_start: str | None = None, kept: bool = False, by_provider: bool = False) -> bool:
    """Send a queued notice (the task's work): the booking as it is now, in each recipient's language. An
    assignment's notice is dropped when the booking no longer has that staff member (cancelled or reassigned
    meanwhile: the later change sends its own). Returns whether anything was sent."""
    if kind not in NOTICES:
        raise ValueError(f"unknown booking notice {kind!r}")
    booking = (Booking.objects.select_related("person__user", "booked_by", "service_type", "staff__user")
               .filter(pk=booking_id).first())
    if booking is None:
        return False
    if kind == "assigned":
        if booking.staff_id is None or booking.staff_id != staff or booking.status != Booking.Status.ASSIGNED:
            return False
        _notify_assigned(booking, series_count=series_count)
    elif kind == "cancelled":
        _notify_cancelled(booking, by_provider=by_provider)
    else:
        member = ProviderStaff.objects.select_related("user").filter(pk=staff).first() if staff else None
        _notify_changed(booking, old_start=dt.datetime.fromisoformat(old_start), staff=member, kept=kept,
                        by_provider=by_provider)
    return True


def _notify_assigned(booking: Booking, series_count: int = 1) -> None:
    from django.utils.translation import gettext_lazy

    staff = booking.staff.user.full_name if booking.staff_id else ""
    _send(booking, gettext_lazy("Booking confirmed: %(service)s on %(date)s"),
          gettext_lazy("%(service)s on %(date)s at %(time)s, %(place)s. %(staff)s will come. Occurrences booked: "
                       "%(count)s."), {"staff": staff, "count": series_count})


def _notify_cancelled(booking: Booking, *, by_provider: bool) -> None:
    from django.utils.translation import gettext_lazy

    if by_provider:
        text = gettext_lazy("The provider cancelled your booking of %(service)s on %(date)s at %(time)s. Book "
                            "another time in Qamqor.")
    else:
        text = gettext_lazy("Your booking of %(service)s on %(date)s at %(time)s is cancelled.")
    _send(booking, gettext_lazy("Booking cancelled: %(service)s on %(date)s"), text)


def _notify_changed(booking: Booking, *, old_start, staff, kept: bool, by_provider: bool) -> None:
    """The person's side learns the new time (and that the provider assigns someone else when the staff member was
    released); the staff member learns the new time, or that they are no longer needed at the old one."""
    from django.utils.translation import gettext_lazy

    old = selectors.local(old_start)
    extra = {"old_date": old.strftime("%d.%m.%Y"), "old_time": old.strftime("%H:%M"),
             "staff": staff.user.full_name if staff is not None else ""}
    if staff is not None and not kept:
        text = gettext_lazy("Your booking of %(service)s on %(old_date)s at %(old_time)s is moved to %(date)s at "
                            "%(time)s, %(place)s. %(staff)s is not free at the new time: the provider will assign "
                            "another staff member and you will be told.")
    elif by_provider:
        text = gettext_lazy("The provider moved your booking of %(service)s from %(old_date)s at %(old_time)s to "
                            "%(date)s at %(time)s, %(place)s.")
    else:
        text = gettext_lazy("Your booking of %(service)s on %(old_date)s at %(old_time)s is moved to %(date)s at "
                            "%(time)s, %(place)s.")
    _send(booking, gettext_lazy("Booking changed: %(service)s on %(date)s"), text, extra)
    if staff is not None:
        user = staff.user
        with translation.override(user.language or settings.LANGUAGE_CODE):
            values = {**_when(booking), **extra, "person": booking.person.full_name}
            if kept:
                subject = gettext_lazy("Booking moved: %(service)s on %(date)s")
                body = gettext_lazy("The booking of %(service)s for %(person)s on %(old_date)s at %(old_time)s is "
                                    "moved to %(date)s at %(time)s, %(place)s. You remain assigned.")
            else:
                subject = gettext_lazy("You are released from a booking on %(old_date)s")
                body = gettext_lazy("The booking of %(service)s for %(person)s on %(old_date)s at %(old_time)s is "
                                    "moved to a time when you are not free, and you are no longer assigned to it.")
            notify(user, str(subject) % values, str(body) % values)


def booking_send_reminders(*, day: dt.date | None = None) -> int:
    """Remind the people of their bookings of a day (tomorrow by default), once each: for `qamqor
    social-reminders`, run daily."""
    from django.utils.translation import gettext_lazy

    day = day or timezone.localdate() + dt.timedelta(days=1)
    d0, d1 = selectors.day_bounds(day)
    sent = 0
    bookings = (Booking.objects.filter(starts_at__gte=d0, starts_at__lt=d1, status__in=Booking.ACTIVE,
                                       reminder_sent_at__isnull=True)
                .select_related("person__user", "booked_by", "service_type", "staff__user").order_by("starts_at"))
    for booking in bookings:
        # Claim the reminder first, so that two runs at once send it once.
        if not Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=timezone.now()):
            continue
        _send(booking, gettext_lazy("Reminder: %(service)s on %(date)s"),
              gettext_lazy("Reminder: %(service)s on %(date)s at %(time)s, %(place)s. To cancel, open your bookings "
                           "in Qamqor."))
        sent += 1
    return sent
