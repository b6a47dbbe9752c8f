"""Every write of InvaTaxi: depots, vehicles, shifts, ride requests (through the social-services booking), the day
plan's versions (plan, re-plan, same-day insertion, manual assign and unassign) and the marks from the road.

Each checks permission through access.py, validates, writes its audit row in the same transaction and raises
ServiceError (a whole translated sentence naming the field) without changing anything when it refuses.

The day plan is a sequence of immutable versions (models.py). A version is written only under the DayPlan row lock,
from the newest version read under that lock. A re-plan solves outside the lock (it takes seconds) from the version
it started from; when it finishes after manual changes, `_apply_replan` replays the state those changes left
(held rides stay off, pinned rides stay on their shift, rides picked up stay on the vehicle that has them, rides
inserted meanwhile are inserted again) onto its result, and says in the version's note what it gave up for them.

Locks, always in this order: the social-services rows (person, contracts, staff, booking), then the DayPlan, then
ride rows. `now=` exists for tests and demo data; pages and the API never pass it."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _, ngettext

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.services import audit_record, snapshot
from qamqor.social_services import access as social_access, services as social
from qamqor.social_services.models import Booking, ProviderStaff, Purpose, ServiceType, StaffRole

from . import access, dispatch, planning, selectors
from .models import DayPlan, Depot, PlannedStop, PlanVersion, ReplanRun, RideRequest, Shift, Vehicle

log = logging.getLogger(__name__)

MAX_ESCORTS = 3
MAX_OCCURRENCES = 120
MAX_SHIFT = dt.timedelta(hours=16)
MAX_TIME_LIMIT = 600
MARK_EVENTS = ("picked_up", "dropped_off", "no_show")


# --- Validation helpers ----------------------------------------------------------------------------------------------

def _text(value, *, limit) -> str:
    return (value or "").strip()[:limit] if isinstance(value, str) or value is None else str(value).strip()[:limit]


def _moment(value, *, field) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ServiceError(_("Enter the date and time, such as 14.05.2026 10:00."), field=field)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _point(latitude, longitude, *, field) -> tuple[Decimal, Decimal]:
    if latitude is None or longitude is None or isinstance(latitude, bool) or isinstance(longitude, bool):
        raise ServiceError(_("Choose the place on the map or enter its latitude and longitude."), field=field)
    try:
        lat = Decimal(str(latitude).strip().replace(",", ".")).quantize(Decimal("0.000001"))
        lon = Decimal(str(longitude).strip().replace(",", ".")).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ServiceError(_("The latitude and longitude must be numbers, such as 43.238949 and 76.889709."),
                           field=field) from None
    if not (lat.is_finite() and lon.is_finite() and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ServiceError(_("The latitude must be between -90 and 90 and the longitude between -180 and 180."),
                           field=field)
    return lat, lon


def _whole(value, *, field, low, high, message) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ServiceError(message, field=field)
    return value


def _require_dispatch(actor, provider):
    if provider is None or not access.can_dispatch(actor, provider):
        raise PermissionDenied(_("Only the provider's dispatchers do this."))


def _invataxi() -> ServiceType:
    service_type = ServiceType.objects.filter(code=access.INVATAXI).first()
    if service_type is None or not service_type.active:
        raise ServiceError(_("InvaTaxi rides cannot be booked in Qamqor at the moment."), field="service_type")
    return service_type


# --- Fleet -----------------------------------------------------------------------------------------------------------

def depot_create(*, actor, provider, name, address, latitude, longitude) -> Depot:
    """Add a place where the provider's vehicles start and end their shifts."""
    _require_dispatch(actor, provider)
    name, address = _text(name, limit=120), _text(address, limit=300)
    if not name:
        raise ServiceError(_("Name the depot."), field="name")
    if not address:
        raise ServiceError(_("Enter the depot's address."), field="address")
    lat, lon = _point(latitude, longitude, field="latitude")
    if Depot.objects.filter(provider=provider, name=name).exists():
        raise ServiceError(_("The provider already has a depot with this name."), field="name")
    with transaction.atomic():
        depot = Depot.objects.create(provider=provider, name=name, address=address, latitude=lat, longitude=lon)
        audit_record(actor=actor, action="transport_depot.create", obj=depot, after=snapshot(depot))
    return depot


def vehicle_create(*, actor, provider, plate, seats, wheelchair_places, access, depot, model_name="") -> Vehicle:
    """Add a vehicle: plate, passenger seats (1-20), wheelchair places (0-6, which need a ramp or a lift)."""
    _require_dispatch(actor, provider)
    plate = "".join(_text(plate, limit=40).upper().split())
    if not plate or len(plate) > 20:
        raise ServiceError(_("Enter the plate number, such as 123ABC02."), field="plate")
    seats = _whole(seats, field="seats", low=1, high=20, message=_("Enter the number of passenger seats, from 1 to 20."))
    wheelchair_places = _whole(wheelchair_places, field="wheelchair_places", low=0, high=6,
                               message=_("Enter the number of wheelchair places, from 0 to 6."))
    if access not in Vehicle.Access.values:
        raise ServiceError(_("Choose whether the vehicle has a ramp, a lift or neither."), field="access")
    if wheelchair_places and access == Vehicle.Access.NONE:
        raise ServiceError(_("A vehicle with wheelchair places needs a ramp or a lift."), field="access")
    if depot is None or depot.provider_id != provider.pk:
        raise ServiceError(_("Choose one of the provider's depots."), field="depot")
    if Vehicle.objects.filter(plate=plate).exists():
        raise ServiceError(_("A vehicle with this plate number is already registered."), field="plate")
    with transaction.atomic():
        vehicle = Vehicle.objects.create(provider=provider, plate=plate, seats=seats,
                                         wheelchair_places=wheelchair_places, access=access, depot=depot,
                                         model_name=_text(model_name, limit=100))
        audit_record(actor=actor, action="transport_vehicle.create", obj=vehicle, after=snapshot(vehicle))
    return vehicle


def vehicle_set_active(*, actor, vehicle, active) -> Vehicle:
    """Take a vehicle out of service (refused while it has shifts to come) or back in."""
    _require_dispatch(actor, vehicle.provider)
    with transaction.atomic():
        locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        if not active:
            coming = Shift.objects.filter(vehicle=locked, cancelled_at__isnull=True, ends_at__gt=timezone.now()).count()
            if coming:
                raise ServiceError(ngettext("The vehicle has %(n)s shift to come. Cancel it first.",
                                            "The vehicle has %(n)s shifts to come. Cancel them first.", coming)
                                   % {"n": coming}, field="active", code="conflict")
        before = locked.active
        locked.active = bool(active)
        locked.save(update_fields=["active"])
        audit_record(actor=actor, action="transport_vehicle.active", obj=locked, before={"active": before},
                     after={"active": locked.active})
    return locked


