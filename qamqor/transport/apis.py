"""InvaTaxi over HTTP, /api/v1/transport/: a day's ride requests and the dispatcher's board, ride requests (by the
passenger, a representative or a dispatcher taking a call), cancellation, planning a day as a background run and
polling it, manual assign / unassign / release, a driver's manifest and the marks from the road, and a passenger's
rides with their expected times.

The same people, scope and rules as the pages: who may see what is decided in access.py, every write goes through
transport.services (which checks permission and writes the audit row). A ride or shift you may not see answers 404.
Every answer that names a passenger writes an access-log row (channel "api"), except the passenger's own. A refusal
answers in the one error shape: 403 for a permission, 409 for a conflict with the ride's or the day's state, 422 for
the rest (such as a ride that does not fit the chosen vehicle, code "infeasible")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from qamqor.api.auth import AUTH
from qamqor.api.errors import responses
from qamqor.api.schemas import BodyIn, Input
from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.services import access_record_many
from qamqor.organizations.models import Organization
from qamqor.registry.models import Person
from qamqor.social_services.apis import IsoDate, Moment
from qamqor.social_services.models import Purpose

from . import access, planning, selectors, services
from .models import PlannedStop, ReplanRun, RideRequest, Shift

router = Router(tags=["transport"])

CHANNEL = "api"
MAX_ID = 2**62
RecordId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


# Answers.

class RideEtaOut(Schema):
    pickup_at: dt.datetime | None = Field(..., description="Planned pick-up in the current plan.")
    dropoff_at: dt.datetime | None
    vehicle: str = Field(..., description="The plate number of the vehicle planned to come.")


class RideOut(Schema):
    id: int
    person_id: int
    passenger: str
    provider_id: int
    day: dt.date
    pickup_address: str
    pickup_latitude: float
    pickup_longitude: float
    dropoff_address: str
    dropoff_latitude: float
    dropoff_longitude: float
    pickup_at: dt.datetime | None = Field(..., description="Requested pick-up time (or null: see arrive_by).")
    arrive_by: dt.datetime | None = Field(..., description="Appointment time to arrive by (or null).")
    wheelchair: bool
    escorts: int
    guide_dog: bool
    needs_note: str
    status: Literal[tuple(RideRequest.Status.values)]
    status_label: str
    unserved_reason: str = Field(..., description="Why it is on no vehicle, in the request's language; empty when "
                                                  "it is planned.")
    held: bool = Field(..., description="Held back by a dispatcher: no plan puts it on a vehicle until released.")
    pinned_shift_id: int | None = Field(..., description="Kept on this shift by a dispatcher on every re-plan.")
    return_of: int | None = Field(..., description="For a return trip: the outbound ride.")
    series: str = Field(..., description="Shared by the rides of one repeated booking; empty for a single ride.")
    booking_id: int | None
    delivery_note: str = Field(..., description="Why the social-services delivery or no-show of a mark could not be "
                                                "recorded; empty when it was.")
    eta: RideEtaOut | None = None

    @staticmethod
    def resolve_passenger(obj):
        return obj.person.full_name

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_unserved_reason(obj):
        if obj.status not in RideRequest.OPEN or obj.status == RideRequest.Status.PLANNED:
            return ""
        return planning.reason_text("held" if obj.held else (obj.unserved_reason or "not_planned"))

    @staticmethod
    def resolve_return_of(obj):
        return obj.outbound_id

    @staticmethod
    def resolve_eta(obj):
        return getattr(obj, "eta", None)


class ShiftOut(Schema):
    id: int
    vehicle_id: int
    plate: str
    seats: int
    wheelchair_places: int
    driver_id: int
    driver: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    break_starts_at: dt.datetime | None
    break_minutes: int
    cancelled: bool

    @staticmethod
    def resolve_plate(obj):
        return obj.vehicle.plate

    @staticmethod
    def resolve_seats(obj):
        return obj.vehicle.seats

    @staticmethod
    def resolve_wheelchair_places(obj):
        return obj.vehicle.wheelchair_places

    @staticmethod
    def resolve_driver(obj):
        return obj.driver.user.full_name

    @staticmethod
    def resolve_cancelled(obj):
        return obj.cancelled_at is not None


class StopOut(Schema):
    ride_id: int
    kind: Literal[tuple(PlannedStop.Kind.values)]
    sequence: int
    planned_at: dt.datetime
    fixed: bool = Field(..., description="Happened (picked up or dropped off) when this version was made.")
    address: str
    latitude: float
    longitude: float


class BoardShiftOut(Schema):
    shift: ShiftOut
    stops: list[StopOut]


class VersionOut(Schema):
    number: int
    kind: str
    based_on: int | None
    served: int
    unserved: int
    cost_minutes: float
    note: str
    created_at: dt.datetime


class PlanRunOut(Schema):
    id: int
    day: dt.date
    provider_id: int
    status: Literal[tuple(ReplanRun.Status.values)]
    progress: int = Field(..., description="Percent, for the progress bar.")
    based_on: int
    time_limit: int
    result_version: int | None
    message: str
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_day(obj):
        return obj.day_plan.day

    @staticmethod
    def resolve_provider_id(obj):
        return obj.day_plan.provider_id


class UnassignedOut(Schema):
    ride: RideOut
    reason: str


class BoardStatsOut(Schema):
    served: int
    unserved: int
    vehicle_hours: float
    cost_minutes: float


class BoardOut(Schema):
    provider_id: int
    day: dt.date
    version: VersionOut | None
    requests: list[RideOut]
    unassigned: list[UnassignedOut]
    shifts: list[BoardShiftOut]
    run: PlanRunOut | None
    stats: BoardStatsOut


class ManifestStopOut(StopOut):
    passenger: str
    phone: str
    wheelchair: bool
    escorts: int
    guide_dog: bool
    needs_note: str
    status: Literal[tuple(RideRequest.Status.values)]
    status_label: str


class ManifestOut(Schema):
    shift: ShiftOut
    stops: list[ManifestStopOut]


# Requests.

class TransportBodyIn(BodyIn):
    """A request body: a JSON object with no fields beyond those documented."""

    model_config = {"extra": "forbid"}


class RideIn(TransportBodyIn):
    person_id: RecordId = Field(..., description="Yourself, a person you represent, or (for a dispatcher) a person "
                                                 "of a region the provider serves.")
    provider_id: RecordId
    pickup_address: str = Field(..., min_length=1, max_length=300)
    pickup_latitude: Latitude
    pickup_longitude: Longitude
    dropoff_address: str = Field(..., min_length=1, max_length=300)
    dropoff_latitude: Latitude
    dropoff_longitude: Longitude
    pickup_at: Moment | None = Field(None, description="When to be picked up; or give arrive_by instead.")
    arrive_by: Moment | None = Field(None, description="An appointment to arrive by; or give pickup_at instead.")
    wheelchair: StrictBool = False
    escorts: Annotated[StrictInt, Field(ge=0, le=3)] = 0
    guide_dog: StrictBool = False
    needs_note: str = Field("", max_length=300, description="What the driver should know.")
    return_pickup_at: Moment | None = Field(None, description="A return trip picked up later the same day.")
    repeat_weekdays: list[Annotated[StrictInt, Field(ge=0, le=6)]] = Field(
        [], max_length=7, description="Repeat on these weekdays (0 Monday … 6 Sunday) until repeat_until: every "
                                      "ride is booked, or none (the refusal names the first date that cannot be).")
    repeat_until: IsoDate | None = None
    purpose: Literal[tuple(Purpose.values)] = Purpose.OTHER


class RideCancelIn(TransportBodyIn):
    reason: str = Field("", max_length=300)


class AssignIn(TransportBodyIn):
    shift_id: RecordId


class MarkIn(TransportBodyIn):
    event: Literal["picked_up", "dropped_off", "no_show"]
    at: Moment | None = Field(None, description="When it happened; now when empty.")
    code: str = Field("", max_length=12, description="At drop-off: the passenger's one-time code; without it the "
                                                     "passenger signs the manifest.")


class PlanIn(TransportBodyIn):
    provider_id: RecordId | None = Field(None, description="Needed when you dispatch for several providers.")
    day: IsoDate
    time_limit: Annotated[StrictInt, Field(ge=1, le=600)] = 30


class DayFilter(Input):
    provider_id: int | None = Field(None, ge=1, le=MAX_ID, description="Needed when you dispatch for several "
                                                                        "providers.")
    day: IsoDate | None = Field(None, description="Today when empty.")


# Helpers.

def _log(request, persons, purpose):
    """One access-log row per passenger named, except the caller's own record."""
    user = request.auth
    others = {p.pk: p for p in persons if p.user_id != user.pk}
    access_record_many(actor=user, subjects=list(others.values()), purpose=purpose, channel=CHANNEL,
                       path=request.get_full_path())


