"""The bridge between the transport app's rows and the dispatch engine (`transport/dispatch/`, Django-free).

Times: the engine sees minutes since the day's local midnight (settings.TIME_ZONE, Asia/Almaty, which has no
daylight-saving change); a shift that runs past midnight simply has minutes above 1440. Places: (latitude,
longitude) in degrees; travel comes from the provider named by the setting TRANSPORT_TRAVEL ("haversine", the
default: great circle × detour at city speeds by hour). A road-network provider (OSRM) plugs in here once the engine
has one; the engine itself never sees a database row.

A request's id in the engine is the RideRequest's pk, a vehicle's id is the Shift's pk (a vehicle with its driver for
part of the day). Routes travel as {shift_id: [(ride_id, "pickup" | "dropoff"), ...]}.

A shift with a break is two engine vehicles, (shift_id, 0) before the break and (shift_id, 1) after it, both
starting and ending at the depot: the driver takes the break at the depot with no passenger on board, and no stop is
planned during it. Only this module knows; everything outside sees one route per shift, the two parts in order.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from qamqor.core.errors import ServiceError

from . import dispatch
from .dispatch.search import REASONS as ENGINE_SENTENCES
from .dispatch.travel import HaversineProvider, OsrmError, OsrmProvider

# A ride booked for a pick-up time is picked up from 10 minutes before to 20 minutes after it; a ride booked to
# arrive by a time is dropped off in the 30 minutes before it.
PICKUP_EARLY, PICKUP_LATE, ARRIVE_EARLY = 10, 20, 30
# Minutes at a stop: getting in or out, with a wheelchair on the ramp or lift.
SERVICE, SERVICE_WHEELCHAIR = 2, 6
# Shortest booked interval for a ride (the social-services booking of the ride).
MIN_RIDE = 10

# Why a ride is not on any vehicle: the engine's sentence (English, stable) → a code kept on the ride → the
# dispatcher's sentence in their language.
# The "_chosen" variants (a ride pinned or assigned to some vehicles) read the same to the dispatcher.
ENGINE_REASONS = {sentence: code.removesuffix("_chosen") for code, sentence in ENGINE_SENTENCES.items()}
REASONS = {
    "no_shift": _("No vehicle is on shift that day. Add shifts, then plan again."),
    "capacity": _("No vehicle on shift has enough seats and wheelchair places for this ride."),
    "ride_time": _("The longest allowed ride is shorter than the direct trip."),
    "window": _("The requested time cannot be met even by driving straight from the pick-up."),
    "busy": _("Every vehicle that could take this ride is busy at that time."),
    "shift": _("No shift covers the time of this ride."),
    "held": _("Held back by a dispatcher."),
    "given_up": _("Taken off its vehicle to keep a dispatcher's assignment on that route."),
    "shift_cancelled": _("Its shift was cancelled."),
    "not_planned": _("Not planned yet."),
    "unknown": _("The planner could not fit this ride."),
}


def reason_code(engine_reason: str) -> str:
    return ENGINE_REASONS.get(engine_reason, "unknown")


def reason_text(code: str) -> str:
    """The dispatcher's sentence for a reason code (in the active language)."""
    return str(REASONS.get(code or "not_planned", REASONS["unknown"]))


def travel_provider():
    """The travel provider named by settings.TRANSPORT_TRAVEL."""
    name = getattr(settings, "TRANSPORT_TRAVEL", "haversine") or "haversine"
    if name == "haversine":
        return HaversineProvider()
    if name.startswith(("http://", "https://")):
        return OsrmProvider(base_url=name)
    raise ImproperlyConfigured(f"TRANSPORT_TRAVEL must be 'haversine' or the address of an OSRM server "
                               f"(http://host:5000), not {name!r}.")