def _shift_overlap_error(which):
    if which == "driver":
        return ServiceError(_("The driver already has a shift at this time."), field="driver", code="overlap")
    return ServiceError(_("The vehicle already has a shift at this time."), field="vehicle", code="overlap")


def shift_create(*, actor, vehicle, driver, starts_at, ends_at, break_starts_at=None, break_minutes=0,
                 now: dt.datetime | None = None) -> Shift:
    """Put a driver on a vehicle for part of a day, with an optional break; refused when either already has a
    shift that overlaps (on PostgreSQL the exclusion constraints of migration 0002 guard the race)."""
    now = now or timezone.now()
    if vehicle is None:
        raise ServiceError(_("Choose the vehicle."), field="vehicle")
    _require_dispatch(actor, vehicle.provider)
    if not vehicle.active:
        raise ServiceError(_("This vehicle is out of service."), field="vehicle")
    if (driver is None or driver.provider_id != vehicle.provider_id or driver.role != StaffRole.DRIVER
            or not driver.active):
        raise ServiceError(_("Choose one of the provider's drivers."), field="driver")
    starts_at, ends_at = _moment(starts_at, field="starts_at"), _moment(ends_at, field="ends_at")
    if ends_at <= starts_at:
        raise ServiceError(_("The shift must end after it starts."), field="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise ServiceError(_("A shift lasts at most 16 hours."), field="ends_at")
    if ends_at <= now:
        raise ServiceError(_("This shift would be over already. Enter a time to come."), field="starts_at")
    break_minutes = _whole(break_minutes or 0, field="break_minutes", low=0, high=240,
                           message=_("Enter the break in minutes, from 0 to 240."))
    if break_starts_at is not None or break_minutes:
        if break_starts_at is None or not break_minutes:
            raise ServiceError(_("Give the break both a start and a length, or neither."), field="break_starts_at")
        break_starts_at = _moment(break_starts_at, field="break_starts_at")
        if break_starts_at < starts_at or break_starts_at + dt.timedelta(minutes=break_minutes) > ends_at:
            raise ServiceError(_("The break must lie within the shift."), field="break_starts_at")
    day = timezone.localdate(starts_at)
    with transaction.atomic():
        # The vehicle's and the driver's rows: two shifts for either cannot both pass the overlap check.
        Vehicle.objects.select_for_update().filter(pk=vehicle.pk).order_by("pk").first()
        ProviderStaff.objects.select_for_update().filter(pk=driver.pk).order_by("pk").first()
        live = Shift.objects.filter(cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at)
        if live.filter(vehicle=vehicle).exists():
            raise _shift_overlap_error("vehicle")
        if live.filter(driver=driver).exists():
            raise _shift_overlap_error("driver")
        shift = Shift(provider_id=vehicle.provider_id, day=day, vehicle=vehicle, driver=driver, starts_at=starts_at,
                      ends_at=ends_at, break_starts_at=break_starts_at, break_minutes=break_minutes,
                      created_by=actor)
        try:
            with transaction.atomic():
                shift.save()
        except IntegrityError as exc:
            for which in ("driver", "vehicle"):
                if f"tr_shift_{which}_no_overlap" in str(exc):
                    raise _shift_overlap_error(which) from None
            raise
        audit_record(actor=actor, action="transport_shift.create", obj=shift, after=snapshot(shift))
    return shift


def shift_cancel(*, actor, shift) -> Shift:
    """Cancel a shift: its rides go back to the unassigned ones (refused once a passenger of it was picked up)."""
    _require_dispatch(actor, shift.provider)
    with transaction.atomic():
        dp = _lock_day(shift.provider, shift.day, create=False)
        locked = Shift.objects.select_for_update().get(pk=shift.pk)
        if locked.cancelled_at is not None:
            raise ServiceError(_("This shift is already cancelled."), code="conflict")
        routes = selectors.version_routes(selectors.current_version(dp)) if dp else {}
        on_it = {rid for rid, _k in routes.get(locked.pk, [])}
        started = RideRequest.objects.filter(pk__in=on_it, status__in=[RideRequest.Status.PICKED_UP,
                                                                        RideRequest.Status.DROPPED_OFF]).exists()
        if started:
            raise ServiceError(_("Passengers of this shift are already on the road. Finish the shift instead."),
                               code="conflict")
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        audit_record(actor=actor, action="transport_shift.cancel", obj=locked, after={"rides_freed": len(on_it)})
        if dp is not None and on_it:
            routes.pop(locked.pk)
            data = _day_data(dp)
            _write_version(dp, data, routes, kind=PlanVersion.Kind.EVENT, actor=actor, changed=set(),
                           left_out={rid: "shift_cancelled" for rid in on_it},
                           note=_("Shift of %(plate)s cancelled; its rides are unassigned.") % {
                               "plate": locked.vehicle.plate})
    return locked


# --- Ride requests ---------------------------------------------------------------------------------------------------

def _booking_interval(pickup, dropoff, pickup_at, arrive_by, day) -> tuple[dt.datetime, dt.datetime]:
    """The social-services booking of a ride spans the direct trip: from the pick-up time, or ending at the
    appointment."""
    direct = planning.direct_minutes(pickup, dropoff)
    length = dt.timedelta(minutes=max(planning.MIN_RIDE, round(direct)))
    if pickup_at is not None:
        return pickup_at, pickup_at + length
    return arrive_by - length, arrive_by


def _book(*, actor, person, provider, starts_at, ends_at, place, latitude, longitude, purpose, note, now):
    """The social-services booking of one ride, inside the caller's transaction: eligibility, quota and contract
    volume checked there. The passenger's side books as itself; a provider's dispatcher taking a call books as the
    provider (`taken_by`: social_services.access.can_book_as_provider decides, and the booking names the provider)."""
    service_type = _invataxi()
    taken_by = None if social_access.can_book_for(actor, person) else provider
    return social.booking_create(actor=actor, person=person, service_type=service_type, starts_at=starts_at,
                                 ends_at=ends_at, place=place, latitude=latitude, longitude=longitude, purpose=purpose,
                                 note=note, provider=provider, taken_by=taken_by, now=now)


def _occurrence_days(first: dt.date, weekdays, until) -> list[dt.date]:
    if not weekdays:
        return [first]
    try:
        days_of_week = sorted({int(w) for w in weekdays})
    except (TypeError, ValueError):
        raise ServiceError(_("Choose the days of the week."), field="repeat_weekdays") from None
    if any(not 0 <= w <= 6 for w in days_of_week):
        raise ServiceError(_("Choose the days of the week."), field="repeat_weekdays")
    if not isinstance(until, dt.date) or isinstance(until, dt.datetime) or until < first:
        raise ServiceError(_("Enter the last day of the repeated rides, on or after the first ride."),
                           field="repeat_until")
    if until > first + dt.timedelta(days=366):
        raise ServiceError(_("Rides repeat for at most a year."), field="repeat_until")
    days = [first + dt.timedelta(days=n) for n in range((until - first).days + 1)]
    days = [d for d in days if d.weekday() in days_of_week]
    if not days:
        raise ServiceError(_("No day of the chosen weekdays falls in this period."), field="repeat_weekdays")
    if len(days) > MAX_OCCURRENCES:
        raise ServiceError(_("At most %(n)s repeated rides can be booked at once. Choose a shorter period.") % {
            "n": MAX_OCCURRENCES}, field="repeat_until")
    return days


def _on(day: dt.date, moment: dt.datetime) -> dt.datetime:
    """The same local time of day on another day."""
    local = timezone.localtime(moment)
    return timezone.make_aware(dt.datetime.combine(day, local.time().replace(tzinfo=None)))


def ride_request_create(*, actor, person, provider, pickup_address, pickup_latitude, pickup_longitude,
                        dropoff_address, dropoff_latitude, dropoff_longitude, pickup_at=None, arrive_by=None,
                        wheelchair=False, escorts=0, guide_dog=False, needs_note="", source="phone",
                        return_pickup_at=None, repeat_weekdays=(), repeat_until=None, purpose=Purpose.OTHER,
                        now: dt.datetime | None = None) -> list[RideRequest]:
    """Request a ride (and its return trip, and its repetitions on weekdays until a date) for a passenger. Each ride
    is a social-services InvaTaxi booking made in the same transaction: refused with the reason when the passenger is
    not eligible, over the quota or beyond the contracted volume. A repeated series is booked whole or not at all:
    the refusal names the first date that cannot be booked. Rides of a day that already has a plan are inserted
    into it at once. Returns the rides, the first one's outbound ride first."""
    now = now or timezone.now()
    if person is None or not access.can_request_ride(actor, person, provider):
        raise PermissionDenied(_("You may request rides only for yourself, for a person you represent, or as a "
                                 "dispatcher of a provider serving the person's region."))
    if provider is None or provider.status != "verified":
        raise ServiceError(_("Choose the InvaTaxi provider."), field="provider")
    if source not in RideRequest.Source.values:
        raise ServiceError(_("Choose how the request came in."), field="source")
    if purpose not in Purpose.values:
        raise ServiceError(_("Choose the purpose of the ride."), field="purpose")
    pickup_address, dropoff_address = _text(pickup_address, limit=300), _text(dropoff_address, limit=300)
    if not pickup_address:
        raise ServiceError(_("Enter the pick-up address."), field="pickup_address")
    if not dropoff_address:
        raise ServiceError(_("Enter the drop-off address."), field="dropoff_address")
    p_lat, p_lon = _point(pickup_latitude, pickup_longitude, field="pickup_latitude")
    d_lat, d_lon = _point(dropoff_latitude, dropoff_longitude, field="dropoff_latitude")
    if (p_lat, p_lon) == (d_lat, d_lon):
        raise ServiceError(_("The pick-up and drop-off places are the same."), field="dropoff_address")
    if (pickup_at is None) == (arrive_by is None):
        raise ServiceError(_("Give either the pick-up time or the time to arrive by, not both."), field="pickup_at")
    if pickup_at is not None:
        pickup_at = _moment(pickup_at, field="pickup_at")
    else:
        arrive_by = _moment(arrive_by, field="arrive_by")
    first_time = pickup_at or arrive_by
    if first_time <= now:
        raise ServiceError(_("A ride must be requested for a time to come."),
                           field="pickup_at" if pickup_at else "arrive_by")
    escorts = _whole(escorts or 0, field="escorts", low=0, high=MAX_ESCORTS,
                     message=_("Up to three escorts travel along. Enter a number from 0 to 3."))
    if return_pickup_at is not None:
        return_pickup_at = _moment(return_pickup_at, field="return_pickup_at")
        if timezone.localdate(return_pickup_at) != timezone.localdate(first_time) or return_pickup_at <= first_time:
            raise ServiceError(_("The return trip is picked up later on the same day."), field="return_pickup_at")
    first_day = timezone.localdate(first_time)
    days = _occurrence_days(first_day, repeat_weekdays, repeat_until)
    note, needs_note = _text(needs_note, limit=300), _text(needs_note, limit=300)
    series = str(uuid.uuid4()) if len(days) > 1 else ""
    pickup, dropoff = (float(p_lat), float(p_lon)), (float(d_lat), float(d_lon))
    common = {"provider": provider, "person": person, "wheelchair": bool(wheelchair), "escorts": escorts,
              "guide_dog": bool(guide_dog), "needs_note": needs_note, "series": series, "source": source,
              "created_by": actor}
    rides = []
    with transaction.atomic():
        for day in days:
            legs = [(pickup_address, p_lat, p_lon, dropoff_address, d_lat, d_lon,
                     _on(day, pickup_at) if pickup_at else None, _on(day, arrive_by) if arrive_by else None)]
            if return_pickup_at is not None:
                legs.append((dropoff_address, d_lat, d_lon, pickup_address, p_lat, p_lon,
                             _on(day, return_pickup_at), None))
            outbound = None
            for a_addr, a_lat, a_lon, b_addr, b_lat, b_lon, leg_pickup, leg_arrive in legs:
                a, b = (float(a_lat), float(a_lon)), (float(b_lat), float(b_lon))
                starts_at, ends_at = _booking_interval(a, b, leg_pickup, leg_arrive, day)
                try:
                    booking = _book(actor=actor, person=person, provider=provider, starts_at=starts_at,
                                    ends_at=ends_at, place=a_addr, latitude=a_lat, longitude=a_lon, purpose=purpose,
                                    note=note, now=now)
                except ServiceError as exc:
                    if isinstance(exc, PermissionDenied) or len(days) == 1:
                        raise
                    # Nothing of the series is kept: the transaction rolls back every ride booked so far.
                    refused = ServiceError(_("Nothing was booked: the ride on %(date)s cannot be booked. %(reason)s")
                                           % {"date": day.strftime("%d.%m.%Y"), "reason": exc.message},
                                           field=exc.field, code=exc.code)
                    refused.occurrence = day
                    refused.alternative = getattr(exc, "alternative", None)
                    raise refused from None
                ride = RideRequest.objects.create(
                    booking=booking, day=day, pickup_address=a_addr, pickup_latitude=a_lat, pickup_longitude=a_lon,
                    dropoff_address=b_addr, dropoff_latitude=b_lat, dropoff_longitude=b_lon, pickup_at=leg_pickup,
                    arrive_by=leg_arrive, outbound=outbound, **common)
                audit_record(actor=actor, action="transport_ride.create", obj=ride, after=snapshot(ride))
                outbound = outbound or ride
                rides.append(ride)
        # Same-day requests go into a day that is planned already, at once (a ride that fits nowhere stays
        # unassigned with its reason, for the dispatcher).
        planned_days = set(DayPlan.objects.filter(provider=provider, day__in={r.day for r in rides}, version__gt=0)
                           .values_list("day", flat=True))
        for ride in rides:
            if ride.day in planned_days:
                _insert(actor=actor, ride=ride, now=now)
    for ride in rides:
        ride.refresh_from_db()
    return rides


def ride_cancel(*, actor, ride, reason="", now: dt.datetime | None = None) -> RideRequest:
    """Cancel a ride that has not started: its booking is cancelled (late when the passenger cancels later than the
    service's notice) and it leaves the day's plan."""
    now = now or timezone.now()
    if not access.can_cancel_ride(actor, ride):
        raise PermissionDenied(_("You may not cancel this ride."))
    reason = _text(reason, limit=300)
    with transaction.atomic():
        if ride.status not in RideRequest.OPEN:
            raise ServiceError(_("Only a ride that has not started can be cancelled."), code="conflict")
        if ride.booking_id is not None:
            booking = Booking.objects.get(pk=ride.booking_id)
            if booking.status in Booking.ACTIVE:
                social.booking_cancel(actor=actor, booking=booking, reason=reason, now=now)
        dp = _lock_day(ride.provider, ride.day, create=False)
        locked = RideRequest.objects.select_for_update().get(pk=ride.pk)
        if locked.status not in RideRequest.OPEN:
            raise ServiceError(_("Only a ride that has not started can be cancelled."), code="conflict")
        before = snapshot(locked)
        locked.status, locked.cancelled_at, locked.cancel_reason = RideRequest.Status.CANCELLED, now, reason
        locked.held, locked.pinned_shift = False, None
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "held", "pinned_shift"])
        audit_record(actor=actor, action="transport_ride.cancel", obj=locked, before=before, after=snapshot(locked),
                     reason=reason)
        if dp is not None:
            routes = selectors.version_routes(selectors.current_version(dp))
            changed = {sid for sid, stops in routes.items() if any(rid == locked.pk for rid, _k in stops)}
            if changed:
                routes = {sid: [s for s in stops if s[0] != locked.pk] for sid, stops in routes.items()}
                _write_version(dp, _day_data(dp, now=now), routes, kind=PlanVersion.Kind.EVENT, actor=actor,
                               changed=changed, note=_("Ride %(n)s cancelled.") % {"n": locked.pk}, now=now)
    return locked