def _provider(user, provider_id):
    """The provider whose day is asked: the one named (which the user must dispatch), or the only one they do."""
    if provider_id is None:
        ids = access.dispatch_provider_ids(user)
        if len(ids) != 1:
            if not ids and not access.is_platform_admin(user):
                raise PermissionDenied(_("Only the provider's dispatchers do this."))
            raise ServiceError(_("Choose the provider: you dispatch for several."), field="provider_id")
        provider_id = next(iter(ids))
    provider = Organization.objects.filter(pk=provider_id).first()
    if provider is None or not access.can_dispatch(user, provider):
        raise PermissionDenied(_("Only the provider's dispatchers do this."))
    return provider


def _rides(user):
    return access.visible_rides(user).select_related("person")


def _ride(request, pk):
    ride = _rides(request.auth).filter(pk=pk).first()
    if ride is None:
        raise Http404(_("No ride with this number is visible to you."))
    return ride


def _ride_for_driver(request, pk):
    """A ride the caller may see or mark (the driver of its shift marks it without seeing it elsewhere)."""
    ride = RideRequest.objects.select_related("person", "booking").filter(pk=pk).first()
    if ride is None or not (access.can_view_ride(request.auth, ride) or access.can_mark(request.auth, ride)):
        raise Http404(_("No ride with this number is visible to you."))
    return ride


