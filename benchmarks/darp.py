"""Dial-a-ride: the engine beside OR-Tools routing on the Cordeau benchmark, gaps to the best-known values.

Every instance of <data>/darp/instances (Cordeau 2006 "a" set and Ropke-Cordeau-Laporte 2007 "b" set) is solved
with the same time limit (60 s; --quick: four small instances, 5 s) by
- the engine (`qamqor.transport.dispatch.solve`: ALNS, two seeded searches on the two cores, best kept), and
- OR-Tools routing (one core): pickup-and-delivery pairs on the same vehicle, time windows, capacity, the ride
  time as a precedence on the time dimension (cumul(drop) - cumul(pick) <= L + service), the route duration as a
  span limit, each request optional at a large penalty (without that OR-Tools finds no first solution on tight
  instances), parallel cheapest insertion then guided local search. OR-Tools works on integers: times are scaled by
  100 and rounded up (so its schedules stay feasible in exact arithmetic); its cost is recomputed in floating point
  from its routes.
Both outputs go through the independent checker (`qamqor.transport.dispatch.check`), which also recomputes the
cost. Reported per instance: best-known value (bks.csv, proven optima), cost and gap % of each, feasibility; then
the average gap and on how many instances the engine beats OR-Tools. Targets: average gap <= 1%, better than
OR-Tools on every instance.

Development runs: QAMQOR_DARP_INSTANCES=a2-16,b4-24 (names or prefixes) and QAMQOR_DARP_TIME_LIMIT=10 restrict
the run; QAMQOR_DARP_ORTOOLS=0 leaves OR-Tools out.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from qamqor.transport.dispatch.check import check
from qamqor.transport.dispatch.cordeau import read, solution_json
from qamqor.transport.dispatch.search import solve

QUICK = ["a2-16", "b2-16", "a3-18", "b3-18"]
SCALE = 100
SEED = 1
DROP_PENALTY = 10_000_000


def _bks(folder: Path) -> dict:
    rows = (folder / "bks.csv").read_text().split()[1:]
    return {name: float(value) for name, value in (row.split(",") for row in rows)}


def ortools_solve(inst, time_limit: float) -> dict | None:
    """OR-Tools routing on a Cordeau instance; the solution in the benchmark JSON format, or None."""
    n, m = inst.n, inst.m
    rows_e = [0.0] * (2 * n + 2)
    rows_l = [0.0] * (2 * n + 2)
    service = [0.0] * (2 * n + 2)
    load = [0] * (2 * n + 2)
    for r in inst.problem.requests:
        for node, stop, sign in ((r.id, r.pickup, 1), (n + r.id, r.dropoff, -1)):
            rows_e[node], rows_l[node] = stop.window
            service[node] = stop.service
            load[node] = sign * r.seats
    veh = inst.problem.vehicles[0]
    end = 2 * n + 1  # OR-Tools needs a distinct index; it maps back to the file's end depot
    for node in (0, end):
        rows_e[node], rows_l[node] = veh.shift
    loc = list(range(2 * n + 1)) + [veh.end]
    tm = inst.problem.times
    manager = pywrapcp.RoutingIndexManager(2 * n + 2, m, [0] * m, [end] * m)
    routing = pywrapcp.RoutingModel(manager)
    cost = [[int(round(tm[loc[a], loc[b]] * SCALE)) for b in range(2 * n + 2)] for a in range(2 * n + 2)]
    travel = [[int(math.ceil((service[a] + tm[loc[a], loc[b]]) * SCALE - 1e-9)) for b in range(2 * n + 2)]
              for a in range(2 * n + 2)]

    def cost_cb(i, j):
        return cost[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def time_cb(i, j):
        return travel[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def load_cb(i):
        return load[manager.IndexToNode(i)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost_cb))
    horizon = int(max(rows_l) * SCALE) + 1
    routing.AddDimension(routing.RegisterTransitCallback(time_cb), horizon, horizon, False, "Time")
    tdim = routing.GetDimensionOrDie("Time")
    routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitCallback(load_cb), 0, [inst.Q] * m, True,
                                            "Load")
    for node in range(1, 2 * n + 1):
        tdim.CumulVar(manager.NodeToIndex(node)).SetRange(int(math.ceil(rows_e[node] * SCALE)),
                                                          int(math.floor(rows_l[node] * SCALE)))
    for k in range(m):
        tdim.CumulVar(routing.Start(k)).SetRange(int(rows_e[0] * SCALE), int(rows_l[0] * SCALE))
        tdim.CumulVar(routing.End(k)).SetRange(int(rows_e[end] * SCALE), int(rows_l[end] * SCALE))
        tdim.SetSpanUpperBoundForVehicle(int(math.floor(inst.T * SCALE)), k)
    solver = routing.solver()
    for i in range(1, n + 1):
        p, d = manager.NodeToIndex(i), manager.NodeToIndex(n + i)
        routing.AddPickupAndDelivery(p, d)
        # Without the option to leave a request out, OR-Tools finds no first solution on the tight instances;
        # a request left out makes the solution infeasible for the checker, as it should.
        routing.AddDisjunction([p, d], DROP_PENALTY, 2)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(tdim.CumulVar(p) <= tdim.CumulVar(d))
        solver.Add(tdim.CumulVar(d) - tdim.CumulVar(p) <= int(math.floor((inst.L + service[i]) * SCALE)))
    for k in range(m):
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.Start(k)))
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(k)))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    assignment = routing.SolveWithParameters(params)
    if assignment is None:
        return None
    routes, total = [], 0.0
    for k in range(m):
        index = routing.Start(k)
        stops = []
        while True:
            node = manager.IndexToNode(index)
            stops.append({"node": inst.end_depot if node == end else node,
                          "start": assignment.Min(tdim.CumulVar(index)) / SCALE})
            if routing.IsEnd(index):
                break
            index = assignment.Value(routing.NextVar(index))
        if len(stops) > 2:
            nodes = [0 if s["node"] == inst.end_depot else s["node"] for s in stops]
            nodes[-1] = end
            total += sum(tm[loc[a], loc[b]] for a, b in zip(nodes, nodes[1:]))
            routes.append({"vehicle": k, "stops": stops})
    return {"instance": inst.name, "cost": total, "routes": routes}


def _gap(cost, bks):
    return None if cost is None else 100.0 * (cost - bks) / bks


def run(data: Path, quick: bool, instances: list[str] | None = None, time_limit: float | None = None,
        with_ortools: bool | None = None) -> dict:
    folder = data / "darp"
    bks = _bks(folder)
    names = sorted(p.stem for p in (folder / "instances").glob("*.txt"))
    wanted = instances or [x for x in os.environ.get("QAMQOR_DARP_INSTANCES", "").split(",") if x]
    if wanted:
        names = [x for x in names if any(x == w or x.startswith(w) for w in wanted)]
    elif quick:
        names = [x for x in QUICK if x in names]
    limit = time_limit or float(os.environ.get("QAMQOR_DARP_TIME_LIMIT", 5 if quick else 60))
    if with_ortools is None:
        with_ortools = os.environ.get("QAMQOR_DARP_ORTOOLS", "1") != "0"
    rows = []
    for name in names:
        path = folder / "instances" / f"{name}.txt"
        inst = read(path)
        text = path.read_text()
        started = time.monotonic()
        sol = solve(inst.problem, time_limit=limit, seed=SEED)
        ours_s = time.monotonic() - started
        ours = solution_json(inst, sol)
        ours_err, ours_cost = check(text, ours)
        row = {"instance": name, "bks": bks.get(name), "cost": ours_cost, "feasible": not ours_err,
               "seconds": round(ours_s, 1), "iterations": sol.iterations, "errors": ours_err[:3]}
        if with_ortools:
            started = time.monotonic()
            ort = ortools_solve(inst, limit)
            row["ortools_seconds"] = round(time.monotonic() - started, 1)
            if ort is None:
                row.update(ortools_cost=None, ortools_feasible=False, ortools_errors=["no solution found"])
            else:
                err, cost = check(text, ort)
                row.update(ortools_cost=cost, ortools_feasible=not err, ortools_errors=err[:3])
        rows.append(row)
        print(_line(row), flush=True)
    return _summary(rows, limit, with_ortools)


def _fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def _line(row):
    b = row["bks"]
    text = (f"{row['instance']:<7} {_fmt(b):>8} {_fmt(row['cost']):>9} {_fmt(_gap(row['cost'], b)):>6} "
            f"{'yes' if row['feasible'] else 'NO':>4}")
    if "ortools_cost" in row:
        oc = row["ortools_cost"]
        text += f" {_fmt(oc):>9} {_fmt(_gap(oc, b)):>6} {'yes' if row['ortools_feasible'] else 'NO':>4}"
    return text


def _summary(rows, limit, with_ortools) -> dict:
    head = f"{'inst':<7} {'BKS':>8} {'ours':>9} {'gap%':>6} {'ok':>4}"
    if with_ortools:
        head += f" {'OR-Tools':>9} {'gap%':>6} {'ok':>4}"
    lines = [f"DARP: engine vs OR-Tools, {limit:g} s per instance each", head] + [_line(r) for r in rows]
    gaps = [_gap(r["cost"], r["bks"]) for r in rows if r["feasible"] and r["bks"]]
    avg = sum(gaps) / len(gaps) if gaps else None
    out = {"time_limit": limit, "instances": rows, "average_gap": avg,
           "feasible": sum(r["feasible"] for r in rows), "count": len(rows)}
    lines.append(f"engine: average gap {_fmt(avg, 3)}% over {len(gaps)} feasible of {len(rows)}; "
                 f"max gap {_fmt(max(gaps) if gaps else None, 3)}%")
    if with_ortools:
        o_gaps = [_gap(r["ortools_cost"], r["bks"]) for r in rows if r["ortools_feasible"] and r["bks"]]
        beats = sum(1 for r in rows if r["feasible"] and (not r["ortools_feasible"]
                                                          or r["cost"] < r["ortools_cost"] - 1e-6))
        o_avg = sum(o_gaps) / len(o_gaps) if o_gaps else None
        out.update(ortools_average_gap=o_avg, ortools_feasible=sum(r["ortools_feasible"] for r in rows),
                   beats_ortools=beats)
        lines.append(f"OR-Tools: average gap {_fmt(o_avg, 3)}% over {len(o_gaps)} feasible; "
                     f"engine better on {beats} of {len(rows)}")
    out["table"] = "\n".join(lines)
    return out