# --- The day plan ----------------------------------------------------------------------------------------------------

def _lock_day(provider, day, *, create=True) -> DayPlan | None:
    """The day's row, locked: every version of the day is written under it."""
    if create:
        DayPlan.objects.get_or_create(provider=provider, day=day)
    return DayPlan.objects.select_for_update().filter(provider=provider, day=day).first()


def _day_data(dp: DayPlan, *, now: dt.datetime | None = None) -> planning.DayData:
    shifts = {s.pk: s for s in Shift.objects.filter(provider_id=dp.provider_id, day=dp.day, cancelled_at__isnull=True)
              .select_related("vehicle__depot", "driver__user")}
    rides = {r.pk: r for r in RideRequest.objects.filter(provider_id=dp.provider_id, day=dp.day)}
    return planning.DayData(day=dp.day, shifts=shifts, rides=rides, now=planning.now_minute(dp.day, now))


def _plannable(ride: RideRequest) -> bool:
    """Whether a plan may (or must) carry the ride: open and not held, or on the road."""
    return (ride.status in RideRequest.OPEN and not ride.held) or ride.status in (
        RideRequest.Status.PICKED_UP, RideRequest.Status.DROPPED_OFF)


def _clean_routes(data: planning.DayData, routes: dict) -> dict:
    """Routes restricted to live shifts and rides a plan may carry."""
    return {sid: [s for s in stops if s[0] in data.rides and _plannable(data.rides[s[0]])]
            for sid, stops in routes.items() if sid in data.shifts}


