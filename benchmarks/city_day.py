"""Dial-a-ride at city scale: a generated Almaty day for InvaTaxi, the engine beside OR-Tools routing.

The day (seeded): 35,000 registered users with home points in residential clusters of Almaty's bounding box
(lat 43.18-43.35, lon 76.78-77.05), about 15% of them wheelchair users; a few hundred destinations (hospitals,
dialysis centres, rehabilitation centres, workplaces, shops) clustered towards the centre; 5 depots; 280 vehicles on
early, day, late and evening shifts, a third with wheelchair places; 5,000 requests from the users who ride that
day: outbound trips in the morning peak (a requested pick-up time, or an appointment to arrive by) and their return
trips (dialysis after 4 h, work in the evening peak, ...), plus one-way trips through the day. Travel: the built-in
HaversineProvider (great circle × 1.35 at the day's average speed) as float32 matrices; time windows as the
transport app sets them (pick-up 10 min early to 20 min late; arrival in the 30 min before the appointment),
service 2 min (6 with a wheelchair), ride limit max(2 × direct, direct + 30).

Measured:
- the engine: time to a first feasible plan (construction by regret insertion, one process; target <= 2 min), then
  the plan after 60 s and after a longer run (both cores, each run from scratch): iterations (per second), share
  served, vehicle hours, travel minutes and km, and the load average at the end; every plan is verified by the
  independent checker (`check.check_routes`);
- same-day insertion: `Session` on the running plan at 10:00 (the stops started before then fixed at their planned
  times), 200 new requests (new home points, rides later that day) inserted one after another: p50, p95 and the
  largest time of one insertion (kernel, and with the new place's travel row), target p95 <= 100 ms; beside plain
  `insert_request` calls, which compile the day each time: 20 of the placed requests taken out and put back as the
  web app does it (the problem holds the routed requests and the new one), and 5 with the day's unserved requests
  in the problem as well (each call tries them all again);
- OR-Tools routing on the same day (one core): pickup and delivery pairs, time windows, capacity dimensions for
  seats and wheelchair places, ride limits, shifts as vehicle start and end windows, route duration as a span
  limit, each request optional at a large penalty, local cheapest insertion (at 30 s on the tenth day it had
  served 31% where parallel cheapest insertion, used for the Cordeau benchmark, had served 2%) then guided local
  search, a time limit; its time to a first solution and the share served (checked by the same checker);
- both also on a tenth of the day (28 vehicles, 500 requests), small enough for OR-Tools to hold its matrices.
Peak memory: the largest resident set of this process and of its child processes.

`--quick`: a tenth of the day only, short limits (checks the benchmark itself). QAMQOR_CITY_LONG (s, default 300)
and QAMQOR_CITY_ORTOOLS (s, default 300; 0 leaves OR-Tools out) set the limits.
"""

from __future__ import annotations

import math
import os
import resource
import statistics
import time
from dataclasses import dataclass

import numpy as np

from qamqor.transport.dispatch import Fixed, Plan, Problem, Request, Session, Stop, Vehicle, insert_request, solve
from qamqor.transport.dispatch.check import check_routes
from qamqor.transport.dispatch.travel import HaversineProvider

LAT, LON = (43.18, 43.35), (76.78, 77.05)
CENTRE = (43.245, 76.925)
SEED = 2026
SERVICE, SERVICE_WHEELCHAIR = 2.0, 6.0
PICKUP_EARLY, PICKUP_LATE, ARRIVE_EARLY = 10.0, 20.0, 30.0
DAY_END = 23 * 60.0
# destination kinds: how many, how long people stay (minutes), share of trips
KINDS = {"hospital": (20, (60, 180), 0.25), "dialysis": (8, (240, 270), 0.12), "rehabilitation": (15, (90, 180), 0.18),
         "work": (150, (480, 540), 0.25), "shop": (100, (45, 120), 0.20)}
