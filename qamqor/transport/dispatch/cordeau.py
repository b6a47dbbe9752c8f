"""Cordeau's DARP benchmark files (2003 and 2006 formats) as Problems, and solutions as JSON.

2006 format: header `m n T Q L`, then 2n+2 lines `id x y d q e l` (node 0 start depot, 2n+1 end depot).
2003 format: header `m 2n T Q L` (the second field counts the nodes), then 2n+1 lines; the end depot is node 0.
The format is told apart by the number of node lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .model import Problem, Request, RideRule, Stop, Vehicle
from .travel import EuclideanProvider


class InstanceError(ValueError):
    """The file is not a Cordeau DARP instance."""


@dataclass
class Instance:
    """A parsed benchmark file: its Problem and how to name nodes as in the file."""

    name: str
    problem: Problem
    m: int
    n: int
    T: float
    Q: int
    L: float
    end_depot: int  # node number of the end depot in the file: 2n+1 (2006) or 0 (2003)
    fmt: int  # 2003 or 2006

    def file_node(self, node: int) -> int:
        """The file's node number of a compiled node."""
        n = self.n
        if node < 2 * n:
            return node + 1
        return self.end_depot if (node - 2 * n) % 2 else 0


def parse(text: str, name: str = "") -> Instance:
    """Read a Cordeau instance (either format) from its text."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines:
        raise InstanceError("The file is empty.")
    try:
        m, second = int(lines[0][0]), int(lines[0][1])
        T, Q, L = float(lines[0][2]), int(float(lines[0][3])), float(lines[0][4])
        rows = [[float(x) for x in row[:7]] for row in lines[1:]]
    except (ValueError, IndexError):
        raise InstanceError("The header must be `m n T Q L` followed by node lines `id x y d q e l` of numbers.")
    if any(len(row) < 7 for row in rows):
        raise InstanceError("Every node line needs seven fields: id x y d q e l.")
    if len(rows) == 2 * second + 2:
        fmt, n = 2006, second
    elif len(rows) == second + 1 and second % 2 == 0:
        fmt, n = 2003, second // 2
    else:
        raise InstanceError(f"The header announces {second} but the file has {len(rows)} node lines; expected "
                            f"{2 * second + 2} (2006 format) or {second + 1} (2003 format).")
    if m < 1 or n < 1:
        raise InstanceError("The instance needs at least one vehicle and one request.")
    points = [(row[1], row[2]) for row in rows]
    times, costs = EuclideanProvider().matrices(points)
    end_row = rows[2 * n + 1] if fmt == 2006 else rows[0]
    end_loc = 2 * n + 1 if fmt == 2006 else 0  # location index = file row
    requests = []
    for i in range(1, n + 1):
        p, dr = rows[i], rows[n + i]
        if p[4] <= 0 or p[4] != -dr[4]:
            raise InstanceError(f"Request {i}: the pickup load must be positive and the drop-off load its negative.")
        requests.append(Request(id=i, pickup=Stop(i, (p[5], p[6]), p[3]), dropoff=Stop(n + i, (dr[5], dr[6]), dr[3]),
                                seats=int(p[4]), wheelchairs=0, max_ride=L))
    depot = rows[0]
    vehicles = [Vehicle(id=k, start=0, end=end_loc, shift=(depot[5], end_row[6]), seats=Q, wheelchairs=0,
                        max_duration=T) for k in range(m)]
    problem = Problem(requests=requests, vehicles=vehicles, times=times, costs=times, ride_rule=RideRule(),
                      unserved_penalty=10_000.0, name=name)
    return Instance(name=name, problem=problem, m=m, n=n, T=T, Q=Q, L=L, end_depot=2 * n + 1 if fmt == 2006 else 0,
                    fmt=fmt)


def read(path) -> Instance:
    """Read a Cordeau instance file."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(f"Cannot read the file: {getattr(exc, 'strerror', None) or exc}.") from None
    return parse(text, name=path.stem)


def solution_json(instance: Instance, solution) -> dict:
    """The benchmark output: every stop of every used vehicle with its start time, nodes numbered as in the file."""
    routes = []
    for k, (nodes, starts) in enumerate(zip(solution.routes, solution.starts)):
        if len(nodes) <= 2:
            continue
        routes.append({"vehicle": k, "stops": [{"node": _file_node(instance, solution.data, int(v)), "start": float(b)}
                                               for v, b in zip(nodes, starts)]})
    return {"instance": instance.name, "cost": float(solution.cost), "routes": routes}


def _file_node(instance: Instance, data, node: int) -> int:
    """The file's node number of a compiled node, whatever the compiled numbering (a Session has spare slots)."""
    what, kind = data.describe(node)
    if kind in ("start", "end"):
        return 0 if kind == "start" else instance.end_depot
    return what if kind == "pickup" else instance.n + what  # request ids are the file's pickup node numbers


def write_solution(instance: Instance, solution, path) -> dict:
    out = solution_json(instance, solution)
    Path(path).write_text(json.dumps(out, indent=1))
    return out


__all__ = ["Instance", "InstanceError", "parse", "read", "solution_json", "write_solution"]
