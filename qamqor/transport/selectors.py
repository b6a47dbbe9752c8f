"""Reads of InvaTaxi that join or filter: the dispatcher's board, a driver's manifest, a passenger's rides with the
expected arrival, a day's shifts, a provider's fleet. Each fixes its queries (pinned by tests); none checks
permission (access.py does) and none writes the access log (the page or API that shows the data does)."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q

from qamqor.social_services.models import ProviderStaff, StaffRole

from . import access, planning
from .models import DayPlan, Depot, PlannedStop, PlanVersion, ReplanRun, RideRequest, Shift, Vehicle


def day_plan(*, provider, day: dt.date) -> DayPlan | None:
    return DayPlan.objects.filter(provider=provider, day=day).first()


def current_version(dp: DayPlan | None) -> PlanVersion | None:
    if dp is None or dp.version == 0:
        return None
    return PlanVersion.objects.filter(day_plan=dp, number=dp.version).first()


def version_routes(version: PlanVersion | None) -> dict:
    """{shift_id: [(ride_id, kind), ...]} of a version, in route order."""
    routes: dict = {}
    if version is None:
        return routes
    for shift_id, ride_id, kind in (PlannedStop.objects.filter(version=version).order_by("shift_id", "sequence")
                                    .values_list("shift_id", "request_id", "kind")):
        routes.setdefault(shift_id, []).append((ride_id, kind))
    return routes


def day_shifts(*, provider, day: dt.date):
    """The day's shifts (cancelled ones included, last) with vehicle, depot and driver."""
    return (Shift.objects.filter(provider=provider, day=day)
            .select_related("vehicle__depot", "driver__user")
            .order_by(F("cancelled_at").asc(nulls_first=True), "starts_at", "vehicle__plate"))


def fleet(*, provider) -> dict:
    """Depots, vehicles and active drivers of a provider."""
    return {"depots": list(Depot.objects.filter(provider=provider).order_by("name")),
            "vehicles": list(Vehicle.objects.filter(provider=provider).select_related("depot").order_by("plate")),
            "drivers": list(ProviderStaff.objects.filter(provider=provider, role=StaffRole.DRIVER, active=True)
                            .select_related("user").order_by("user__full_name", "pk"))}


def _stop_dict(stop, ride):
    pickup = stop.kind == PlannedStop.Kind.PICKUP
    return {"stop": stop, "ride": ride, "kind": stop.kind, "planned_at": stop.planned_at,
            "latitude": ride.pickup_latitude if pickup else ride.dropoff_latitude,
            "longitude": ride.pickup_longitude if pickup else ride.dropoff_longitude,
            "address": ride.pickup_address if pickup else ride.dropoff_address}


def day_board(*, provider, day: dt.date) -> dict:
    """Everything the dispatcher's board shows for a day, in a fixed number of queries (six)."""
    dp = day_plan(provider=provider, day=day)
    version = current_version(dp)
    requests = list(RideRequest.objects.filter(provider=provider, day=day).select_related("person")
                    .order_by("pickup_at", "arrive_by", "pk"))
    by_id = {r.pk: r for r in requests}
    shifts = list(day_shifts(provider=provider, day=day))
    stops = list(PlannedStop.objects.filter(version=version).order_by("shift_id", "sequence")) if version else []
    per_shift: dict = {}
    for stop in stops:
        per_shift.setdefault(stop.shift_id, []).append(_stop_dict(stop, by_id[stop.request_id]))
    planned = {stop.request_id for stop in stops}
    unassigned = []
    for ride in requests:
        if ride.status in RideRequest.OPEN and ride.pk not in planned:
            code = "held" if ride.held else (ride.unserved_reason or "not_planned")
            unassigned.append((ride, planning.reason_text(code)))
    run = ReplanRun.objects.filter(day_plan=dp).order_by("-created_at", "-pk").first() if dp else None
    vehicle_minutes = 0.0
    for s in shifts:
        route = per_shift.get(s.pk)
        if route and s.cancelled_at is None:
            vehicle_minutes += (route[-1]["planned_at"] - route[0]["planned_at"]).total_seconds() / 60
    return {"version": version, "requests": requests, "unassigned": unassigned,
            "shifts": [{"shift": s, "stops": per_shift.get(s.pk, [])} for s in shifts], "run": run,
            "stats": {"served": len(planned), "unserved": len(unassigned),
                      "vehicle_hours": round(vehicle_minutes / 60, 1),
                      "cost_minutes": version.cost_minutes if version else 0.0}}