def _previous_times(dp: DayPlan) -> dict:
    version = selectors.current_version(dp)
    if version is None:
        return {}
    return {(s.request_id, s.kind): s.planned_at for s in PlannedStop.objects.filter(version=version)}


def _write_version(dp, data, routes, *, kind, actor, changed=None, timed=None, left_out=None, note="", based_on=None,
                   request=None, shift=None, seconds=0.0, now=None) -> PlanVersion:
    """Write the next version of the day (the caller holds the DayPlan lock): `routes` {shift: [(ride, kind)]};
    the stops of `changed` shifts are scheduled again (or taken from `timed`, {shift: [(ride, kind, minute)]}),
    the others keep their planned times. Rides on no route that a plan may carry become unserved with their reason
    (`left_out`, {ride: reason code})."""
    left_out = dict(left_out or {})
    timed = dict(timed or {})
    if changed is None:
        changed = set(routes)
    to_time = {sid: routes[sid] for sid in changed if sid in routes and sid not in timed}
    if to_time:
        scheduled, dropped = planning.evaluate(data, to_time)
        timed.update(scheduled)
        for rid, code in dropped.items():
            left_out.setdefault(rid, code)
    previous = _previous_times(dp)
    stops, fixed_keys = [], {(f.request, f.kind) for f in data.fixed(data.rides)}
    routed = set()
    for sid, route in routes.items():
        if sid in timed:
            items = [(rid, k, planning.moment(data.day, minute)) for rid, k, minute in timed[sid]]
        else:
            items = [(rid, k, previous.get((rid, k))) for rid, k in route]
        for seq, (rid, k, at) in enumerate(items):
            if at is None:  # a stop never timed before: schedule its route
                return _write_version(dp, data, routes, kind=kind, actor=actor, changed=set(changed) | {sid},
                                      timed={s: v for s, v in timed.items() if s != sid}, left_out=left_out, note=note,
                                      based_on=based_on, request=request, shift=shift, seconds=seconds, now=now)
            stops.append(PlannedStop(shift_id=sid, sequence=seq, request_id=rid, kind=k, planned_at=at,
                                     fixed=(rid, k) in fixed_keys))
            routed.add(rid)
    travel = _travel_minutes(data, routes)
    unserved = {rid: code for rid, code in left_out.items() if rid not in routed}
    for rid, ride in data.rides.items():
        if rid not in routed and rid not in unserved and ride.status in RideRequest.OPEN:
            unserved[rid] = "held" if ride.held else (ride.unserved_reason or "not_planned")
    version = PlanVersion.objects.create(
        day_plan=dp, number=dp.version + 1, kind=kind, based_on=dp.version if based_on is None else based_on,
        request=request, shift=shift, cost_minutes=round(travel, 2), served=len(routed),
        unserved=sum(1 for rid in unserved if data.rides[rid].status in RideRequest.OPEN), seconds=round(seconds, 3),
        note=_text(note, limit=300), created_by=actor if getattr(actor, "is_authenticated", False) else None)
    for stop in stops:
        stop.version = version
    PlannedStop.objects.bulk_create(stops)
    dp.version = version.number
    dp.save(update_fields=["version"])
    # The rides' status follows the newest version: on a route it is planned, off every route unserved (with why).
    open_statuses = [RideRequest.Status.REQUESTED, RideRequest.Status.PLANNED, RideRequest.Status.UNSERVED]
    RideRequest.objects.filter(pk__in=routed, status__in=open_statuses).update(
        status=RideRequest.Status.PLANNED, unserved_reason="")
    for code in set(unserved.values()):
        RideRequest.objects.filter(pk__in=[rid for rid, c in unserved.items() if c == code],
                                   status__in=open_statuses).update(status=RideRequest.Status.UNSERVED,
                                                                    unserved_reason=code)
    audit_record(actor=actor, action=f"transport_plan.{kind}", obj=version,
                 after={"day": dp.day, "number": version.number, "based_on": version.based_on,
                        "served": version.served, "unserved": version.unserved, "request": getattr(request, "pk", None),
                        "shift": getattr(shift, "pk", None)}, reason=version.note)
    return version


