"""Adaptive large-neighbourhood search (Ropke & Pisinger 2006) for the dial-a-ride problem.

Construction by regret insertion, then each iteration removes q requests (random, worst or Shaw-related), puts
them back (greedy or regret-2/3, with or without noise), and accepts the result by simulated annealing; operator
weights adapt to their success. Every insertion is checked by the exact schedule test of `kernels.schedule`.
Runs are reproducible from the seed when stopped by an iteration count; `solve` runs one independent search per
worker process (seed, seed+1, ...) and keeps the best.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from dataclasses import dataclass, field

import numpy as np

from . import kernels as kx
from .model import Data, Plan, Problem

SEGMENT = 100  # iterations between operator weight updates
REACTION = 0.1
SCORES = (33.0, 9.0, 13.0)  # new best, better than current, accepted worse (Ropke & Pisinger)
INSERTIONS = ((1, False), (2, False), (3, False), (1, True), (2, True), (3, True))
REMOVALS = ("random", "worst", "shaw")


@dataclass
class Solution:
    """A plan: for vehicle k, routes[k] are its compiled nodes (depots included) and starts[k] their start times."""

    data: Data
    routes: list
    starts: list
    cost: float
    unserved: dict = field(default_factory=dict)  # request id -> reason
    iterations: int = 0
    seconds: float = 0.0
    seed: int = 0

    @property
    def objective(self) -> float:
        return self.cost + self.data.penalty * len(self.unserved)

    def stops(self) -> dict:
        """vehicle id -> [(what, kind, start)]: its start, the request stops (request id, "pickup" | "dropoff")
        and its end, each with its start of service (the form `check.check_routes` reads)."""
        return {self.data.problem.vehicles[k].id: [(*self.data.describe(int(v)), float(b)) for v, b in zip(nodes, bs)]
                for k, (nodes, bs) in enumerate(zip(self.routes, self.starts))}

    def plan(self) -> Plan:
        """The solution as a Plan of request stops (for warm starts)."""
        routes = {}
        for k, nodes in enumerate(self.routes):
            vid = self.data.problem.vehicles[k].id
            routes[vid] = [self.data.describe(int(v)) for v in nodes[1:-1]]
        return Plan(routes=routes)


class State:
    """Routes as arrays plus the per-position schedule, latest times and loads, the unassigned requests, and which
    routes changed since their last relocate descent (`dirty`)."""

    def __init__(self, R, lens, Bt, Zt, ld, unassigned, dirty=None):
        self.R, self.lens, self.Bt, self.Zt, self.ld, self.unassigned = R, lens, Bt, Zt, ld, unassigned
        self.dirty = np.ones(len(lens), np.bool_) if dirty is None else dirty

    @classmethod
    def empty(cls, data: Data, lock):
        K, width = data.K, 2 * min(data.n, max(1, data.problem.max_route_requests)) + 2
        R = np.zeros((K, width), np.int64)
        lens = np.full(K, 2, np.int64)
        for k in range(K):
            R[k, 0], R[k, 1] = 2 * data.n + 2 * k, 2 * data.n + 2 * k + 1
        return cls(R, lens, np.zeros(R.shape), np.zeros(R.shape), np.zeros(R.shape + (2,), np.int64),
                   np.arange(data.n, dtype=np.int64))

    def copy(self):
        return State(self.R.copy(), self.lens.copy(), self.Bt.copy(), self.Zt.copy(), self.ld.copy(),
                     self.unassigned.copy(), self.dirty.copy())

    def cost(self, P) -> float:
        return float(kx.route_costs(self.R, self.lens, P).sum())

    def mark_changed(self, before: "State") -> None:
        """Mark dirty the routes whose stops differ from those of `before`."""
        inside = np.arange(self.R.shape[1]) < self.lens[:, None]
        self.dirty |= (self.lens != before.lens) | ((self.R != before.R) & inside).any(axis=1)


def _compile(problem: Problem, plan: Plan | None, vehicles=None, capacity: int | None = None):
    """Data with fixed stops pinned, the frozen prefix length of each route, locked requests, and the start routes.

    Pinned requests may go only on the vehicle the plan gives them; with `vehicles`, the requests missing from the
    plan may go only on those vehicles.
    """
    fixed = list(plan.fixed) if plan else []
    now = plan.now if plan else None
    fixed_requests = {f.request for f in fixed}
    out = [vid for vid, stops in (plan.routes.items() if plan else ()) if any(r in fixed_requests for r, _ in stops)]
    data = Data(problem, fixed, now=now, vehicles_out=out, capacity=capacity)
    lock = np.ones(data.K, np.int64)
    locked = np.zeros(max(data.n, 1), np.bool_)
    start_routes = [[] for _ in range(data.K)]
    fixed_nodes = {data.node_of(f.request, f.kind) for f in fixed}
    for i in {data.request_index[f.request] for f in fixed}:
        locked[i] = True
    if plan:
        seen = set()
        for vid, stops in plan.routes.items():
            if vid not in data.vehicle_index:
                raise ValueError(f"The plan names vehicle {vid!r}, which is not in the problem.")
            k = data.vehicle_index[vid]
            nodes = [data.node_of(rid, kind) for rid, kind in stops]
            if seen & set(nodes) or len(set(nodes)) != len(nodes):
                raise ValueError("The plan visits a stop twice.")
            seen |= set(nodes)
            flags = [v in fixed_nodes for v in nodes]
            prefix = 0
            while prefix < len(flags) and flags[prefix]:
                prefix += 1
            if any(flags[prefix:]):
                raise ValueError(f"The fixed stops of vehicle {vid!r} must come first in its route.")
            lock[k] = 1 + prefix
            start_routes[k] = nodes
        if fixed_nodes - seen:
            raise ValueError("Every fixed stop must be in the plan's routes.")
        on_vehicle = {rid: vid for vid, stops in plan.routes.items() for rid, _ in stops}
        by_vehicle = {}
        for rid in plan.pinned:
            if rid not in on_vehicle or rid not in data.request_index:
                raise ValueError(f"The pinned request {rid!r} must be a request of the problem on a vehicle of the "
                                 f"plan.")
            by_vehicle.setdefault(data.vehicle_index[on_vehicle[rid]], []).append(data.request_index[rid])
        for k, reqs in sorted(by_vehicle.items()):
            data.restrict(reqs, [k])
            data.pinned[reqs] = True
    if vehicles is not None:
        unknown = [vid for vid in vehicles if vid not in data.vehicle_index]
        if unknown:
            raise ValueError(f"Vehicle {unknown[0]!r} is not in the problem.")
        routed = {data.request_index[rid] for stops in (plan.routes.values() if plan else ()) for rid, _ in stops}
        data.restrict([i for i in range(len(problem.requests)) if i not in routed],
                      [data.vehicle_index[v] for v in vehicles])
    return data, lock, locked, start_routes


def _start_state(data, P, lock, locked, start_routes):
    """The given routes as a State (unlocked requests of an infeasible route are set aside), the rest unassigned."""
    st = State.empty(data, lock)
    n = data.n
    routed = np.zeros(max(n, 1), np.bool_)
    ppos = np.empty(max(n, 1), np.int64)
    for k, nodes in enumerate(start_routes):
        if not nodes:
            continue
        reqs = {v % n for v in nodes}
        pairs_ok = all((i in reqs) and (n + i in nodes) and nodes.index(i) < nodes.index(n + i) for i in reqs)
        if not pairs_ok:
            raise ValueError(f"Vehicle {data.problem.vehicles[k].id!r}: every request needs its pickup before its "
                             f"drop-off on the same vehicle.")
        row = [2 * n + 2 * k, *nodes, 2 * n + 2 * k + 1]
        if len(row) > st.R.shape[1]:
            raise ValueError(f"Vehicle {data.problem.vehicles[k].id!r} has more requests than the problem allows "
                             f"on one vehicle ({data.problem.max_route_requests}).")
        st.R[k, :len(row)] = row
        st.lens[k] = len(row)
        if not kx.route_state(k, st.R, st.lens, st.Bt, st.Zt, st.ld, P, ppos):
            keep = [v for v in nodes if locked[v % n]]
            row = [2 * n + 2 * k, *keep, 2 * n + 2 * k + 1]
            st.R[k, :len(row)] = row
            st.lens[k] = len(row)
            lock[k] = len(row) - 1
            if not kx.route_state(k, st.R, st.lens, st.Bt, st.Zt, st.ld, P, ppos):
                raise ValueError(f"The fixed stops of vehicle {data.problem.vehicles[k].id!r} cannot be scheduled.")
            nodes = keep
        for v in nodes:
            routed[v % n] = True
    kx.all_states(st.R, st.lens, st.Bt, st.Zt, st.ld, P)
    st.unassigned = np.flatnonzero(~routed[:len(data.problem.requests)]).astype(np.int64)
    return st


def _repair(st, pending, kreg, noise, seed, P):
    pend = np.ascontiguousarray(pending, dtype=np.int64)
    left = kx.repair(pend, len(pend), kreg, noise, seed, st.R, st.lens, st.Bt, st.Zt, st.ld, P)
    st.unassigned = np.sort(pend[:left])


def _roulette(weights, rng):
    return int(np.searchsorted(np.cumsum(weights), rng.random() * weights.sum(), side="right").clip(0, len(weights) - 1))


# q_fraction, q_cap: most requests removed per iteration (share of the requests, absolute cap);
# start_worse: a solution this much worse is accepted with probability 1/2 at the start; end_ratio: final over
# starting temperature; ls: relocate descent on no candidate (0), a new best (1), or one within ls_near of the
# best (2), trying at most ls_work / vehicles requests in one descent (a try puts the request to every vehicle:
# with 8 vehicles the bound is never reached, with 280 a descent over every request would take the whole time
# limit of a city day); cycle: iterations per annealing cycle (0: one cycle to the limit).
TUNING = {"q_fraction": 0.35, "q_cap": 40, "start_worse": 0.05, "end_ratio": 0.002, "ls": 2, "ls_near": 0.005,
          "ls_work": 10_000, "cycle": 0}


def search(problem: Problem, *, seed: int = 0, time_limit: float = 10.0, iterations: int | None = None,
           warm_start: Plan | None = None, deadline: float | None = None, tuning: dict | None = None):
    """One ALNS run; returns (State of the best solution, iterations made, compiled data)."""
    started = time.monotonic()
    deadline = deadline if deadline is not None else started + time_limit
    data, lock, locked, start_routes = _compile(problem, warm_start)
    P = kx.pack(data, lock, locked)
    rng = np.random.default_rng(seed)
    n = data.n
    st = _start_state(data, P, lock, locked, start_routes)
    best = st.copy()
    best_f = best.cost(P) + data.penalty * len(best.unassigned)
    if n == 0:
        return best, 0, data
    _repair(st, st.unassigned, 2, 0.0, int(rng.integers(2**31)), P)
    f = st.cost(P) + data.penalty * len(st.unassigned)
    if f < best_f - 1e-9:
        best, best_f = st.copy(), f
    cur, cur_f = st, f
    maxc = float(data.cm.max()) if data.cm.size else 1.0
    span = float(np.ptp(np.concatenate([data.e[:2 * n], np.minimum(data.l[:2 * n], data.e.max() + 1)]))) or 1.0
    scale = (maxc or 1.0, span, float(max(1, data.q[:n].sum(axis=1).max() - data.q[:n].sum(axis=1).min())))
    tune = TUNING | (tuning or {})
    t0 = tune["start_worse"] * max(cur.cost(P), 1.0) / math.log(2)
    t_end_ratio = tune["end_ratio"]
    routable = int((~locked[:n]).sum())
    q_max = max(1, min(tune["q_cap"], int(tune["q_fraction"] * routable)))
    q_min = min(q_max, 2 if routable < 20 else 4)
    pinned = data.pinned
    pinned_any = bool(pinned[:n].any())
    w_rem, w_ins = np.ones(len(REMOVALS)), np.ones(len(INSERTIONS))
    s_rem, s_ins = np.zeros(len(REMOVALS)), np.zeros(len(INSERTIONS))
    c_rem, c_ins = np.zeros(len(REMOVALS)), np.zeros(len(INSERTIONS))
    it = 0
    # The annealing runs in cycles: to the time (or iteration) limit, or after `cycle` iterations when the limit
    # allows more; each new cycle restarts from the best solution at the start temperature.
    cycle_it, cycle_t = 0, started
    while True:
        if iterations is not None:
            if it >= iterations:
                break
            progress = (it - cycle_it) / max(iterations - cycle_it, 1)
        else:
            now = time.monotonic()
            if now >= deadline:
                break
            progress = (now - cycle_t) / max(deadline - cycle_t, 1e-9)
        if tune["cycle"]:
            progress = max(progress, (it - cycle_it) / tune["cycle"])
            if progress >= 1.0:
                cur, cur_f = best.copy(), best_f
                cycle_it, cycle_t, progress = it, time.monotonic(), 0.0
        it += 1
        temp = t0 * t_end_ratio ** progress
        cand = cur.copy()
        q = int(rng.integers(q_min, q_max + 1))
        ri, ii = _roulette(w_rem, rng), _roulette(w_ins, rng)
        removed = kx.choose_removal(ri, q, int(rng.integers(2**31)), cand.R, cand.lens, cand.Bt, P, *scale)
        mask = np.zeros(max(n, 1), np.bool_)
        mask[removed] = True
        kx.remove_requests(mask, cand.R, cand.lens, cand.Bt, cand.Zt, cand.ld, P)
        kreg, noisy = INSERTIONS[ii]
        pending = np.concatenate([removed[mask[removed]].astype(np.int64), cand.unassigned])
        _repair(cand, pending, kreg, 0.025 * maxc if noisy else 0.0, int(rng.integers(2**31)), P)
        cand.mark_changed(cur)
        cost = cand.cost(P)
        f = cost + data.penalty * len(cand.unassigned)
        if pinned_any and pinned[cand.unassigned].sum() > pinned[cur.unassigned].sum():
            # A dispatcher's manual assignment is never undone by the search: such a candidate is never accepted.
            f = math.inf
        elif tune["ls"] == 1 and f < best_f - 1e-9 or tune["ls"] == 2 and len(cand.unassigned) <= len(
                best.unassigned) and cost < (best_f - data.penalty * len(best.unassigned)) * (1 + tune["ls_near"]):
            kx.relocate_descent(int(rng.integers(2**31)), cand.R, cand.lens, cand.Bt, cand.Zt, cand.ld, P,
                                cand.dirty, max(1, tune["ls_work"] // max(data.K, 1)))
            f = cand.cost(P) + data.penalty * len(cand.unassigned)
        score = 0.0
        if f < best_f - 1e-9:
            best, best_f = cand.copy(), f
            score = SCORES[0]
        if f < cur_f - 1e-9:
            cur, cur_f = cand, f
            score = max(score, SCORES[1])
        elif f > cur_f + 1e-9 and f < math.inf and rng.random() < math.exp(-(f - cur_f) / max(temp, 1e-12)):
            cur, cur_f = cand, f
            score = max(score, SCORES[2])
        s_rem[ri] += score
        s_ins[ii] += score
        c_rem[ri] += 1
        c_ins[ii] += 1
        if it % SEGMENT == 0:
            for w, s, c in ((w_rem, s_rem, c_rem), (w_ins, s_ins, c_ins)):
                used = c > 0
                w[used] = w[used] * (1 - REACTION) + REACTION * s[used] / c[used]
                w[:] = np.maximum(w, 0.05)
                s[:] = 0
                c[:] = 0
    return best, it, data


# Why a request is left unserved: a stable code → the engine's sentence (English; the app translates by the code).
# The "_chosen" ones concern a request pinned or manually assigned to some vehicles.
REASONS = {
    "no_shift": "There is no vehicle on shift.",
    "capacity": "No vehicle has enough seats and wheelchair places for this request.",
    "capacity_chosen": "No vehicle chosen for it has enough seats and wheelchair places for this request.",
    "ride_time": "The maximum ride time is shorter than the direct trip.",
    "window": "The drop-off time window cannot be met even with a direct trip from the pickup window.",
    "busy": "Every vehicle that could take it is already busy at these times.",
    "busy_chosen": "Every vehicle chosen for it is already busy at these times.",
    "shift": "No vehicle's shift or maximum route duration can cover this ride.",
    "shift_chosen": "No vehicle chosen for it has a shift or maximum route duration that covers this ride.",
}


def _reason(data: Data, i: int, P=None) -> str:
    """Why request i could not be served, in a sentence for the dispatcher (one of REASONS). `P`: the kernel tuple
    of `data` (any locks), when the caller has it."""
    n, K = data.n, data.K
    if K == 0:
        return REASONS["no_shift"]
    chosen = data.vset[i] >= 0  # pinned by a dispatcher, or a manual assignment to some vehicles
    allowed = data.vsets[data.vset[i], :K] if chosen else np.ones(K, np.bool_)
    suffix = "_chosen" if chosen else ""
    q = data.q[i]
    fits = allowed & (data.cap[:K, 0] >= q[0]) & (data.cap[:K, 1] >= q[1])
    if not fits.any():
        return REASONS["capacity" + suffix]
    p, dr = i, n + i
    direct = float(data.tm[data.loc[p], data.loc[dr]])
    if direct > data.maxride[i] + 1e-9:
        return REASONS["ride_time"]
    if max(data.e[p], 0.0) + data.d[p] + direct > data.l[dr] + 1e-9:
        return REASONS["window"]
    if P is None:
        P = kx.pack(data, np.ones(K, np.int64), np.zeros(max(n, 1), np.bool_))
    return REASONS[("busy" if kx.alone(i, fits, P) else "shift") + suffix]


def _solution(data: Data, st: State, iterations: int, seconds: float, seed: int) -> Solution:
    P = kx.pack(data, np.ones(data.K, np.int64), np.zeros(max(data.n, 1), np.bool_))
    routes = [st.R[k, :st.lens[k]].copy() for k in range(data.K)]
    starts = [st.Bt[k, :st.lens[k]].copy() for k in range(data.K)]
    unserved = {data.problem.requests[int(i)].id: _reason(data, int(i), P) for i in st.unassigned}
    return Solution(data=data, routes=routes, starts=starts, cost=st.cost(P), unserved=unserved,
                    iterations=iterations, seconds=seconds, seed=seed)


def _worker(conn, problem, seed, time_limit, iterations, warm_start, deadline):
    try:
        st, it, _ = search(problem, seed=seed, time_limit=time_limit, iterations=iterations, warm_start=warm_start,
                           deadline=deadline)
        conn.send(("ok", (st.R, st.lens, st.Bt, st.unassigned, it)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def solve(problem: Problem, *, time_limit: float = 60.0, seed: int = 0, workers: int | None = None,
          iterations: int | None = None, warm_start: Plan | None = None) -> Solution:
    """Plan `problem`: ALNS with `workers` independent seeded searches (default: one per core, at most 2)."""
    started = time.monotonic()
    deadline = started + time_limit
    workers = workers or min(2, os.cpu_count() or 1)
    data, lock, locked, start_routes = _compile(problem, warm_start)
    P = kx.pack(data, lock, locked)
    results = []
    if workers > 1 and "forkserver" in multiprocessing.get_all_start_methods():
        # Not a plain fork: the caller may have threads (a web server, a test runner's watchdog), and a forked child
        # compiling numba kernels from a copy of a threaded process can crash. The fork server is single-threaded.
        ctx = multiprocessing.get_context("forkserver")
        pipes = []
        for w in range(1, workers):
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(child, problem, seed + w, time_limit, iterations, warm_start,
                                                     deadline), daemon=True)
            proc.start()
            child.close()
            pipes.append((parent, proc, seed + w))
        st, it, _ = search(problem, seed=seed, time_limit=time_limit, iterations=iterations, warm_start=warm_start,
                           deadline=deadline)
        results.append((st, it, seed))
        for parent, proc, s in pipes:
            try:
                status, payload = parent.recv()
            except EOFError:
                status, payload = "error", "worker ended without a result"
            proc.join()
            if status == "ok":
                R, lens, Bt, unassigned, it2 = payload
                w_state = State(R, lens, Bt, np.zeros_like(Bt), np.zeros(Bt.shape + (2,), np.int64), unassigned)
                results.append((w_state, it2, s))
    else:
        st, it, _ = search(problem, seed=seed, time_limit=time_limit, iterations=iterations, warm_start=warm_start,
                           deadline=deadline)
        results.append((st, it, seed))

    def objective(item):
        state = item[0]
        return state.cost(P) + data.penalty * len(state.unassigned)

    best = min(results, key=lambda item: (round(objective(item), 9), item[2]))
    total_it = sum(item[1] for item in results)
    return _solution(data, best[0], total_it, time.monotonic() - started, best[2])


def insert_request(problem: Problem, plan: Plan, vehicles=None) -> Solution:
    """Put the requests of `problem` missing from `plan` (typically one new same-day request) into the running
    plan by cheapest feasible insertion; the plan's stops keep their order and its fixed stops their times.

    With `vehicles` (vehicle ids), only those vehicles may take the new requests: a dispatcher's manual assignment
    is checked this way, and a request none of them can take is left unserved with the reason. For many insertions
    into one large running day, `Session` keeps the compiled day and is much faster.
    """
    started = time.monotonic()
    data, lock, locked, start_routes = _compile(problem, plan, vehicles)
    P = kx.pack(data, lock, locked)
    st = _start_state(data, P, lock, locked, start_routes)
    if len(st.unassigned):
        _repair(st, st.unassigned, 2, 0.0, 0, P)
    return _solution(data, st, 0, time.monotonic() - started, 0)