def manifest(*, shift: Shift) -> dict:
    """A driver's stops of a shift in order, with each passenger's name, phone and needs (three queries)."""
    dp = DayPlan.objects.filter(provider_id=shift.provider_id, day=shift.day).first()
    stops = []
    if dp is not None and dp.version:
        rows = (PlannedStop.objects.filter(version__day_plan=dp, version__number=dp.version, shift=shift)
                .select_related("request__person").order_by("sequence"))
        for stop in rows:
            ride = stop.request
            person = ride.person
            stops.append({**_stop_dict(stop, ride), "passenger": person.full_name, "phone": person.phone or "",
                          "wheelchair": ride.wheelchair, "escorts": ride.escorts, "guide_dog": ride.guide_dog,
                          "needs_note": ride.needs_note, "status": ride.status,
                          "status_label": ride.get_status_display()})
    return {"shift": shift, "stops": stops}


def _etas(rides) -> dict:
    """{ride_id: {pickup_at, dropoff_at, vehicle}} from the newest version of each ride's day plan (two queries)."""
    rides = list(rides)
    if not rides:
        return {}
    keys = {(r.provider_id, r.day) for r in rides}
    cond = Q()
    for provider_id, day in keys:
        cond |= Q(provider_id=provider_id, day=day)
    current = {(pid, day): number for pid, day, number in
               DayPlan.objects.filter(cond, version__gt=0).values_list("provider_id", "day", "version")}
    if not current:
        return {}
    version_cond = Q()
    for (pid, day), number in current.items():
        version_cond |= Q(version__day_plan__provider_id=pid, version__day_plan__day=day, version__number=number)
    out: dict = {}
    for stop in (PlannedStop.objects.filter(version_cond, request__in=[r.pk for r in rides])
                 .select_related("shift__vehicle")):
        eta = out.setdefault(stop.request_id, {"pickup_at": None, "dropoff_at": None, "vehicle": ""})
        eta["pickup_at" if stop.kind == PlannedStop.Kind.PICKUP else "dropoff_at"] = stop.planned_at
        eta["vehicle"] = stop.shift.vehicle.plate
    return out


def ride_eta(*, ride: RideRequest) -> dict | None:
    """When the ride is planned to be picked up and dropped off in the current plan, by which vehicle."""
    eta = _etas([ride]).get(ride.pk)
    if eta is None:
        return None
    return {**eta, "status": ride.status}


def passenger_rides(*, user) -> list:
    """Rides of the persons the user may book for (themselves, those they represent), newest first; each with
    `eta` (ride_eta's dict or None)."""
    ids = access.passenger_person_ids(user)
    rides = list(RideRequest.objects.filter(person_id__in=ids).select_related("person", "provider")
                 .order_by("-day", "-pk")) if ids else []
    etas = _etas(rides)
    for ride in rides:
        eta = etas.get(ride.pk)
        ride.eta = {**eta, "status": ride.status} if eta else None
    return rides


def known_places(*, persons, limit: int = 10) -> list[dict]:
    """The places these persons rode from or to before, newest first, each once (address and point): a passenger
    picks "home" or "the dialysis centre" from a list instead of typing coordinates again."""
    places, seen = [], set()
    rows = (RideRequest.objects.filter(person__in=list(persons)).order_by("-created_at", "-pk")
            .values_list("pickup_address", "pickup_latitude", "pickup_longitude",
                         "dropoff_address", "dropoff_latitude", "dropoff_longitude")[:limit * 4])
    for row in rows:
        for address, latitude, longitude in (row[:3], row[3:]):
            key = (address.strip().casefold(), latitude, longitude)
            if key not in seen:
                seen.add(key)
                places.append({"address": address, "latitude": latitude, "longitude": longitude})
    return places[:limit]


def driver_shifts(*, user, since: dt.date, limit: int = 14) -> list[Shift]:
    """The shifts a driver has from `since` on, not cancelled, in time order (their start page)."""
    return list(Shift.objects.filter(driver__user=user, cancelled_at__isnull=True, day__gte=since)
                .select_related("vehicle", "provider").order_by("starts_at")[:limit])


def invataxi_providers(*, persons=()) -> list:
    """Providers with an InvaTaxi contract in force from today, in the regions of these persons (any region when
    none is known)."""
    from django.utils import timezone

    from qamqor.organizations.models import Organization
    from qamqor.social_services.models import Contract

    contracts = Contract.objects.filter(service_type__code="invataxi", status=Contract.Status.ACTIVE,
                                        current_ends_on__gte=timezone.localdate())
    regions = {p.region_id for p in persons if p.region_id}
    if regions:
        contracts = contracts.filter(region_id__in=regions)
    return list(Organization.objects.filter(pk__in=contracts.values("provider")).order_by("name"))
