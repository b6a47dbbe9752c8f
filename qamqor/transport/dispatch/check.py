"""An independent checker of DARP benchmark solutions: it reads the instance file and the solution JSON itself
and verifies every constraint of the benchmark conventions, sharing no code with the solver. `check_routes` does
the same for a general problem (seats and wheelchair places, several depots, shifts, ride rules), from the
problem's plain fields and the routes as request stops.

Usage: python -m qamqor.transport.dispatch.check INSTANCE SOLUTION.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

TOL = 1e-6


def _read_instance(text: str) -> dict:
    rows = [line.split() for line in text.splitlines() if line.strip()]
    head = rows[0]
    m, second, T, Q, L = int(head[0]), int(head[1]), float(head[2]), float(head[3]), float(head[4])
    nodes = [tuple(float(x) for x in row[:7]) for row in rows[1:]]
    if len(nodes) == 2 * second + 2:
        n, end = second, 2 * second + 1
    elif len(nodes) == second + 1:
        n, end = second // 2, 0
    else:
        raise ValueError("node line count matches neither format")
    return {"m": m, "n": n, "T": T, "Q": Q, "L": L, "end": end,
            "x": [r[1] for r in nodes], "y": [r[2] for r in nodes], "d": [r[3] for r in nodes],
            "q": [r[4] for r in nodes], "e": [r[5] for r in nodes], "l": [r[6] for r in nodes]}


def check(instance_text: str, solution: dict) -> tuple[list[str], float]:
    """Return (violations, recomputed cost) of `solution` for the instance given as file text."""
    ins = _read_instance(instance_text)
    n, m, T, Q, L, end = ins["n"], ins["m"], ins["T"], ins["Q"], ins["L"], ins["end"]
    x, y, d, q, e, l = ins["x"], ins["y"], ins["d"], ins["q"], ins["e"], ins["l"]

    def dist(i, j):
        return math.hypot(x[i] - x[j], y[i] - y[j])

    errors = []
    routes = solution.get("routes", [])
    if len(routes) > m:
        errors.append(f"{len(routes)} vehicles used, at most {m} allowed")
    vehicles = [r.get("vehicle") for r in routes]
    if len(set(vehicles)) != len(vehicles):
        errors.append("a vehicle appears twice")
    where = {}
    cost = 0.0
    for r in routes:
        k = r.get("vehicle")
        stops = r.get("stops", [])
        nodes = [int(s["node"]) for s in stops]
        B = [float(s["start"]) for s in stops]
        if len(nodes) < 2 or nodes[0] != 0 or nodes[-1] != end:
            errors.append(f"vehicle {k}: route must start at depot 0 and end at depot {end}")
            continue
        middle = nodes[1:-1]
        if any(not (1 <= v <= 2 * n) for v in middle):
            errors.append(f"vehicle {k}: a stop is not a request node")
            continue
        for pos, v in enumerate(middle, start=1):
            if v in where:
                errors.append(f"node {v} visited more than once")
            where[v] = (k, pos)
        load = 0.0
        for pos, v in enumerate(nodes):
            if not (e[v] - TOL <= B[pos] <= l[v] + TOL):
                errors.append(f"vehicle {k}: node {v} starts at {B[pos]:.6f} outside [{e[v]}, {l[v]}]")
            if 0 < pos < len(nodes) - 1:
                load += q[v]
                if load > Q + TOL or load < -TOL:
                    errors.append(f"vehicle {k}: load {load:g} after node {v} outside [0, {Q:g}]")
            if pos > 0:
                u = nodes[pos - 1]
                travel = dist(u, v)
                cost += travel
                if B[pos] < B[pos - 1] + d[u] + travel - TOL:
                    errors.append(f"vehicle {k}: node {v} starts at {B[pos]:.6f}, before arrival from node {u} "
                                  f"at {B[pos - 1] + d[u] + travel:.6f}")
        if B[-1] - B[0] > T + TOL:
            errors.append(f"vehicle {k}: route duration {B[-1] - B[0]:.6f} exceeds {T:g}")
        starts = dict(zip(middle, B[1:-1]))
        for v in middle:
            if v <= n:
                drop = v + n
                if drop not in starts:
                    errors.append(f"request {v}: drop-off not on the same vehicle as the pickup")
                    continue
                if where[drop][1] < where[v][1]:
                    errors.append(f"request {v}: drop-off before pickup")
                ride = starts[drop] - (starts[v] + d[v])
                if ride > L + TOL:
                    errors.append(f"request {v}: ride time {ride:.6f} exceeds {L:g}")
    for i in range(1, n + 1):
        if i not in where or i + n not in where:
            errors.append(f"request {i} not served")
    claimed = solution.get("cost")
    if claimed is not None and abs(float(claimed) - cost) > 1e-4 * max(1.0, cost):
        errors.append(f"claimed cost {claimed} differs from recomputed {cost:.6f}")
    return errors, cost


def check_routes(problem, routes: dict, unserved=(), *, fixed=(), pinned: dict | None = None,
                 now: float | None = None) -> tuple[list[str], float]:
    """Verify a plan of a general problem (seats and wheelchair places, several depots, shifts, ride rules).

    `routes`: vehicle id -> [(what, kind, start)], from ("<vehicle id>", "start", B) to (..., "end", B) with the
    request stops (request id, "pickup" | "dropoff", B) between; `unserved`: the requests left out. `fixed` stops
    must start at their time, `pinned` maps request id -> the vehicle it must be on, and with `now` no stop that is
    not fixed starts before it. Reads only the problem's plain fields; shares no code with the solver.
    Returns (violations, recomputed travel cost).
    """
    requests = {r.id: r for r in problem.requests}
    vehicles = {v.id: v for v in problem.vehicles}
    tm, cm = problem.times, problem.costs
    errors, cost, where = [], 0.0, {}
    fixed_at = {(f.request, f.kind): f.start for f in fixed}
    for vid, stops in routes.items():
        v = vehicles.get(vid)
        if v is None:
            errors.append(f"vehicle {vid!r} is not in the problem")
            continue
        if len(stops) < 2 or stops[0][1] != "start" or stops[-1][1] != "end":
            errors.append(f"vehicle {vid!r}: a route runs from its start to its end")
            continue
        if len(stops) == 2:
            continue
        if (len(stops) - 2) // 2 > problem.max_route_requests:
            errors.append(f"vehicle {vid!r}: more than {problem.max_route_requests} requests")
        seats = chairs = 0
        prev_loc, prev_b, prev_d = v.start, float(stops[0][2]), 0.0
        if prev_b < v.shift[0] - TOL:
            errors.append(f"vehicle {vid!r}: leaves at {prev_b:.4f}, before its shift")
        for pos, (what, kind, b) in enumerate(stops[1:], start=1):
            b = float(b)
            if kind == "end":
                if pos != len(stops) - 1:
                    errors.append(f"vehicle {vid!r}: its end is not its last stop")
                loc, window, service = v.end, v.shift, 0.0
            else:
                r = requests.get(what)
                if r is None or kind not in ("pickup", "dropoff"):
                    errors.append(f"vehicle {vid!r}: stop {what!r} {kind} is not a request stop")
                    break
                if (what, kind) in where:
                    errors.append(f"request {what!r}: {kind} visited more than once")
                where[(what, kind)] = (vid, pos, b)
                stop = r.pickup if kind == "pickup" else r.dropoff
                loc, window, service = stop.location, stop.window, stop.service
                sign = 1 if kind == "pickup" else -1
                seats, chairs = seats + sign * r.seats, chairs + sign * r.wheelchairs
                if not (0 <= seats <= v.seats and 0 <= chairs <= v.wheelchairs):
                    errors.append(f"vehicle {vid!r}: {seats} seats and {chairs} wheelchair places taken after "
                                  f"{what!r} {kind}, of {v.seats} and {v.wheelchairs}")
                if (what, kind) in fixed_at:
                    if abs(b - fixed_at[(what, kind)]) > TOL:
                        errors.append(f"request {what!r}: fixed {kind} moved to {b:.4f}")
                elif now is not None and b < now - TOL:
                    errors.append(f"request {what!r}: {kind} planned at {b:.4f}, before now ({now})")
            if not (window[0] - TOL <= b <= window[1] + TOL):
                errors.append(f"vehicle {vid!r}: {what!r} {kind} starts at {b:.4f} outside {window}")
            arrive = prev_b + prev_d + float(tm[prev_loc, loc])
            if b < arrive - TOL:
                errors.append(f"vehicle {vid!r}: {what!r} {kind} starts at {b:.4f}, before arrival at {arrive:.4f}")
            cost += float(cm[prev_loc, loc])
            prev_loc, prev_b, prev_d = loc, b, service
        end_b = float(stops[-1][2])
        if end_b - float(stops[0][2]) > v.max_duration + TOL:
            errors.append(f"vehicle {vid!r}: route lasts {end_b - float(stops[0][2]):.4f}, over {v.max_duration}")
    left = set(unserved)
    for rid, r in requests.items():
        got = [(rid, "pickup") in where, (rid, "dropoff") in where]
        if not any(got):
            if rid not in left:
                errors.append(f"request {rid!r} is neither served nor reported unserved")
            continue
        if not all(got):
            errors.append(f"request {rid!r}: only one of its stops is served")
            continue
        (pv, pp, pb), (dv, dp, db) = where[(rid, "pickup")], where[(rid, "dropoff")]
        if pv != dv or dp < pp:
            errors.append(f"request {rid!r}: drop-off not after its pickup on the same vehicle")
        direct = float(tm[r.pickup.location, r.dropoff.location])
        limit = r.max_ride if r.max_ride is not None else problem.ride_rule.limit(direct)
        if db - pb - r.pickup.service > limit + TOL:
            errors.append(f"request {rid!r}: ride of {db - pb - r.pickup.service:.4f} over its limit {limit:.4f}")
        if pinned and rid in pinned and pv != pinned[rid]:
            errors.append(f"request {rid!r}: pinned to {pinned[rid]!r} but on {pv!r}")
        if rid in left:
            errors.append(f"request {rid!r} is served and reported unserved")
    return errors, cost


def check_files(instance_path, solution_path) -> tuple[list[str], float]:
    """check() on files."""
    return check(Path(instance_path).read_text(), json.loads(Path(solution_path).read_text()))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    errors, cost = check_files(argv[0], argv[1])
    for err in errors:
        print(err)
    print(f"{'FEASIBLE' if not errors else 'INFEASIBLE'} cost={cost:.6f}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
