"""An independent checker of DARP benchmark solutions: it reads the instance file and the solution JSON itself
and verifies every constraint of the benchmark conventions, sharing no code with the solver.

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