SHIFTS = [(6 * 60, 14 * 60), (7 * 60, 16 * 60), (8 * 60, 17 * 60), (11 * 60, 20 * 60), (14 * 60, 22 * 60)]


@dataclass
class Day:
    problem: Problem
    points: list
    users: np.ndarray  # (lat, lon) of every registered user's home
    destinations: np.ndarray
    first_destination: int  # location index of destination 0


def _clip(points):
    points[:, 0] = points[:, 0].clip(*LAT)
    points[:, 1] = points[:, 1].clip(*LON)
    return points


def generate(vehicles: int = 280, requests: int = 5000, users: int = 35_000, seed: int = SEED) -> Day:
    """A seeded InvaTaxi day in Almaty (see the module docstring)."""
    rng = np.random.default_rng(seed)
    centres = np.column_stack([rng.uniform(*LAT, 30), rng.uniform(*LON, 30)])
    homes = _clip(centres[rng.integers(0, 30, users)] + rng.normal(0, 0.012, (users, 2)))
    wheelchair_user = rng.random(users) < 0.15
    escort = rng.random(users) < 0.2
    dest, dest_kind = [], []
    for kind, (count, _, _) in KINDS.items():
        spread = 0.02 if kind in ("hospital", "dialysis") else 0.035
        dest.append(_clip(np.array(CENTRE) + rng.normal(0, spread, (count, 2))))
        dest_kind += [kind] * count
    dest = np.vstack(dest)
    depots = _clip(np.array(CENTRE) + rng.normal(0, 0.04, (5, 2)))
    # riders of the day: most make an outbound trip and its return, the rest one trip
    pairs = int(requests * 0.4)
    singles = requests - 2 * pairs
    riders = rng.choice(users, size=pairs + singles, replace=False)
    kinds = list(KINDS)
    weights = np.array([KINDS[k][2] for k in kinds])
    by_kind = {k: np.flatnonzero(np.array(dest_kind) == k) for k in kinds}
    trips = []  # (user, from, to, kind of window, time): from/to: ("home", u) or ("dest", j)
    for x, u in enumerate(riders):
        kind = kinds[rng.choice(len(kinds), p=weights / weights.sum())]
        j = int(rng.choice(by_kind[kind]))
        stay = rng.uniform(*KINDS[kind][1])
        if x < pairs:
            if kind == "work":
                arrive = rng.normal(8.75 * 60, 30)
            else:
                arrive = rng.normal(9.5 * 60, 60) if rng.random() < 0.7 else rng.uniform(11 * 60, 15 * 60)
            arrive = float(np.clip(arrive, 7 * 60, 17 * 60))
            if rng.random() < 0.5:  # an appointment to arrive by
                trips.append((u, ("home", u), ("dest", j), "arrive", arrive))
            else:  # a requested pick-up time
                trips.append((u, ("home", u), ("dest", j), "pickup", arrive - 25))
            back = float(min(arrive + stay + rng.uniform(0, 20), 21 * 60))
            trips.append((u, ("dest", j), ("home", u), "pickup", back))
        else:
            at = float(rng.uniform(8 * 60, 20 * 60))
            trip = (("home", u), ("dest", j)) if rng.random() < 0.5 else (("dest", j), ("home", u))
            trips.append((u, *trip, "pickup", at))
    # locations: depots, destinations, then the riders' homes
    used_homes = sorted({int(u) for u in riders})
    home_loc = {u: len(depots) + len(dest) + x for x, u in enumerate(used_homes)}
    points = [tuple(p) for p in depots] + [tuple(p) for p in dest] + [tuple(homes[u]) for u in used_homes]

    def loc(place):
        return home_loc[place[1]] if place[0] == "home" else len(depots) + place[1]

    times, km = HaversineProvider().matrices(points)
    times, km = times.astype(np.float32), km.astype(np.float32)
    reqs = []
    for i, (u, a, b, how, t) in enumerate(trips):
        service = SERVICE_WHEELCHAIR if wheelchair_user[u] else SERVICE
        if how == "arrive":
            pick_w, drop_w = (0.0, DAY_END), (t - ARRIVE_EARLY, t)
        else:
            pick_w, drop_w = (t - PICKUP_EARLY, t + PICKUP_LATE), (0.0, DAY_END)
        reqs.append(Request(id=i, pickup=Stop(loc(a), pick_w, service), dropoff=Stop(loc(b), drop_w, service),
                            seats=(0 if wheelchair_user[u] else 1) + int(escort[u]),
                            wheelchairs=int(wheelchair_user[u])))
    vans = []
    for k in range(vehicles):
        shift = SHIFTS[k % len(SHIFTS)]
        ramp = k % 3 == 0
        depot = k % len(depots)
        vans.append(Vehicle(id=k, start=depot, end=depot, shift=(float(shift[0]), float(shift[1])),
                            seats=3 if ramp else 4, wheelchairs=2 if ramp else 0,
                            max_duration=float(shift[1] - shift[0])))
    problem = Problem(requests=reqs, vehicles=vans, times=times, costs=km, name=f"almaty-{vehicles}x{requests}")
    return Day(problem=problem, points=points, users=homes, destinations=dest, first_destination=len(depots))