def _travel_minutes(data: planning.DayData, routes: dict) -> float:
    """Driving minutes of the routes, depot to depot."""
    total = 0.0
    for sid, stops in routes.items():
        if not stops:
            continue
        s = data.shifts[sid]
        depot = (float(s.vehicle.depot.latitude), float(s.vehicle.depot.longitude))
        points = [depot]
        for rid, kind in stops:
            r = data.rides[rid]
            points.append((float(r.pickup_latitude), float(r.pickup_longitude)) if kind == "pickup"
                          else (float(r.dropoff_latitude), float(r.dropoff_longitude)))
        points.append(depot)
        times, _costs = planning.matrices(points)
        total += float(sum(times[i, i + 1] for i in range(len(points) - 1)))
    return total


def _check_ride_day(ride, *, now=None):
    if ride.day < timezone.localdate(now or timezone.now()):
        raise ServiceError(_("This day is over; its plan can no longer change."), code="conflict")


def plan_start(*, actor, provider, day, time_limit=30, now: dt.datetime | None = None) -> ReplanRun:
    """Plan (or re-plan) a day in the background: enqueues tasks.plan_day_task; the run's progress moves while the
    engine searches, and its result is a new version of the day (manual changes made meanwhile are kept)."""
    _require_dispatch(actor, provider)
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ServiceError(_("Choose the day to plan."), field="day")
    if day < timezone.localdate(now or timezone.now()):
        raise ServiceError(_("This day is over; its plan can no longer change."), field="day")
    time_limit = _whole(time_limit, field="time_limit", low=1, high=MAX_TIME_LIMIT,
                        message=_("Enter the planning time in seconds, from 1 to 600."))
    with transaction.atomic():
        dp = _lock_day(provider, day)
        if ReplanRun.objects.filter(day_plan=dp, status__in=[ReplanRun.Status.QUEUED, ReplanRun.Status.RUNNING]).exists():
            raise ServiceError(_("This day is being planned already. Wait for that run to finish."), code="conflict")
        run = ReplanRun.objects.create(day_plan=dp, based_on=dp.version, time_limit=time_limit, created_by=actor)
        audit_record(actor=actor, action="transport_plan.start", obj=run,
                     after={"day": day, "based_on": dp.version, "time_limit": time_limit})
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from .tasks import plan_day_task

    plan_day_task.enqueue(run_id)


def _solve(problem, plan, *, run_id, time_limit):
    """The engine's search in a thread, while this thread moves the run's progress bar once a second."""
    workers = getattr(settings, "TRANSPORT_SOLVER_WORKERS", None)
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(dispatch.solve, problem, time_limit=time_limit, seed=run_id, workers=workers,
                             warm_start=plan)
        started = time.monotonic()
        while True:
            try:
                return future.result(timeout=1.0)
            except FutureTimeout:
                share = int(100 * (time.monotonic() - started) / max(time_limit, 1))
                ReplanRun.objects.filter(pk=run_id).update(progress=max(1, min(99, share)))