def _with_eta(rides):
    rides = list(rides)
    etas = selectors._etas(rides)
    for ride in rides:
        ride.eta = etas.get(ride.pk)
    return rides


def _version_out(version):
    return version


def _stop_out(item):
    stop = item["stop"]
    return {"ride_id": stop.request_id, "kind": stop.kind, "sequence": stop.sequence, "planned_at": stop.planned_at,
            "fixed": stop.fixed, "address": item["address"], "latitude": float(item["latitude"]),
            "longitude": float(item["longitude"])}


# Endpoints.

@router.get("/requests", response={200: list[RideOut], **responses(401, 403, 422)}, auth=AUTH,
            summary="A day's ride requests")
def day_requests(request, filters: Query[DayFilter]):
    """Every ride request of a provider's day (all statuses), for its dispatchers. Each passenger named is written
    to the access log."""
    provider = _provider(request.auth, filters.provider_id)
    day = filters.day or timezone.localdate()
    rides = _with_eta(RideRequest.objects.filter(provider=provider, day=day).select_related("person")
                      .order_by("pickup_at", "arrive_by", "pk"))
    _log(request, [r.person for r in rides], "transport day requests")
    return rides


@router.post("/rides", response={201: list[RideOut], **responses(400, 401, 403, 409, 422)}, auth=AUTH,
             summary="Request a ride")
def create_ride(request, payload: RideIn):
    """For yourself, a person you represent, or (a dispatcher taking a call) a person of a region your provider
    serves. Each ride is an InvaTaxi booking: refused with the reason (422) when the person is not eligible, over
    the quota or beyond the contracted volume. With `return_pickup_at` a return trip, with `repeat_weekdays` and
    `repeat_until` a repeated series (all or nothing). The first ride of the answer is the first outbound ride; rides
    of a day already planned are inserted into its plan at once (see `status`)."""
    user = request.auth
    person = Person.objects.select_related("region").filter(pk=payload.person_id).first()
    provider = Organization.objects.filter(pk=payload.provider_id).first()
    if person is None or not access.can_request_ride(user, person, provider):
        raise ServiceError(_("You may not request a ride for a person with this id. Request one for yourself or for a "
                             "person you represent."), field="person_id")
    if provider is None:
        raise ServiceError(_("Choose the InvaTaxi provider."), field="provider_id")
    rides = services.ride_request_create(
        actor=user, person=person, provider=provider, pickup_address=payload.pickup_address,
        pickup_latitude=payload.pickup_latitude, pickup_longitude=payload.pickup_longitude,
        dropoff_address=payload.dropoff_address, dropoff_latitude=payload.dropoff_latitude,
        dropoff_longitude=payload.dropoff_longitude, pickup_at=payload.pickup_at, arrive_by=payload.arrive_by,
        wheelchair=payload.wheelchair, escorts=payload.escorts, guide_dog=payload.guide_dog,
        needs_note=payload.needs_note, source=RideRequest.Source.API, return_pickup_at=payload.return_pickup_at,
        repeat_weekdays=payload.repeat_weekdays, repeat_until=payload.repeat_until, purpose=payload.purpose)
    shown = _with_eta(RideRequest.objects.filter(pk__in=[r.pk for r in rides]).select_related("person")
                      .order_by("day", "pk"))
    _log(request, [shown[0].person], "request a ride")
    return Status(201, shown)