class _TravelCache:
    """The travel between every place this process has planned with, grown by rows and columns.

    A same-day insertion plans the whole running day again (a city day has some 3,000 places: 0.5 s for the whole
    matrix by the built-in estimate, seconds from OSRM); with the cache only a new place's row and column are asked
    for, and the day's matrix is cut out of the cached one. Kept per process and per travel setting; bounded, and
    started afresh when full."""

    LIMIT = 12_000  # places: 12,000² float64 times and costs are 2.3 GB, the most one web process may hold

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: dict = {}

    def matrices(self, provider, key, points, depart):
        with self.lock:
            entry = self.entries.get(key)
            wanted = list(dict.fromkeys(points))
            if entry is None or len(entry["places"]) + len(wanted) > self.LIMIT:
                entry = {"places": [], "index": {}, "times": np.zeros((0, 0)), "costs": np.zeros((0, 0))}
                self.entries[key] = entry
            new = [p for p in wanted if p not in entry["index"]]
            if new:
                old, n, m = entry["places"], len(entry["places"]), len(new)
                times = np.empty((n + m, n + m))
                costs = np.empty((n + m, n + m))
                times[:n, :n], costs[:n, :n] = entry["times"], entry["costs"]
                t_out, c_out = provider.between(new, old + new, depart)  # new rows, every column
                times[n:, :], costs[n:, :] = t_out, c_out
                if n:
                    t_in, c_in = provider.between(old, new, depart)  # old rows, new columns
                    times[:n, n:], costs[:n, n:] = t_in, c_in
                for i, place in enumerate(new):
                    entry["index"][place] = n + i
                entry["places"] = old + new
                entry["times"], entry["costs"] = times, costs
            rows = np.array([entry["index"][p] for p in points], dtype=np.int64)
            cut = np.ix_(rows, rows)
            return np.ascontiguousarray(entry["times"][cut]), np.ascontiguousarray(entry["costs"][cut])

    def clear(self):
        with self.lock:
            self.entries.clear()


TRAVEL_CACHE = _TravelCache()


def matrices(points, depart=None):
    """(times, costs) between the points; a pair the road map cannot route is a refusal naming what to check."""
    provider = travel_provider()
    key = (getattr(settings, "TRANSPORT_TRAVEL", "haversine") or "haversine", depart)
    try:
        return TRAVEL_CACHE.matrices(provider, key, [_point(*p) for p in points], depart)
    except OsrmError:
        raise ServiceError(gettext("The road map finds no route between some of these places. Check the address "
                                   "points on the map."), field="pickup_latitude", code="no_route") from None


def midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def minutes(day: dt.date, moment: dt.datetime) -> float:
    """Minutes since the day's local midnight."""
    return (moment - midnight(day)).total_seconds() / 60.0


def moment(day: dt.date, minute: float) -> dt.datetime:
    """The aware moment `minute` minutes after the day's local midnight, to the second."""
    return midnight(day) + dt.timedelta(seconds=round(minute * 60))


def now_minute(day: dt.date, now: dt.datetime | None = None) -> float | None:
    """Minutes since the day's midnight when the day is running (today), else None (a future day)."""
    now = now or timezone.now()
    if timezone.localdate(now) != day:
        return None
    return minutes(day, now)


def direct_minutes(pickup: tuple[float, float], dropoff: tuple[float, float], depart: float | None = None) -> float:
    """Travel time of the direct trip, as the engine would see it."""
    times, _costs = matrices([pickup, dropoff], depart)
    return float(times[0, 1])


def _point(lat, lon) -> tuple[float, float]:
    return (float(lat), float(lon))