def plan_run(run_id: int, *, now: dt.datetime | None = None) -> PlanVersion | None:
    """The body of tasks.plan_day_task: solve the day from the run's starting version (fixed stops kept, pinned
    rides kept on their shift), then apply the result under the lock, replaying manual changes made meanwhile."""
    claimed = ReplanRun.objects.filter(pk=run_id, status=ReplanRun.Status.QUEUED).update(
        status=ReplanRun.Status.RUNNING, progress=1)
    if not claimed:
        return None
    run = ReplanRun.objects.select_related("day_plan", "created_by").get(pk=run_id)
    try:
        with translation.override(run.created_by.language or settings.LANGUAGE_CODE):
            dp = run.day_plan
            base = PlanVersion.objects.filter(day_plan=dp, number=run.based_on).first() if run.based_on else None
            data = _day_data(dp, now=now)
            routes = _clean_routes(data, selectors.version_routes(base))
            fixed_rides = {f.request for f in data.fixed(data.rides)}
            on_routes = {rid for stops in routes.values() for rid, _k in stops}
            # A ride that happened off every route (marked without a plan) cannot be placed: it is left alone.
            ride_ids = sorted(rid for rid, r in data.rides.items()
                              if _plannable(r) and (rid not in fixed_rides or rid in on_routes))
            for sid in data.shifts:
                routes.setdefault(sid, [])
            pinned = {rid: data.rides[rid].pinned_shift_id for rid in ride_ids
                      if data.rides[rid].pinned_shift_id in data.shifts}
            started = time.monotonic()
            solution = None
            if ride_ids and data.shifts:
                problem = data.problem(ride_ids, list(data.shifts))
                solution = _solve(problem, data.plan(routes, ride_ids, pinned=pinned), run_id=run.pk,
                                  time_limit=run.time_limit)
            seconds = time.monotonic() - started
            if solution is not None:
                result, left_out = planning.solution_routes(solution)
            else:
                result = {sid: [] for sid in data.shifts}
                left_out = {rid: "no_shift" for rid in ride_ids}
            version = _apply_replan(run, result, left_out, solved=set(ride_ids), seconds=seconds, now=now)
    except Exception as exc:
        log.exception("planning run %s failed", run_id)
        ReplanRun.objects.filter(pk=run_id).update(status=ReplanRun.Status.FAILED, message=str(exc)[:500],
                                                   finished_at=timezone.now())
        raise
    return version


def _apply_replan(run, result, left_out, *, solved, seconds, now=None) -> PlanVersion:
    """Write the run's result as the newest version, under the lock. When versions were written since the run
    started, the state they left wins: rides held, cancelled or gone are taken off; a ride pinned to a shift, or
    picked up by it, goes back on that shift (the re-plan's rides there that no longer fit are given up and named
    in the note); rides inserted meanwhile are inserted into the result."""
    with transaction.atomic():
        dp = DayPlan.objects.select_for_update().get(pk=run.day_plan_id)
        data = _day_data(dp, now=now)
        newest = selectors.current_version(dp)
        newest_routes = _clean_routes(data, selectors.version_routes(newest))
        routes = _clean_routes(data, {sid: [(rid, k) for rid, k, _m in stops] for sid, stops in result.items()})
        for sid in data.shifts:
            routes.setdefault(sid, [])
        left_out = {rid: code for rid, code in left_out.items() if rid in data.rides}
        notes, given_up = [], {}
        replayed = dp.version - run.based_on
        where_now = {rid: sid for sid, stops in newest_routes.items() for rid, _k in stops}
        fixed_rides = {f.request for f in data.fixed(data.rides)}
        # The shift each ride must be on: a dispatcher's pin, or the vehicle that has picked the passenger up.
        must = {}
        for rid, ride in data.rides.items():
            if not _plannable(ride):
                continue
            if ride.pinned_shift_id in data.shifts:
                must[rid] = ride.pinned_shift_id
            elif rid in fixed_rides and rid in where_now:
                must[rid] = where_now[rid]
        placed = {rid: sid for sid, stops in routes.items() for rid, _k in stops}
        moved = {rid: sid for rid, sid in must.items() if placed.get(rid) != sid}
        if moved:
            targets = set(moved.values())
            for rid in moved:
                for sid in routes:
                    routes[sid] = [s for s in routes[sid] if s[0] != rid]
            for sid in targets:
                keep = {rid for rid, target in must.items() if target == sid}
                base_route = [s for s in newest_routes.get(sid, []) if s[0] in keep]
                for rid in keep - {s[0] for s in base_route}:
                    base_route += [(rid, "pickup"), (rid, "dropoff")]
                others = [rid for rid in dict.fromkeys(s[0] for s in routes[sid]) if rid not in keep]
                scheduled, dropped = planning.evaluate(data, {sid: base_route}, extra=others)
                routes[sid] = [(rid, k) for rid, k, _m in scheduled.get(sid, [])]
                for rid in dropped:
                    if rid in keep:
                        notes.append(_("Ride %(n)s no longer fits the route it was assigned to.") % {"n": rid})
                    else:
                        given_up[rid] = "given_up"
        # Rides planned meanwhile that the run did not know (inserted, released) go in where they fit.
        extra = [rid for rid in where_now if rid not in solved and rid not in {s[0] for st in routes.values() for s in st}]
        timed, dropped = planning.evaluate(data, routes, extra=extra)
        final = {sid: [(rid, k) for rid, k, _m in stops] for sid, stops in timed.items()}
        for rid, code in dropped.items():
            if rid in extra:
                notes.append(_("Ride %(n)s, inserted while planning, fits no vehicle now.") % {"n": rid})
            left_out.setdefault(rid, code)
        left_out.update(given_up)
        if replayed:
            notes.insert(0, ngettext("Kept %(n)s change made while planning.", "Kept %(n)s changes made while planning.",
                                     replayed) % {"n": replayed})
        if given_up:
            notes.append(_("Given up to keep the dispatcher's assignments: rides %(ids)s.") % {
                "ids": ", ".join(str(r) for r in sorted(given_up))})
        kind = PlanVersion.Kind.REPLAN if run.based_on else PlanVersion.Kind.SOLVE
        version = _write_version(dp, data, final, kind=kind, actor=run.created_by, timed=timed, left_out=left_out,
                                 note=" ".join(notes), based_on=run.based_on, seconds=seconds, now=now)
        ReplanRun.objects.filter(pk=run.pk).update(status=ReplanRun.Status.DONE, progress=100,
                                                   result_version=version.number, finished_at=timezone.now(),
                                                   message=version.note)
    return version