def _figures(problem: Problem, sol) -> dict:
    stops = sol.stops()
    errors, km = check_routes(problem, stops, sol.unserved)
    hours = minutes = 0.0
    for vid, route in stops.items():
        if len(route) > 2:
            hours += (route[-1][2] - route[0][2]) / 60
            v = problem.vehicles[vid]
            locs = [v.start] + [(problem.requests[r].pickup if kind == "pickup" else problem.requests[r].dropoff
                                 ).location for r, kind, _ in route[1:-1]] + [v.end]
            minutes += float(sum(problem.times[a, b] for a, b in zip(locs, locs[1:])))
    n = len(problem.requests)
    return {"served": n - len(sol.unserved), "requests": n, "share_served": round((n - len(sol.unserved)) / n, 4),
            "vehicles_used": sum(len(r) > 2 for r in stops.values()), "vehicle_hours": round(hours, 1),
            "travel_minutes": round(minutes, 1), "km": round(km, 1), "feasible": not errors, "errors": errors[:3]}


def _new_requests(day: Day, count: int, now: float, seed: int):
    """Same-day requests phoned in at `now`: users' homes (new points) to destinations, for later that day."""
    rng = np.random.default_rng(seed)
    users = rng.choice(len(day.users), size=count, replace=False)
    out = []
    for x, u in enumerate(users):
        wheel = rng.random() < 0.15
        j = int(rng.integers(len(day.destinations)))
        t = float(now + rng.uniform(45, 240))
        out.append((tuple(day.users[u]), j, wheel, t))
    return out


def _running(sol, now: float) -> Plan:
    """The plan as it stands at `now`: each vehicle's stops that started before it are fixed at their times."""
    routes, fixed = {}, []
    for vid, stops in sol.stops().items():
        routes[vid] = [(rid, kind) for rid, kind, _start in stops[1:-1]]
        for rid, kind, start in stops[1:-1]:
            if start >= now:
                break
            fixed.append(Fixed(rid, kind, start))
    return Plan(routes=routes, fixed=fixed, now=now)


def _ms(values, q):
    return round(1000 * float(np.quantile(values, q)), 2)


