"""A running day kept compiled, so that a new same-day request goes in within milliseconds.

`insert_request` compiles the whole problem (arrays over every request, the route state of every vehicle) before
its insertion: at city scale (280 vehicles, 5,000 requests) that preparation, not the insertion, takes the time.
A `Session` compiles the day once, with free request slots (numbered after the real requests, so no node is ever
renumbered) and free rows and columns in the travel matrices for new places. Inserting a request then fills one
slot and runs the cheapest-insertion kernel over the vehicles, nothing else. When the free slots or places run
out, the session grows (doubling, so the cost is amortised); a grown session recompiles once.

The result of one `insert` is the same as `insert_request` on the same plan with that request added (tested).
A session does not search: the background re-plan (`solve` with the session's `plan()` as warm start) improves the
day, and a new session is opened on its result (`Session(problem, plan)`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Hashable, Sequence

import numpy as np

from . import kernels as kx
from .model import Fixed, Plan, Problem, Request
from .search import Solution, _compile, _reason, _repair, _start_state


@dataclass
class Insertion:
    """What became of one inserted request: its vehicle and stop times, or why it is left out."""

    request: Hashable
    vehicle: Hashable | None
    pickup: float | None = None  # start of service at the pickup, minutes
    dropoff: float | None = None
    reason: str | None = None
    seconds: float = 0.0


class Session:
    """A running day compiled once: `insert` new requests, `cancel` them, `fix` stops as they happen.

    `problem` and `plan` are as for `insert_request`: requests of the problem missing from the plan are put in at
    the start (regret insertion). `spare_requests` and `spare_locations` are the free slots kept for new requests
    and new places. With `points` (one (lat, lon) per location of the problem) and a travel `provider`,
    `add_point` adds a place by asking the provider for its row and column only.
    """

    def __init__(self, problem: Problem, plan: Plan | None = None, *, spare_requests: int = 256,
                 spare_locations: int = 512, points: Sequence | None = None, provider=None):
        times = np.asarray(problem.times)
        shared = problem.costs is problem.times
        self.locations = times.shape[0]
        if points is not None and len(points) != self.locations:
            raise ValueError("Give one point for each location of the travel matrices.")
        self.points = list(points) if points is not None else None
        self.provider = provider
        self._fixed = list(plan.fixed) if plan else []
        self._pinned = set(plan.pinned) if plan else set()
        self._now = plan.now if plan else None
        self._cancelled: set = set()
        tm = self._grown(times, self.locations + max(0, spare_locations))
        cm = tm if shared else self._grown(np.asarray(problem.costs), tm.shape[0])
        self.problem = replace(problem, requests=list(problem.requests), times=tm, costs=cm)
        self._open(plan, len(problem.requests) + max(1, spare_requests))

    @staticmethod
    def _grown(matrix: np.ndarray, size: int) -> np.ndarray:
        dtype = np.float32 if matrix.dtype == np.float32 else np.float64
        out = np.zeros((size, size), dtype)
        m = matrix.shape[0]
        out[:m, :m] = matrix
        return out

    def _open(self, plan: Plan | None, capacity: int):
        """Compile the day with `capacity` request slots and schedule the plan (slow; at the start and on growth)."""
        self.data, self.lock, self.locked, start_routes = _compile(self.problem, plan, capacity=capacity)
        self.P = kx.pack(self.data, self.lock, self.locked)
        self.state = _start_state(self.data, self.P, self.lock, self.locked, start_routes)
        if len(self.state.unassigned):
            _repair(self.state, self.state.unassigned, 2, 0.0, 0, self.P)
        self._vrows: dict = {}
        self._ppos = np.empty(max(self.data.n, 1), np.int64)
        self.reasons = {self.problem.requests[int(i)].id: _reason(self.data, int(i), self.P)
                        for i in self.state.unassigned}

    # places -------------------------------------------------------------------------------------------------
    def add_location(self, times_from, times_to, costs_from=None, costs_to=None) -> int:
        """Add a place given its travel times from it to every location and from every location to it (and the
        costs, unless the problem's costs are its times); returns its location index."""
        L = self.locations
        times_from, times_to = np.asarray(times_from, float), np.asarray(times_to, float)
        shared = self.problem.costs is self.problem.times
        if times_from.shape != (L,) or times_to.shape != (L,):
            raise ValueError(f"A new place needs travel times to and from each of the {L} locations.")
        if (times_from < 0).any() or (times_to < 0).any():
            raise ValueError("Travel times must not be negative.")
        if not shared and (costs_from is None or costs_to is None):
            raise ValueError("This day's costs are not its times: give the new place's costs as well.")
        if L == self.problem.times.shape[0]:
            self._grow_locations(2 * L + 1)
        tm, cm = self.problem.times, self.problem.costs
        tm[L, :L], tm[:L, L], tm[L, L] = times_from, times_to, 0.0
        if not shared:
            cm[L, :L], cm[:L, L], cm[L, L] = np.asarray(costs_from, float), np.asarray(costs_to, float), 0.0
        self.locations = L + 1
        return L

    def add_point(self, point, depart: float | None = None) -> int:
        """Add a place by its (lat, lon), asking the session's provider for its travel; returns its index."""
        if self.provider is None or self.points is None:
            raise ValueError("This session was opened without points and a travel provider.")
        t_out, c_out = self.provider.between([point], self.points, depart)
        t_in, c_in = self.provider.between(self.points, [point], depart)
        index = self.add_location(t_out[0], t_in[:, 0], c_out[0], c_in[:, 0])
        self.points.append(tuple(point))
        return index

    def _grow_locations(self, size: int):
        shared = self.problem.costs is self.problem.times
        tm = self._grown(self.problem.times[:self.locations, :self.locations], size)
        cm = tm if shared else self._grown(self.problem.costs[:self.locations, :self.locations], size)
        self.problem.times, self.problem.costs = tm, cm
        self.data.tm, self.data.cm = tm, cm
        self.P = kx.pack(self.data, self.lock, self.locked)

    # requests -----------------------------------------------------------------------------------------------
    def insert(self, request: Request, *, vehicles: Sequence | None = None, now: float | None = None,
               pin: bool = False) -> Insertion:
        """Put one new request into the running plan by cheapest feasible insertion (nothing else moves).

        `vehicles`: only these vehicle ids may take it (a dispatcher's manual assignment); `now`: none of its stops
        is planned before this minute; `pin`: it then stays on the vehicle it got, through later re-plans.
        """
        started = time.perf_counter()
        data = self.data
        if request.id in data.request_index:
            raise ValueError(f"Request {request.id!r} is already in the day.")
        for stop in (request.pickup, request.dropoff):
            if not 0 <= stop.location < self.locations:
                raise ValueError(f"Request {request.id!r}: location {stop.location} is not a place of this day.")
            if stop.service < 0:
                raise ValueError("Service times must not be negative.")
        ks = None
        if vehicles is not None:
            unknown = [v for v in vehicles if v not in data.vehicle_index]
            if unknown:
                raise ValueError(f"Vehicle {unknown[0]!r} is not in the problem.")
            ks = tuple(sorted(data.vehicle_index[v] for v in vehicles))
        if now is not None:
            request = replace(request, pickup=replace(request.pickup, window=(max(request.pickup.window[0], now),
                                                                               request.pickup.window[1])),
                              dropoff=replace(request.dropoff, window=(max(request.dropoff.window[0], now),
                                                                       request.dropoff.window[1])))
        if len(self.problem.requests) == data.n:
            self._grow_requests()
            data = self.data
        i = len(self.problem.requests)
        self.problem.requests.append(request)
        data.request_index[request.id] = i
        n = data.n
        for node, stop, sign in ((i, request.pickup, 1), (n + i, request.dropoff, -1)):
            data.loc[node] = stop.location
            data.e[node], data.l[node] = stop.window
            if self._now is not None and self._now > data.e[node]:
                data.e[node] = self._now
            data.d[node] = stop.service
            data.q[node] = (sign * request.seats, sign * request.wheelchairs)
        direct = float(data.tm[request.pickup.location, request.dropoff.location])
        data.maxride[i] = request.max_ride if request.max_ride is not None else self.problem.ride_rule.limit(direct)
        if ks is not None:
            data.vset[i] = self._vehicle_row(ks)
        one = np.array([i], np.int64)
        left = kx.repair(one, 1, 1, 0.0, 0, self.state.R, self.state.lens, self.state.Bt, self.state.Zt,
                         self.state.ld, self.P)
        result = Insertion(request=request.id, vehicle=None)
        if left:
            self.state.unassigned = np.append(self.state.unassigned, i)
            result.reason = self.reasons[request.id] = _reason(data, i, self.P)
        else:
            k, pp, dp = self._where(i)
            result.vehicle = self.problem.vehicles[k].id
            result.pickup, result.dropoff = float(self.state.Bt[k, pp]), float(self.state.Bt[k, dp])
            if pin:
                self._pinned.add(request.id)
                data.vset[i] = self._vehicle_row((k,))
                data.pinned[i] = True
        result.seconds = time.perf_counter() - started
        return result

    def _vehicle_row(self, ks: tuple) -> int:
        """The row of data.vsets allowing exactly vehicles `ks` (rows are reused, so they stay few)."""
        row = self._vrows.get(ks)
        if row is None:
            self.data.restrict([], ks)
            row = self._vrows[ks] = len(self.data.vsets) - 1
            self.P = kx.pack(self.data, self.lock, self.locked)
        return row

    def _where(self, i: int):
        """(vehicle, pickup position, drop-off position) of routed request i."""
        st, n = self.state, self.data.n
        ks, ps = np.nonzero(st.R == i)
        for k, p in zip(ks, ps):
            if p < st.lens[k]:
                row = st.R[k, :st.lens[k]]
                return int(k), int(p), int(np.flatnonzero(row == n + i)[0])
        raise LookupError(i)

    def _grow_requests(self):
        plan = self.plan()
        self.problem.requests = [r for r in self.problem.requests if r.id not in self._cancelled]
        self._cancelled = set()
        self._open(plan, 2 * self.data.n)

    def cancel(self, request_id) -> None:
        """Take a request out of the day (a cancellation); the rest of its route keeps its order."""
        i = self._index(request_id)
        if self.locked[i]:
            raise ValueError(f"Request {request_id!r} has a stop that has already happened; it cannot be cancelled.")
        mask = np.zeros(max(self.data.n, 1), np.bool_)
        mask[i] = True
        st = self.state
        if not (st.unassigned == i).any():
            kx.remove_requests(mask, st.R, st.lens, st.Bt, st.Zt, st.ld, self.P)
            if not mask[i]:
                raise ValueError(f"Request {request_id!r} cannot be taken out without making its route late.")
        st.unassigned = st.unassigned[st.unassigned != i]
        self.reasons.pop(request_id, None)
        self._pinned.discard(request_id)
        self._cancelled.add(request_id)
        self._retire(i)

    def _retire(self, i: int):
        d = self.data
        d.e[i] = d.e[d.n + i] = 1.0
        d.l[i] = d.l[d.n + i] = 0.0  # an empty window: never inserted again
        d.q[i] = d.q[d.n + i] = 0

    def fix(self, request_id, kind: str, start: float) -> list:
        """Record that a stop has happened at `start` (a pickup made, a passenger dropped off).

        The stop must be the next one of its vehicle. When the real time makes the rest of the route infeasible
        (a late vehicle), the route's requests that are not on board are taken off and put back where they fit;
        returns the ids of the requests that changed vehicle or were left out.
        """
        i = self._index(request_id)
        node = i if kind == "pickup" else self.data.n + i
        st = self.state
        for k in range(self.data.K):
            p = int(self.lock[k])  # position of the next stop that has not happened
            if p < st.lens[k] - 1 and st.R[k, p] == node:
                break
        else:
            raise ValueError(f"The {kind} of request {request_id!r} is not the next stop of any vehicle.")
        self.data.e[node] = self.data.l[node] = start
        self.lock[k] = p + 1
        self.locked[i] = True
        self._fixed.append(Fixed(request=request_id, kind=kind, start=float(start)))
        if kx.route_state(k, st.R, st.lens, st.Bt, st.Zt, st.ld, self.P, self._ppos):
            return []
        # Keep the stops that happened and their passengers' drop-offs; re-insert the others anywhere they fit.
        row = st.R[k, :st.lens[k]].copy()
        n = self.data.n
        keep = [v for v in row[1:-1] if self.locked[v % n]]
        moved = sorted({int(v) for v in row[1:-1] if not self.locked[v % n] and v < n})
        new = [row[0], *keep, row[-1]]
        st.R[k, :len(new)] = new
        st.lens[k] = len(new)
        kx.route_state(k, st.R, st.lens, st.Bt, st.Zt, st.ld, self.P, self._ppos)
        pending = np.array(moved, np.int64)
        left = kx.repair(pending, len(pending), 1, 0.0, 0, st.R, st.lens, st.Bt, st.Zt, st.ld, self.P)
        st.unassigned = np.sort(np.concatenate([st.unassigned, pending[:left]]))
        changed = []
        for x in moved:
            rid = self.problem.requests[x].id
            if (st.unassigned == x).any():
                self.reasons[rid] = _reason(self.data, x, self.P)
                changed.append(rid)
            elif self._where(x)[0] != k:
                changed.append(rid)
        return changed

    def _index(self, request_id) -> int:
        i = self.data.request_index.get(request_id)
        if i is None or request_id in self._cancelled:
            raise KeyError(f"Request {request_id!r} is not in the day.")
        return i

    # results ------------------------------------------------------------------------------------------------
    def solution(self) -> Solution:
        """The running plan as a Solution (routes over the session's node numbers, reasons of the unserved)."""
        data, st = self.data, self.state
        routes = [st.R[k, :st.lens[k]].copy() for k in range(data.K)]
        starts = [st.Bt[k, :st.lens[k]].copy() for k in range(data.K)]
        unserved = {self.problem.requests[int(i)].id: self.reasons.get(self.problem.requests[int(i)].id)
                    or _reason(data, int(i), self.P) for i in st.unassigned}
        return Solution(data=data, routes=routes, starts=starts, cost=st.cost(self.P), unserved=unserved)

    def plan(self) -> Plan:
        """The running plan (stops in order, the fixed stops, the pins) for a re-plan or a new session."""
        data, st = self.data, self.state
        routes = {self.problem.vehicles[k].id: [data.describe(int(v)) for v in st.R[k, 1:st.lens[k] - 1]]
                  for k in range(data.K)}
        return Plan(routes=routes, fixed=list(self._fixed), now=self._now, pinned=set(self._pinned))

    def current_problem(self) -> Problem:
        """The day as a plain Problem (the requests so far without the cancelled, matrices over the places so far)."""
        L = self.locations
        times = self.problem.times[:L, :L]
        shared = self.problem.costs is self.problem.times
        return replace(self.problem, requests=[r for r in self.problem.requests if r.id not in self._cancelled],
                       times=times, costs=times if shared else self.problem.costs[:L, :L])