@dataclass
class DayData:
    """The rows of one provider's day that a problem is built from: shifts (with vehicle and depot) and rides."""

    day: dt.date
    shifts: dict  # shift_id -> Shift
    rides: dict  # ride_id -> RideRequest
    now: float | None = None
    _points: dict = field(default_factory=dict)

    def fixed(self, ride_ids) -> list:
        """Stops that happened: a picked-up ride's pick-up, a delivered ride's pick-up and drop-off."""
        out = []
        for rid in ride_ids:
            ride = self.rides[rid]
            if ride.picked_up_at is not None:
                out.append(dispatch.Fixed(rid, "pickup", minutes(self.day, ride.picked_up_at)))
            if ride.dropped_off_at is not None:
                out.append(dispatch.Fixed(rid, "dropoff", minutes(self.day, ride.dropped_off_at)))
        return out

    def problem(self, ride_ids, shift_ids) -> dispatch.Problem:
        """The engine's problem over these rides and shifts, with travel matrices over just their places."""
        points, index = [], {}

        def loc(lat, lon):
            key = _point(lat, lon)
            if key not in index:
                index[key] = len(points)
                points.append(key)
            return index[key]

        vehicles = []
        for sid in shift_ids:
            s = self.shifts[sid]
            depot = loc(s.vehicle.depot.latitude, s.vehicle.depot.longitude)
            for part, window in self.parts(sid):
                vehicles.append(dispatch.Vehicle(id=part, start=depot, end=depot, shift=window, seats=s.vehicle.seats,
                                                 wheelchairs=s.vehicle.wheelchair_places))
        stops = []
        for rid in ride_ids:
            r = self.rides[rid]
            service = SERVICE_WHEELCHAIR if r.wheelchair else SERVICE
            pick_w = drop_w = (0.0, dispatch.model.NO_LIMIT)
            if r.pickup_at is not None:
                t = minutes(self.day, r.pickup_at)
                pick_w = (max(0.0, t - PICKUP_EARLY), t + PICKUP_LATE)
            else:
                t = minutes(self.day, r.arrive_by)
                drop_w = (max(0.0, t - ARRIVE_EARLY), t)
            stops.append((r, dispatch.Stop(loc(r.pickup_latitude, r.pickup_longitude), pick_w, service),
                          dispatch.Stop(loc(r.dropoff_latitude, r.dropoff_longitude), drop_w, service)))
        times, costs = matrices(points) if points else (np.zeros((0, 0)), np.zeros((0, 0)))
        # What plan() needs to reconcile the times that happened with the travel model (see _reconciled).
        self._model = {"times": times, "stops": {}, "starts": {}}
        for r, pickup, dropoff in stops:
            self._model["stops"][(r.pk, "pickup")] = (pickup.location, pickup.service)
            self._model["stops"][(r.pk, "dropoff")] = (dropoff.location, dropoff.service)
        for vehicle in vehicles:
            self._model["starts"][vehicle.id] = (vehicle.start, vehicle.shift[0])
        rule = dispatch.RideRule()
        requests = []
        for r, pickup, dropoff in stops:
            max_ride = None
            if r.picked_up_at is not None:
                # What happened cannot be undone: a passenger on board longer than the rule allows (a late mark, a
                # traffic jam) still has a drop-off to plan.
                direct = float(times[pickup.location, dropoff.location])
                until = r.dropped_off_at or (moment(self.day, self.now) if self.now is not None else r.picked_up_at)
                spent = max(0.0, (until - r.picked_up_at).total_seconds() / 60)
                max_ride = max(rule.limit(direct), spent + direct + pickup.service + 1.0)
            requests.append(dispatch.Request(id=r.pk, pickup=pickup, dropoff=dropoff, seats=r.seats,
                                             wheelchairs=1 if r.wheelchair else 0, max_ride=max_ride))
        return dispatch.Problem(requests=requests, vehicles=vehicles, times=times, costs=costs,
                                name=f"{self.day.isoformat()}")

    def parts(self, sid) -> list[tuple]:
        """[(engine vehicle id, (from, to) in minutes)] of a shift: itself, or the parts before and after its break."""
        s = self.shifts[sid]
        start, end = minutes(self.day, s.starts_at), minutes(self.day, s.ends_at)
        if s.break_starts_at is None or not s.break_minutes:
            return [(sid, (start, end))]
        rest = minutes(self.day, s.break_starts_at)
        back = rest + s.break_minutes
        if not start < rest < back < end:
            return [(sid, (start, end))]  # a break outside the shift (refused when the shift is made) is ignored
        return [((sid, 0), (start, rest)), ((sid, 1), (back, end))]

    def _ride_part(self, sid, rid, happened) -> object:
        """The part of a shift a ride of its route goes on: by when it happened, else by its booked time."""
        parts = self.parts(sid)
        if len(parts) == 1:
            return parts[0][0]
        ride = self.rides[rid]
        when = happened.get((rid, "pickup"))
        if when is None:
            when = minutes(self.day, ride.pickup_at or ride.arrive_by)
        return parts[0][0] if when < parts[0][1][1] else parts[1][0]

    def plan(self, routes: dict, ride_ids, *, pinned: dict | None = None) -> dispatch.Plan:
        """A warm start: the routes, each with its happened stops first (in the order they happened), then the rest."""
        fixed = self.fixed(ride_ids)
        happened = {(f.request, f.kind): f.start for f in fixed}
        ordered = {}
        for sid, stops in routes.items():
            done = sorted((s for s in stops if s in happened), key=lambda s: happened[s])
            for part, _window in self.parts(sid):
                ordered[part] = []
            for stop in done + [s for s in stops if s not in happened]:
                ordered[self._ride_part(sid, stop[0], happened)].append(stop)
        # The engine keeps a pinned request on the vehicle the warm start gives it: only those already there.
        on = {rid: shift_of(part) for part, stops in ordered.items() for rid, _kind in stops}
        kept = {rid for rid, sid in (pinned or {}).items() if on.get(rid) == sid}
        return dispatch.Plan(routes=ordered, fixed=self._reconciled(ordered, fixed), now=self.now, pinned=kept)

    def _reconciled(self, ordered: dict, fixed: list) -> list:
        """The happened stops with times the travel model can reach. A driver who is faster than the model (two
        stops marked 6 minutes apart where the model says 9) would otherwise make the whole day unplannable: such a
        stop is taken to have started when the model could have got there. Only the plan's arithmetic changes; the
        marks on the rides keep the real times."""
        model = getattr(self, "_model", None)
        if model is None:
            return fixed
        at = {(f.request, f.kind): f.start for f in fixed}
        times, where = model["times"], model["stops"]
        for part, stops in ordered.items():
            if part not in model["starts"]:
                continue
            loc, clock = model["starts"][part]
            service = 0.0
            for stop in stops:
                if stop not in at or stop not in where:
                    break  # happened stops come first in a route
                place, stop_service = where[stop]
                earliest = clock + service + float(times[loc, place])
                at[stop] = max(at[stop], earliest)
                loc, clock, service = place, at[stop], stop_service
        return [dispatch.Fixed(f.request, f.kind, at[(f.request, f.kind)]) for f in fixed]