def _insert(*, actor, ride, now=None) -> PlanVersion | None:
    """Put one ride into the newest version of its day (the caller may or may not hold the lock; this takes it)."""
    dp = _lock_day(ride.provider, ride.day)
    data = _day_data(dp, now=now)
    current = selectors.current_version(dp)
    routes = _clean_routes(data, selectors.version_routes(current))
    locked = data.rides[ride.pk]
    if any(rid == ride.pk for stops in routes.values() for rid, _k in stops):
        return current
    if not _plannable(locked) or locked.status not in RideRequest.OPEN:
        raise ServiceError(_("Only a requested ride that is not held back can be inserted."), code="conflict")
    for sid in data.shifts:
        routes.setdefault(sid, [])
    if not data.shifts:
        RideRequest.objects.filter(pk=ride.pk).update(status=RideRequest.Status.UNSERVED, unserved_reason="no_shift")
        return current
    timed, dropped = planning.evaluate(data, routes, extra=[ride.pk])
    if ride.pk in dropped:
        RideRequest.objects.filter(pk=ride.pk).update(status=RideRequest.Status.UNSERVED,
                                                      unserved_reason=dropped[ride.pk])
        return current
    final = {sid: [(rid, k) for rid, k, _m in stops] for sid, stops in timed.items()}
    changed = {sid for sid in final if final[sid] != routes.get(sid)}
    return _write_version(dp, data, final, kind=PlanVersion.Kind.INSERT, actor=actor, changed=changed,
                          timed={sid: timed[sid] for sid in changed}, left_out=dropped, request=locked,
                          note=_("Ride %(n)s inserted.") % {"n": ride.pk}, now=now)


def plan_insert(*, actor, ride, now: dt.datetime | None = None) -> PlanVersion | None:
    """Insert a same-day ride into the day's current plan where it costs least (nothing else moves between
    vehicles); a ride that fits nowhere stays unassigned with its reason."""
    _require_dispatch(actor, ride.provider)
    _check_ride_day(ride, now=now)
    with transaction.atomic():
        if not DayPlan.objects.filter(provider=ride.provider, day=ride.day, version__gt=0).exists():
            raise ServiceError(_("This day has no plan yet. Plan the day first."), code="conflict")
        return _insert(actor=actor, ride=ride, now=now)


def _ride_for_change(ride_id):
    ride = RideRequest.objects.select_for_update().get(pk=ride_id)
    if ride.status in (RideRequest.Status.PICKED_UP, RideRequest.Status.DROPPED_OFF):
        raise ServiceError(_("This passenger has already been picked up; the ride stays on its vehicle."),
                           code="conflict")
    if ride.status not in RideRequest.OPEN:
        raise ServiceError(_("This ride is cancelled or over."), code="conflict")
    return ride


def plan_assign(*, actor, ride, shift, now: dt.datetime | None = None) -> PlanVersion:
    """Put a ride on a shift by hand: refused, with the reason, when it cannot fit that shift's route (the engine
    checks the route with the ride inserted where it costs least). The ride stays pinned there on every re-plan."""
    _require_dispatch(actor, ride.provider)
    _check_ride_day(ride, now=now)
    if shift is None or shift.provider_id != ride.provider_id or shift.day != ride.day:
        raise ServiceError(_("Choose a shift of the same provider on the ride's day."), field="shift")
    if shift.cancelled_at is not None:
        raise ServiceError(_("This shift is cancelled."), field="shift")
    with transaction.atomic():
        dp = _lock_day(ride.provider, ride.day)
        locked = _ride_for_change(ride.pk)
        data = _day_data(dp, now=now)
        routes = _clean_routes(data, selectors.version_routes(selectors.current_version(dp)))
        was_on = {sid for sid, stops in routes.items() if any(s[0] == locked.pk for s in stops)}
        if was_on == {shift.pk}:
            locked.pinned_shift, locked.held = shift, False
            locked.save(update_fields=["pinned_shift", "held"])
            return selectors.current_version(dp)
        routes = {sid: [s for s in stops if s[0] != locked.pk] for sid, stops in routes.items()}
        data.rides[locked.pk].held = False  # an assignment releases a hold
        scheduled, dropped = planning.evaluate(data, {shift.pk: routes.get(shift.pk, [])}, extra=[locked.pk])
        if locked.pk in dropped:
            reason = {"busy": _("its route is full at that time or cannot reach the stops in time"),
                      "capacity": _("it has not enough seats or wheelchair places"),
                      "shift": _("its shift does not cover the ride"),
                      "window": _("the requested time cannot be met"),
                      "ride_time": _("the ride would take too long")}.get(dropped[locked.pk],
                                                                          _("the ride does not fit its route"))
            raise ServiceError(_("%(plate)s cannot take this ride: %(reason)s. Choose another vehicle.") % {
                "plate": shift.vehicle.plate, "reason": reason}, field="shift", code="infeasible")
        routes[shift.pk] = [(rid, k) for rid, k, _m in scheduled[shift.pk]]
        before = {"pinned_shift": locked.pinned_shift_id, "held": locked.held}
        locked.pinned_shift, locked.held = shift, False
        locked.save(update_fields=["pinned_shift", "held"])
        data.rides[locked.pk] = locked
        version = _write_version(dp, data, routes, kind=PlanVersion.Kind.ASSIGN, actor=actor,
                                 changed=was_on | {shift.pk}, timed={shift.pk: scheduled[shift.pk]},
                                 left_out={rid: c for rid, c in dropped.items()}, request=locked, shift=shift,
                                 note=_("Ride %(n)s assigned to %(plate)s.") % {"n": locked.pk,
                                                                                "plate": shift.vehicle.plate}, now=now)
        audit_record(actor=actor, action="transport_ride.assign", obj=locked, before=before,
                     after={"pinned_shift": shift.pk, "version": version.number})
    return version


def plan_unassign(*, actor, ride, now: dt.datetime | None = None) -> PlanVersion | None:
    """Take a ride off its vehicle and hold it back: no plan or re-plan puts it on a vehicle until released."""
    _require_dispatch(actor, ride.provider)
    _check_ride_day(ride, now=now)
    with transaction.atomic():
        dp = _lock_day(ride.provider, ride.day)
        locked = _ride_for_change(ride.pk)
        before = {"pinned_shift": locked.pinned_shift_id, "held": locked.held}
        locked.held, locked.pinned_shift = True, None
        locked.status, locked.unserved_reason = RideRequest.Status.UNSERVED, "held"
        locked.save(update_fields=["held", "pinned_shift", "status", "unserved_reason"])
        audit_record(actor=actor, action="transport_ride.unassign", obj=locked, before=before, after={"held": True})
        data = _day_data(dp, now=now)
        routes = selectors.version_routes(selectors.current_version(dp))
        changed = {sid for sid, stops in routes.items() if any(s[0] == locked.pk for s in stops)}
        if not changed:
            return selectors.current_version(dp)
        routes = _clean_routes(data, routes)
        return _write_version(dp, data, routes, kind=PlanVersion.Kind.UNASSIGN, actor=actor, changed=changed,
                              request=locked, note=_("Ride %(n)s taken off its vehicle and held back.") % {
                                  "n": locked.pk}, now=now)


