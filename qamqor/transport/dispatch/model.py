"""The dial-a-ride problem as plain data, and its compiled form (numpy arrays) that the kernels work on.

Internal node numbering of a compiled problem with n requests and K vehicles:
pickup of request i = i, its drop-off = n + i, start depot of vehicle k = 2n + 2k, its end depot = 2n + 2k + 1.
Times are minutes; a time window bounds the start of service at a stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Sequence

import numpy as np

NO_LIMIT = 1e9


@dataclass(frozen=True)
class Stop:
    """A place to visit: `location` indexes the travel matrices; `window` bounds the start of service."""

    location: int
    window: tuple[float, float] = (0.0, NO_LIMIT)
    service: float = 0.0


@dataclass(frozen=True)
class Request:
    """One ride: pick up, carry, drop off. Loads count seats and wheelchair places separately."""

    id: Hashable
    pickup: Stop
    dropoff: Stop
    seats: int = 1
    wheelchairs: int = 0
    max_ride: float | None = None  # absolute limit in minutes; None: the problem's ride rule


@dataclass(frozen=True)
class Vehicle:
    """A vehicle on a shift: leaves `start` no earlier than shift[0], is back at `end` by shift[1]."""

    id: Hashable
    start: int
    end: int
    shift: tuple[float, float] = (0.0, NO_LIMIT)
    seats: int = 4
    wheelchairs: int = 0
    max_duration: float = NO_LIMIT


@dataclass(frozen=True)
class RideRule:
    """Maximum ride time relative to the direct trip: max(factor × direct, direct + extra), capped at `cap`."""

    factor: float = 2.0
    extra: float = 30.0
    cap: float = NO_LIMIT

    def limit(self, direct: float) -> float:
        return min(self.cap, max(self.factor * direct, direct + self.extra))


@dataclass
class Problem:
    """Requests, vehicles and the travel matrices over the locations they refer to."""

    requests: Sequence[Request]
    vehicles: Sequence[Vehicle]
    times: np.ndarray
    costs: np.ndarray
    ride_rule: RideRule = field(default_factory=RideRule)
    unserved_penalty: float = 10_000.0
    # At most this many requests on one vehicle: bounds the route arrays, which every search iteration copies
    # (280 vehicles × 10,000 stops would be 100 MB a copy).
    max_route_requests: int = 80
    name: str = ""


@dataclass
class Fixed:
    """A stop already started or finished: it keeps its place in its vehicle's route and its start time."""

    request: Hashable
    kind: str  # "pickup" or "dropoff"
    start: float


@dataclass
class Plan:
    """A (partial) plan: for each vehicle id, its stops in order as (request id, "pickup" | "dropoff")."""

    routes: dict
    fixed: list[Fixed] = field(default_factory=list)
    now: float | None = None  # when re-planning a running day: no stop that is not fixed starts before this
    # Requests a dispatcher put on a vehicle by hand: they stay on the vehicle this plan gives them (a search may
    # reorder and retime them within that route, never take them off it or move them to another vehicle).
    pinned: set = field(default_factory=set)


def _matrix(values) -> np.ndarray:
    array = np.asarray(values)
    return np.ascontiguousarray(array, dtype=np.float32 if array.dtype == np.float32 else np.float64)