@router.get("/rides/mine", response={200: list[RideOut], **responses(401)}, auth=AUTH, summary="My rides")
def my_rides(request):
    """Your rides and those of the persons you represent, newest first, each with the planned pick-up and drop-off
    times and the vehicle (`eta`) once it is planned."""
    rides = selectors.passenger_rides(user=request.auth)
    _log(request, [r.person for r in rides], "my rides")
    return rides


@router.get("/rides/{ride_id}", response={200: RideOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="Get a ride")
def get_ride(request, ride_id: int = Path(..., ge=1, le=MAX_ID)):
    """A ride you may see (yours, a person's you represent, your provider's), with its expected times."""
    ride = _with_eta([_ride(request, ride_id)])[0]
    _log(request, [ride.person], "view a ride")
    return ride


@router.post("/rides/{ride_id}/cancel", response={200: RideOut, **responses(400, 401, 403, 404, 409, 422)},
             auth=AUTH, summary="Cancel a ride")
def cancel_ride(request, payload: RideCancelIn, ride_id: int = Path(..., ge=1, le=MAX_ID)):
    """Before it starts, by the passenger's side or the provider; its booking is cancelled (late when later than the
    service's notice) and it leaves the plan. A ride already started or cancelled is a 409."""
    ride = _ride(request, ride_id)
    services.ride_cancel(actor=request.auth, ride=ride, reason=payload.reason)
    return get_ride(request, ride_id)


@router.get("/board", response={200: BoardOut, **responses(401, 403, 422)}, auth=AUTH,
            summary="The dispatcher's board of a day")
def board(request, filters: Query[DayFilter]):
    """The day's requests, the unassigned ones with their reasons, each shift's route with planned times, the latest
    planning run and the totals. Every passenger named is written to the access log."""
    provider = _provider(request.auth, filters.provider_id)
    day = filters.day or timezone.localdate()
    data = selectors.day_board(provider=provider, day=day)
    _log(request, [r.person for r in data["requests"]], "transport board")
    return {"provider_id": provider.pk, "day": day, "version": data["version"], "requests": data["requests"],
            "unassigned": [{"ride": ride, "reason": reason} for ride, reason in data["unassigned"]],
            "shifts": [{"shift": e["shift"], "stops": [_stop_out(s) for s in e["stops"]]} for e in data["shifts"]],
            "run": data["run"], "stats": data["stats"]}


@router.get("/shifts", response={200: list[ShiftOut], **responses(401, 403, 422)}, auth=AUTH,
            summary="A day's shifts")
def day_shifts(request, filters: Query[DayFilter]):
    """The provider's shifts of a day with vehicle and driver (cancelled ones last), for its dispatchers."""
    provider = _provider(request.auth, filters.provider_id)
    return list(selectors.day_shifts(provider=provider, day=filters.day or timezone.localdate()))


@router.post("/plans", response={202: PlanRunOut, **responses(400, 401, 403, 409, 422)}, auth=AUTH,
             summary="Plan a day")
def start_plan(request, payload: PlanIn):
    """Plan (or re-plan) a provider's day in the background for `time_limit` seconds: poll GET /runs/{id} for its
    progress. Picked-up and dropped-off stops stay fixed; rides a dispatcher assigned stay on their vehicle; manual
    changes made while it runs are kept. A day already being planned is a 409."""
    provider = _provider(request.auth, payload.provider_id)
    run = services.plan_start(actor=request.auth, provider=provider, day=payload.day, time_limit=payload.time_limit)
    return Status(202, ReplanRun.objects.select_related("day_plan").get(pk=run.pk))


@router.get("/runs/{run_id}", response={200: PlanRunOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="Poll a planning run")
def get_run(request, run_id: int = Path(..., ge=1, le=MAX_ID)):
    """Its status and progress (percent); when done, `result_version` is the day's version it wrote."""
    run = ReplanRun.objects.select_related("day_plan").filter(pk=run_id).first()
    if run is None or not access.can_dispatch(request.auth, run.day_plan.provider_id):
        raise Http404(_("No planning run with this number is visible to you."))
    return run


def _dispatch_ride(request, ride_id):
    ride = _ride(request, ride_id)
    if not access.can_dispatch(request.auth, ride.provider_id):
        raise PermissionDenied(_("Only the provider's dispatchers do this."))
    return ride


@router.post("/rides/{ride_id}/assign", response={200: VersionOut, **responses(400, 401, 403, 404, 409, 422)},
             auth=AUTH, summary="Assign a ride to a shift")
def assign_ride(request, payload: AssignIn, ride_id: int = Path(..., ge=1, le=MAX_ID)):
    """Put the ride on a shift by hand: refused (422, code "infeasible") with the reason when it does not fit that
    shift's route. It stays on that shift on every re-plan. Answers the day's new version."""
    ride = _dispatch_ride(request, ride_id)
    shift = Shift.objects.select_related("vehicle").filter(pk=payload.shift_id, provider_id=ride.provider_id).first()
    if shift is None:
        raise ServiceError(_("Choose a shift of the same provider on the ride's day."), field="shift_id")
    return services.plan_assign(actor=request.auth, ride=ride, shift=shift)


@router.post("/rides/{ride_id}/unassign", response={200: VersionOut | None, **responses(401, 403, 404, 409, 422)},
             auth=AUTH, summary="Take a ride off its vehicle")
def unassign_ride(request, ride_id: int = Path(..., ge=1, le=MAX_ID)):
    """Take the ride off its vehicle and hold it back: no plan puts it on a vehicle until released. Answers the
    day's newest version (null when the day has none)."""
    return services.plan_unassign(actor=request.auth, ride=_dispatch_ride(request, ride_id))


@router.post("/rides/{ride_id}/release", response={200: VersionOut | None, **responses(401, 403, 404, 409, 422)},
             auth=AUTH, summary="Release a held or pinned ride")
def release_ride(request, ride_id: int = Path(..., ge=1, le=MAX_ID)):
    """Plans may place the ride freely again; a held ride of a planned day is inserted where it fits."""
    return services.plan_release(actor=request.auth, ride=_dispatch_ride(request, ride_id))


@router.get("/shifts/{shift_id}/manifest", response={200: ManifestOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="A driver's manifest")
def get_manifest(request, shift_id: int = Path(..., ge=1, le=MAX_ID)):
    """The shift's stops in order with each passenger's name, phone and needs, for its driver and the provider's
    dispatchers. Every passenger named is written to the access log."""
    shift = Shift.objects.select_related("vehicle", "driver__user").filter(pk=shift_id).first()
    if shift is None or not access.can_view_manifest(request.auth, shift):
        raise Http404(_("No shift with this number is visible to you."))
    sheet = selectors.manifest(shift=shift)
    _log(request, list({s["ride"].person_id: s["ride"].person for s in sheet["stops"]}.values()), "driver manifest")
    return {"shift": shift,
            "stops": [{**_stop_out(s), "passenger": s["passenger"], "phone": s["phone"], "wheelchair": s["wheelchair"],
                       "escorts": s["escorts"], "guide_dog": s["guide_dog"], "needs_note": s["needs_note"],
                       "status": s["status"], "status_label": str(s["status_label"])} for s in sheet["stops"]]}


@router.post("/rides/{ride_id}/mark", response={200: RideOut, **responses(400, 401, 403, 404, 409, 422)},
             auth=AUTH, summary="Mark a stop")
def mark_ride(request, payload: MarkIn, ride_id: int = Path(..., ge=1, le=MAX_ID)):
    """By the driver of the ride's vehicle (or a dispatcher): picked up, dropped off (records the social-services
    delivery, confirmed by the passenger's `code` or their signature on the manifest) or did not come (after the
    pick-up time; marks the booking). Out of order is a 409."""
    ride = _ride_for_driver(request, ride_id)
    marked = services.ride_mark(actor=request.auth, ride=ride, event=payload.event, at=payload.at, code=payload.code)
    marked = RideRequest.objects.select_related("person").get(pk=marked.pk)
    _log(request, [marked.person], "mark a stop")
    return _with_eta([marked])[0]