def plan_release(*, actor, ride, now: dt.datetime | None = None) -> PlanVersion | None:
    """Release a ride a dispatcher held back or pinned: plans may place it freely again. A held ride of a planned
    day is inserted into the current plan at once, where it fits."""
    _require_dispatch(actor, ride.provider)
    _check_ride_day(ride, now=now)
    with transaction.atomic():
        dp = _lock_day(ride.provider, ride.day)
        locked = RideRequest.objects.select_for_update().get(pk=ride.pk)
        if not (locked.held or locked.pinned_shift_id):
            raise ServiceError(_("This ride is neither held back nor pinned to a vehicle."), code="conflict")
        was_held = locked.held
        locked.held, locked.pinned_shift = False, None
        if was_held and locked.status in RideRequest.OPEN:
            locked.unserved_reason = "not_planned"
        locked.save(update_fields=["held", "pinned_shift", "unserved_reason"])
        audit_record(actor=actor, action="transport_ride.release", obj=locked, after={"was_held": was_held})
        if was_held and dp.version and locked.status in RideRequest.OPEN:
            return _insert(actor=actor, ride=locked, now=now)
        return selectors.current_version(dp)


# --- Marks from the road ---------------------------------------------------------------------------------------------

def _bind_booking(ride, shift, actor):
    """The ride's booking assigned to the driver of the shift (social-services delivery and no-show need the staff
    member). A driver may not assign bookings, so the dispatcher who put them on this shift is the one assigning."""
    booking = Booking.objects.select_related("contract", "staff", "person").get(pk=ride.booking_id)
    if booking.staff_id == shift.driver_id and booking.status == Booking.Status.ASSIGNED:
        return booking
    assigner = actor if social_access.can_assign(actor, booking) else shift.created_by
    return social.booking_assign(actor=assigner, booking=booking, staff=shift.driver)


def _social_effect(ride, shift, actor, event, *, at, code, now):
    """The social-services side of a mark, in a savepoint. Rides are shared (a driver's bookings may overlap and
    follow the shift, not working hours), so every passenger's booking is assigned to the driver. What may still be
    refused there does not stop the driver on the road, and is kept on the ride (`delivery_note`) and in the audit
    row for the dispatcher: a passenger's code that does not match, a contract with no volume left, a driver no
    longer on the provider's staff, a booking cancelled meanwhile outside the ride."""
    if ride.booking_id is None:
        return ""
    try:
        with transaction.atomic():
            booking = _bind_booking(ride, shift, actor)
            if event == "dropped_off":
                recorder = actor if social_access.can_record_delivery(actor, booking) else shift.driver.user
                social.delivery_record(actor=recorder, booking=booking, started_at=ride.picked_up_at, ended_at=at,
                                       code=code, signature=not code,
                                       note="" if code else _("Signed on the driver's manifest."), now=now)
            elif event == "no_show":
                social.booking_mark_no_show(actor=actor if social_access.can_assign(actor, booking)
                                            else shift.created_by, booking=booking, now=now)
    except ServiceError as exc:
        return _text(str(exc.message), limit=300)
    return ""


def ride_mark(*, actor, ride, event, at=None, code="", now: dt.datetime | None = None) -> RideRequest:
    """The driver (or a dispatcher) marks a planned ride picked up, dropped off or the passenger not come. A drop-off
    records the social-services delivery (confirmed by the passenger's one-time `code`, or by their signature on the
    manifest); a no-show marks the booking. Picked-up and dropped-off stops stay fixed on every re-plan."""
    now = now or timezone.now()
    if event not in MARK_EVENTS:
        raise ServiceError(_("Choose what happened: picked up, dropped off or did not come."), field="event")
    if not access.can_mark(actor, ride):
        raise PermissionDenied(_("Only the driver of this ride's vehicle or a dispatcher marks its stops."))
    at = now if at is None else _moment(at, field="at")
    if at > now + dt.timedelta(minutes=5):
        raise ServiceError(_("Mark a stop when it happens, not ahead of time."), field="at")
    if timezone.localdate(at) != ride.day:
        raise ServiceError(_("The time must be on the ride's day."), field="at")
    shift_id = access.current_shift_id(ride)
    if shift_id is None:
        raise ServiceError(_("This ride is not on any vehicle's route. Assign it first."), code="conflict")
    shift = Shift.objects.select_related("driver__user", "created_by", "vehicle").get(pk=shift_id)
    expected = {"picked_up": RideRequest.Status.PLANNED, "no_show": RideRequest.Status.PLANNED,
                "dropped_off": RideRequest.Status.PICKED_UP}[event]
    if ride.status != expected:
        messages = {"dropped_off": _("Mark the pick-up first."),
                    "picked_up": _("This ride is not waiting to be picked up."),
                    "no_show": _("This ride is not waiting to be picked up.")}
        raise ServiceError(messages[event], field="event", code="conflict")
    if event == "no_show":
        due = ride.pickup_at or (ride.booking.starts_at if ride.booking_id else ride.arrive_by)
        if at < due:
            raise ServiceError(_("Wait for the passenger until %(time)s before marking that they did not come.") % {
                "time": timezone.localtime(due).strftime("%H:%M")}, field="event")
    if event == "dropped_off" and ride.picked_up_at and at <= ride.picked_up_at:
        raise ServiceError(_("The drop-off must come after the pick-up."), field="at")
    code = _text(code, limit=12)
    with transaction.atomic():
        if event == "dropped_off":
            ride.picked_up_at = ride.picked_up_at or at
        note = _social_effect(ride, shift, actor, event, at=at, code=code, now=now) if event != "picked_up" else \
            _social_effect(ride, shift, actor, "bind", at=at, code="", now=now)
        _lock_day(ride.provider, ride.day, create=False)
        locked = RideRequest.objects.select_for_update().get(pk=ride.pk)
        if locked.status != expected:
            raise ServiceError(_("Someone else has just marked this ride. Reload the manifest."), code="conflict")
        before = snapshot(locked)
        if event == "picked_up":
            locked.status, locked.picked_up_at = RideRequest.Status.PICKED_UP, at
        elif event == "dropped_off":
            locked.status, locked.dropped_off_at = RideRequest.Status.DROPPED_OFF, at
        else:
            locked.status = RideRequest.Status.NO_SHOW
        locked.delivery_note = note
        locked.save(update_fields=["status", "picked_up_at", "dropped_off_at", "delivery_note"])
        audit_record(actor=actor, action=f"transport_ride.{event}", obj=locked, before=before, after=snapshot(locked),
                     reason=note)
    return locked