def _plain(whole: Problem, current: Plan, extras: list, retry_unserved: bool) -> dict:
    """`insert_request` of each of `extras` into `current` without it: the web app's path (the problem holds the
    routed requests and the new one, as `planning.evaluate` builds it) or, with `retry_unserved`, a problem that
    also holds the day's unserved requests (each call tries them all again)."""
    seconds, placed = [], 0
    for extra in extras:
        routes = {v: [s for s in stops if s[0] != extra.id] for v, stops in current.routes.items()}
        routed = {rid for stops in routes.values() for rid, _kind in stops}
        requests = [r for r in whole.requests if r.id != extra.id and (retry_unserved or r.id in routed)]
        problem = Problem(requests=requests + [extra], vehicles=whole.vehicles, times=whole.times, costs=whole.costs)
        plan = Plan(routes=routes, fixed=[f for f in current.fixed if f.request != extra.id], now=current.now,
                    pinned=current.pinned - {extra.id})
        t0 = time.perf_counter()
        sol = insert_request(problem, plan)
        seconds.append(time.perf_counter() - t0)
        placed += extra.id not in sol.unserved
    return {"calls": len(extras), "placed": placed, "p50": _ms(seconds, 0.5), "p95": _ms(seconds, 0.95),
            "max": _ms(seconds, 1.0), "requests": len(problem.requests)}