class Data:
    """A problem compiled into arrays for the kernels (see the module docstring for node numbers)."""

    def __init__(self, problem: Problem, fixed: Sequence[Fixed] = (), now: float | None = None,
                 vehicles_out: Sequence = (), capacity: int | None = None):
        # `capacity` > the number of requests leaves free request slots (numbered after the real ones) for requests
        # added later without renumbering any node (a running day's `Session`); a free slot is in no route.
        reqs, vehs = list(problem.requests), list(problem.vehicles)
        n, K = max(len(reqs), capacity or 0), len(vehs)
        N = 2 * n + 2 * K
        self.problem, self.n, self.K, self.N = problem, n, K, N
        self.request_index = {r.id: i for i, r in enumerate(reqs)}
        if len(self.request_index) != len(reqs):
            raise ValueError("Request ids must be unique.")
        self.vehicle_index = {v.id: k for k, v in enumerate(vehs)}
        if len(self.vehicle_index) != K:
            raise ValueError("Vehicle ids must be unique.")
        # float32 matrices stay float32 (half the memory at city scale; every time is then read from the same
        # rounded matrix, by the search and by any checker, so schedules stay exact for that matrix).
        self.tm = _matrix(problem.times)
        self.cm = self.tm if problem.costs is problem.times else _matrix(problem.costs)
        if self.tm.ndim != 2 or self.tm.shape[0] != self.tm.shape[1] or self.cm.shape != self.tm.shape:
            raise ValueError("The travel times and costs must be square matrices of the same size.")
        if self.tm.size and self.tm.min() < 0:
            # the kernels rely on it (schedules never go back in time along a route)
            raise ValueError("Travel times must not be negative.")
        loc = np.zeros(N, np.int64)
        e = np.zeros(N)
        l = np.full(N, NO_LIMIT)
        d = np.zeros(N)
        q = np.zeros((N, 2), np.int64)
        maxride = np.zeros(max(n, 1))
        m = len(reqs)
        if m:
            # Column by column rather than request by request (a city day has thousands of requests).
            picks, drops = [r.pickup for r in reqs], [r.dropoff for r in reqs]
            for rows, stops in ((slice(0, m), picks), (slice(n, n + m), drops)):
                loc[rows] = [x.location for x in stops]
                window = np.array([x.window for x in stops], np.float64).reshape(m, 2)
                e[rows], l[rows] = window[:, 0], window[:, 1]
                d[rows] = [x.service for x in stops]
            load = np.array([(r.seats, r.wheelchairs) for r in reqs], np.int64).reshape(m, 2)
            q[:m], q[n:n + m] = load, -load
            self._check_locations(loc[:m], loc[n:n + m])
            direct = self.tm[loc[:m], loc[n:n + m]].astype(np.float64)  # float64 arithmetic, as a checker does
            rule = problem.ride_rule
            limits = np.minimum(rule.cap, np.maximum(rule.factor * direct, direct + rule.extra))  # RideRule.limit
            maxride[:m] = [x if r.max_ride is None else r.max_ride for r, x in zip(reqs, limits.tolist())]
        cap = np.zeros((max(K, 1), 2), np.int64)
        maxdur = np.full(max(K, 1), NO_LIMIT)
        if K:
            loc[2 * n::2], loc[2 * n + 1::2] = [v.start for v in vehs], [v.end for v in vehs]
            self._check_locations(loc[2 * n:])
            shift = np.array([v.shift for v in vehs], np.float64).reshape(K, 2)
            e[2 * n::2], l[2 * n::2] = shift[:, 0], shift[:, 1]
            e[2 * n + 1::2], l[2 * n + 1::2] = shift[:, 0], shift[:, 1]
            cap[:K] = np.array([(v.seats, v.wheelchairs) for v in vehs], np.int64).reshape(K, 2)
            maxdur[:K] = [v.max_duration for v in vehs]
        if (d < 0).any():
            raise ValueError("Service times must not be negative.")
        if now is not None:
            # Nothing that has not happened yet can happen in the past. Vehicles already out are held back by
            # their fixed stops instead; their start keeps its time.
            m = len(reqs)
            e[:m] = np.maximum(e[:m], now)
            e[n:n + m] = np.maximum(e[n:n + m], now)
            out = {self.vehicle_index[v] for v in vehicles_out}
            for k in range(K):
                if k not in out:
                    e[2 * n + 2 * k] = max(e[2 * n + 2 * k], now)
        for f in fixed:
            i = self.request_index[f.request]
            node = i if f.kind == "pickup" else n + i
            e[node] = l[node] = f.start
        self.loc, self.e, self.l, self.d, self.q = loc, e, l, d, q
        self.maxride, self.cap, self.maxdur = maxride, cap, maxdur
        self.penalty = float(problem.unserved_penalty)
        # Which vehicles may take each request: vset[i] = -1 any, else row vset[i] of vsets (a mask over vehicles).
        self.vset = np.full(max(n, 1), -1, np.int64)
        self.vsets = np.zeros((1, max(K, 1)), np.bool_)
        self.pinned = np.zeros(max(n, 1), np.bool_)

    def _check_locations(self, *indices) -> None:
        size = self.tm.shape[0]
        for x in indices:
            if len(x) and (x.min() < 0 or x.max() >= size):
                raise ValueError(f"A stop's location must index the travel matrices (0 to {size - 1}).")

    def restrict(self, requests: Sequence[int], vehicles: Sequence[int]) -> None:
        """Let only `vehicles` (indices) take `requests` (indices)."""
        row = np.zeros((1, self.vsets.shape[1]), np.bool_)
        row[0, list(vehicles)] = True
        self.vsets = np.vstack([self.vsets, row])  # row 0 stays unused
        self.vset[list(requests)] = len(self.vsets) - 1

    def node_of(self, request_id, kind: str) -> int:
        i = self.request_index[request_id]
        return i if kind == "pickup" else self.n + i

    def describe(self, node: int) -> tuple:
        """(request id, kind) of a request node, or (vehicle id, "start" | "end") of a depot node."""
        n = self.n
        if node < 2 * n:
            return self.problem.requests[node % n].id, ("pickup" if node < n else "dropoff")
        k, end = divmod(node - 2 * n, 2)
        return self.problem.vehicles[k].id, ("end" if end else "start")