def shift_of(vehicle_id):
    """The shift of an engine vehicle (a shift, or one part of a shift with a break)."""
    return vehicle_id[0] if isinstance(vehicle_id, tuple) else vehicle_id


def solution_routes(solution) -> tuple[dict, dict]:
    """({shift_id: [(ride_id, kind, start minute), ...]}, {ride_id: reason code}) of an engine solution."""
    data = solution.data
    routes = {}
    # Parts of a shift come in order (before, then after the break), so their stops join in time order.
    for k, nodes in sorted(enumerate(solution.routes), key=lambda kv: str(data.problem.vehicles[kv[0]].id)):
        sid = shift_of(data.problem.vehicles[k].id)
        stops = routes.setdefault(sid, [])
        for node, start in zip(nodes[1:-1], solution.starts[k][1:-1]):
            rid, kind = data.describe(int(node))
            stops.append((rid, kind, float(start)))
    for stops in routes.values():
        stops.sort(key=lambda stop: stop[2])
    unserved = {rid: reason_code(reason) for rid, reason in solution.unserved.items()}
    return routes, unserved


def evaluate(data: DayData, routes: dict, *, extra=()) -> tuple[dict, dict]:
    """Schedule the given routes (and put the `extra` rides in where they fit, cheapest first) without reordering
    them: the exact times of every stop, and the rides left out with their reason. A ride of a route that cannot be
    scheduled comes back among the left-out ones, so the caller can tell."""
    shift_ids = list(routes)
    ride_ids = sorted({rid for stops in routes.values() for rid, _kind in stops} | set(extra))
    problem = data.problem(ride_ids, shift_ids)
    solution = dispatch.insert_request(problem, data.plan(routes, ride_ids))
    return solution_routes(solution)