def _insertions(day: Day, sol, now: float, count: int, plain: int) -> dict:
    problem = day.problem
    running = _running(sol, now)
    started = time.perf_counter()
    session = Session(problem, running, spare_requests=count + 8, spare_locations=count + 8,
                      points=list(day.points), provider=HaversineProvider())
    open_s = time.perf_counter() - started
    kernel, total, placed = [], [], 0
    base = len(problem.requests)
    for x, (home, j, wheel, t) in enumerate(_new_requests(day, count, now, SEED + 1)):
        t0 = time.perf_counter()
        home_loc = session.add_point(home)
        service = SERVICE_WHEELCHAIR if wheel else SERVICE
        request = Request(id=base + x, pickup=Stop(home_loc, (t - PICKUP_EARLY, t + PICKUP_LATE), service),
                          dropoff=Stop(day.first_destination + j, (0.0, DAY_END), service), seats=0 if wheel else 1,
                          wheelchairs=int(wheel))
        got = session.insert(request, now=now)
        total.append(time.perf_counter() - t0)
        kernel.append(got.seconds)
        placed += got.vehicle is not None
    sol = session.solution()
    whole = session.current_problem()
    errors = check_routes(whole, sol.stops(), sol.unserved, now=None)[0]
    # plain insert_request calls on the same running day (each compiles the day again): the last new requests the
    # session placed, each taken out of the plan and put back
    current = session.plan()
    extras = [r for r in whole.requests[base:] if r.id not in sol.unserved][-plain:]
    # the web app computes its matrices afresh (contiguous); the session's are views into larger ones, which every
    # call would copy
    whole = Problem(requests=whole.requests, vehicles=whole.vehicles, times=np.ascontiguousarray(whole.times),
                    costs=np.ascontiguousarray(whole.costs))
    web = _plain(whole, current, extras, retry_unserved=False) if plain else None
    retry = _plain(whole, current, extras[-max(1, plain // 4):], retry_unserved=True) if plain else None
    return {"count": count, "placed": placed, "fixed_stops": len(running.fixed), "session_open_s": round(open_s, 2),
            "kernel_ms": {"p50": _ms(kernel, 0.5), "p95": _ms(kernel, 0.95), "max": _ms(kernel, 1.0)},
            "with_new_place_ms": {"p50": _ms(total, 0.5), "p95": _ms(total, 0.95), "max": _ms(total, 1.0)},
            "plain_insert_request_ms": web, "plain_with_unserved_ms": retry, "unserved_in_day": len(sol.unserved),
            "feasible": not errors, "errors": errors[:3]}


# -- OR-Tools ----------------------------------------------------------------------------------------------------
def ortools_solve(problem: Problem, time_limit: float) -> dict:
    """OR-Tools routing on a general day; the plan as `check_routes` reads it, the time to its first solution."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    scale = 100
    n, K = len(problem.requests), len(problem.vehicles)
    # OR-Tools nodes: each vehicle's start and end, then pickups and drop-offs
    loc, e, l, d, seats, chairs = [], [], [], [], [], []
    for v in problem.vehicles:
        for where in (v.start, v.end):
            loc.append(where), e.append(v.shift[0]), l.append(v.shift[1]), d.append(0.0), seats.append(0)
            chairs.append(0)
    for r in problem.requests:
        for stop, sign in ((r.pickup, 1), (r.dropoff, -1)):
            loc.append(stop.location), e.append(stop.window[0]), l.append(stop.window[1]), d.append(stop.service)
            seats.append(sign * r.seats), chairs.append(sign * r.wheelchairs)
    loc = np.array(loc)
    tm = np.ceil(problem.times.astype(np.float64) * scale - 1e-9).astype(np.int64)
    cm = np.round(problem.costs.astype(np.float64) * scale).astype(np.int64)
    dd = np.ceil(np.array(d) * scale - 1e-9).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(len(loc), K, [2 * k for k in range(K)], [2 * k + 1 for k in range(K)])
    routing = pywrapcp.RoutingModel(manager)
    node = manager.IndexToNode

    def cost_cb(i, j):
        return int(cm[loc[node(i)], loc[node(j)]])

    def time_cb(i, j):
        a = node(i)
        return int(dd[a] + tm[loc[a], loc[node(j)]])

    if len(loc) <= 3000:
        # Matrices held by OR-Tools itself (no Python call per arc); at city scale (10,000+ nodes) the node × node
        # lists would take several GB, so there it calls back into Python.
        cost_index = routing.RegisterTransitMatrix(cm[np.ix_(loc, loc)].tolist())
        time_index = routing.RegisterTransitMatrix((dd[:, None] + tm[np.ix_(loc, loc)]).tolist())
    else:
        cost_index, time_index = routing.RegisterTransitCallback(cost_cb), routing.RegisterTransitCallback(time_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(cost_index)
    horizon = int(DAY_END * scale) + 1
    routing.AddDimension(time_index, horizon, horizon, False, "Time")
    tdim = routing.GetDimensionOrDie("Time")
    for name, load, caps in (("Seats", seats, [v.seats for v in problem.vehicles]),
                             ("Wheelchairs", chairs, [v.wheelchairs for v in problem.vehicles])):
        routing.AddDimensionWithVehicleCapacity(
            routing.RegisterUnaryTransitCallback(lambda i, load=load: int(load[node(i)])), 0, caps, True, name)
    solver = routing.solver()
    for k, v in enumerate(problem.vehicles):
        tdim.CumulVar(routing.Start(k)).SetRange(int(math.ceil(v.shift[0] * scale)), int(v.shift[1] * scale))
        tdim.CumulVar(routing.End(k)).SetRange(int(math.ceil(v.shift[0] * scale)), int(v.shift[1] * scale))
        if v.max_duration < 1e8:
            tdim.SetSpanUpperBoundForVehicle(int(v.max_duration * scale), k)
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.Start(k)))
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(k)))
    for i, r in enumerate(problem.requests):
        p, q = manager.NodeToIndex(2 * K + 2 * i), manager.NodeToIndex(2 * K + 2 * i + 1)
        for idx, a in ((p, 2 * K + 2 * i), (q, 2 * K + 2 * i + 1)):
            tdim.CumulVar(idx).SetRange(int(math.ceil(e[a] * scale)), int(math.floor(min(l[a], DAY_END) * scale)))
        routing.AddPickupAndDelivery(p, q)
        routing.AddDisjunction([p, q], 10_000 * scale * 100, 2)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(q))
        solver.Add(tdim.CumulVar(p) <= tdim.CumulVar(q))
        direct = float(problem.times[r.pickup.location, r.dropoff.location])
        limit = r.max_ride if r.max_ride is not None else problem.ride_rule.limit(direct)
        solver.Add(tdim.CumulVar(q) - tdim.CumulVar(p) <= int(math.floor((limit + r.pickup.service) * scale)))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    started = time.monotonic()
    first = []
    routing.AddAtSolutionCallback(lambda: first or first.append(time.monotonic() - started))
    assignment = routing.SolveWithParameters(params)
    seconds = time.monotonic() - started
    if assignment is None:
        return {"solution": None, "first_solution_s": None, "seconds": round(seconds, 1)}
    routes, served = {}, set()
    for k, v in enumerate(problem.vehicles):
        index, stops = routing.Start(k), []
        while True:
            a = manager.IndexToNode(index)
            b = assignment.Min(tdim.CumulVar(index)) / scale
            if a < 2 * K:
                stops.append((v.id, "start" if a % 2 == 0 else "end", b))
            else:
                rid = problem.requests[(a - 2 * K) // 2].id
                stops.append((rid, "pickup" if (a - 2 * K) % 2 == 0 else "dropoff", b))
                served.add(rid)
            if routing.IsEnd(index):
                break
            index = assignment.Value(routing.NextVar(index))
        routes[v.id] = stops
    unserved = [r.id for r in problem.requests if r.id not in served]
    return {"solution": (routes, unserved), "first_solution_s": round(first[0], 1) if first else None,
            "seconds": round(seconds, 1)}


def _ortools_figures(problem: Problem, out: dict) -> dict:
    if out["solution"] is None or len(out["solution"][1]) == len(problem.requests):  # nothing served: no plan
        return {"found": False, "first_solution_s": None, "seconds": out["seconds"]}
    routes, unserved = out["solution"]
    errors, km = check_routes(problem, routes, unserved)
    n = len(problem.requests)
    hours = sum((s[-1][2] - s[0][2]) / 60 for s in routes.values() if len(s) > 2)
    return {"found": True, "first_solution_s": out["first_solution_s"], "seconds": out["seconds"],
            "served": n - len(unserved), "share_served": round((n - len(unserved)) / n, 4),
            "vehicle_hours": round(hours, 1), "km": round(km, 1), "feasible": not errors, "errors": errors[:3]}


def _peak_rss_mb() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self_mb": round(own), "children_mb": round(children)}


def warm_up() -> float:
    """Compile the kernels for float32 matrices (cached on disk afterwards), so that no timing includes it."""
    t0 = time.monotonic()
    day = generate(4, 20, users=100, seed=1)
    solve(day.problem, seed=0, workers=1, iterations=5)
    session = Session(day.problem, Plan(routes={}), spare_requests=2)
    session.insert(Request(id="warm", pickup=Stop(6), dropoff=Stop(7)))
    return round(time.monotonic() - t0, 1)


def run_day(vehicles: int, requests: int, long_s: float, ortools_s: float, inserts: int, plain: int) -> dict:
    t0 = time.monotonic()
    day = generate(vehicles, requests)
    problem = day.problem
    out = {"vehicles": vehicles, "requests": requests, "locations": len(day.points),
           "generate_s": round(time.monotonic() - t0, 1),
           "wheelchair_share": round(sum(r.wheelchairs > 0 for r in problem.requests) / requests, 3)}
    print(f"{problem.name}: {len(day.points)} places, generated in {out['generate_s']} s", flush=True)
    t0 = time.monotonic()
    first = solve(problem, seed=1, workers=1, iterations=0)
    out["first_plan_s"] = round(time.monotonic() - t0, 1)
    out["first_plan"] = _figures(problem, first)
    print(f"  first plan in {out['first_plan_s']} s: {out['first_plan']}", flush=True)
    out["runs"] = []
    for limit in sorted({min(60.0, long_s), long_s}):
        t0 = time.monotonic()
        best = solve(problem, seed=1, time_limit=limit)
        seconds = time.monotonic() - t0
        run = {"limit_s": limit, "seconds": round(seconds, 1), "iterations": best.iterations,
               "iterations_per_s": round(best.iterations / seconds, 1), "load": round(os.getloadavg()[0], 1)}
        out["runs"].append(run | {"plan": _figures(problem, best)})
        print(f"  after {run['seconds']} s: {out['runs'][-1]}", flush=True)
    out["long_run_s"], out["long_plan"] = out["runs"][-1]["seconds"], out["runs"][-1]["plan"]
    if inserts:
        out["insertion"] = _insertions(day, best, now=600.0, count=inserts, plain=plain)
        print(f"  insertion: {out['insertion']}", flush=True)
    if ortools_s:
        o = ortools_solve(problem, ortools_s)
        out["ortools"] = _ortools_figures(problem, o)
        print(f"  OR-Tools ({ortools_s:g} s): {out['ortools']}", flush=True)
    out["peak_rss"] = _peak_rss_mb()
    return out


def run(data=None, quick: bool = False) -> dict:
    long_s = float(os.environ.get("QAMQOR_CITY_LONG", 10 if quick else 300))
    ortools_s = float(os.environ.get("QAMQOR_CITY_ORTOOLS", 10 if quick else 300))
    compile_s = warm_up()
    print(f"kernels compiled or loaded in {compile_s} s", flush=True)
    days = [] if quick else [run_day(280, 5000, long_s, ortools_s, inserts=200, plain=20)]
    days.append(run_day(28, 500, min(long_s, 60.0), min(ortools_s, 60.0), inserts=50 if quick else 200,
                        plain=8 if quick else 20))
    lines = [f"City day (Almaty, seed {SEED}): engine vs OR-Tools"]
    for x in days:
        fp = x["first_plan"]
        lines.append(f"{x['vehicles']} vehicles, {x['requests']} requests, {x['locations']} places:")
        lines.append(f"  engine first plan {x['first_plan_s']} s: served {fp['share_served']:.1%}, "
                     f"{fp['vehicle_hours']} vehicle h, {fp['travel_minutes']:.0f} travel min, "
                     f"feasible {fp['feasible']}")
        for run in x["runs"]:
            lp = run["plan"]
            lines.append(f"  engine after {run['seconds']} s ({run['iterations']} iterations, "
                         f"{run['iterations_per_s']}/s, load {run['load']}): served {lp['share_served']:.1%}, "
                         f"{lp['vehicle_hours']} vehicle h, {lp['travel_minutes']:.0f} travel min, {lp['km']} km, "
                         f"feasible {lp['feasible']}")
        if "insertion" in x:
            ins = x["insertion"]
            lines.append(f"  insertion of {ins['count']} new requests: kernel p50 {ins['kernel_ms']['p50']} ms, "
                         f"p95 {ins['kernel_ms']['p95']} ms, max {ins['kernel_ms']['max']} ms; with the new place "
                         f"p95 {ins['with_new_place_ms']['p95']} ms; placed {ins['placed']}; feasible "
                         f"{ins['feasible']}")
            web, retry = ins["plain_insert_request_ms"], ins["plain_with_unserved_ms"]
            if web:
                lines.append(f"  plain insert_request (the web app's path, {web['requests']} requests): "
                             f"{web['calls']} calls, p50 {web['p50']} ms, p95 {web['p95']} ms, max {web['max']} ms; "
                             f"with the {ins['unserved_in_day']} unserved retried: p50 {retry['p50']} ms, "
                             f"max {retry['max']} ms ({retry['calls']} calls)")
        if "ortools" in x:
            o = x["ortools"]
            if o["found"]:
                lines.append(f"  OR-Tools ({o['seconds']} s): first solution at {o['first_solution_s']} s, served "
                             f"{o['share_served']:.1%}, {o['vehicle_hours']} vehicle h, {o['km']} km, feasible "
                             f"{o['feasible']}")
            else:
                lines.append(f"  OR-Tools: no solution within {o['seconds']} s")
        lines.append(f"  peak RSS: {x['peak_rss']['self_mb']} MB (children {x['peak_rss']['children_mb']} MB)")
    return {"days": days, "compile_s": compile_s, "table": "\n".join(lines)}


if __name__ == "__main__":
    import sys

    print(run(quick="--quick" in sys.argv)["table"])
