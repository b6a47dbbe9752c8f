"""Exact allocation of lots to needs as a min-cost flow through category hubs (OR-Tools), proven optimal.

Network, one per independent part of the campaign (see docs/decisions/0004-allocation-engine.md):

    S -> lot (lot quantity) -> hub -> need (need quantity, cost -priority/quantity per unit)
      -> household-item node (the largest quantity among that household's needs of that item) -> T,  S -> T free.

A hub stands for (item, region, category) or (item, region, anyone); with cross_region the region is dropped. An
unrestricted lot feeds its "anyone" hub, a restricted lot the hub of each of its categories; a need draws from its
"anyone" hub and from the hub of each of its categories. So a lot reaches a need exactly when it may serve it, with
arcs in proportion to lots + needs rather than lots × needs.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from ortools.graph.python import min_cost_flow

from .model import Instance, compatible, exact

ANY = ("any",)  # the hub key of unrestricted lots; a tuple, so it never equals a category (a string or integer)

# Reason codes for each need; the Django layer translates them. REASONS gives the English sentence.
EXCLUDED = "excluded"
NOTHING_ASKED = "nothing_asked"
SERVED = "served"
PARTIAL = "partial"
NO_LOT = "no_lot"
NOT_ELIGIBLE = "not_eligible"
HOUSEHOLD_CAP = "household_cap"
LOTS_EXHAUSTED = "lots_exhausted"
ZERO_PRIORITY = "zero_priority"
REASONS = {
    EXCLUDED: "Excluded by the coordinator.",
    NOTHING_ASKED: "The need asks for nothing.",
    SERVED: "Served in full.",
    PARTIAL: "Served in part.",
    NO_LOT: "No lot of this item in the need's region.",
    NOT_ELIGIBLE: "Lots of this item in the region are restricted to categories the household does not have.",
    HOUSEHOLD_CAP: "The household already reached its limit for this item through its other needs.",
    LOTS_EXHAUSTED: "Every lot that could serve it went to needs with a higher priority per unit.",
    ZERO_PRIORITY: "Its priority is zero, so serving it adds nothing.",
}

# OR-Tools' cost scaling multiplies costs by the number of nodes and needs headroom in 64 bits.
_INT64_HEADROOM = 2 ** 61


@dataclass
class Allocation:
    """The result: exact objective, whether it is proven optimal, the (need, lot, quantity) assignments, and for
    every need of the instance (in its order) the units served and the reason code (see REASONS)."""

    objective_exact: Fraction
    optimal: bool
    assignments: list[tuple]
    need_ids: list
    served: list[int]
    reasons: list[str]
    partial_causes: dict = field(default_factory=dict)  # need id -> HOUSEHOLD_CAP / LOTS_EXHAUSTED for PARTIAL
    lots_left: dict = field(default_factory=dict)  # lot id -> units not given
    stats: dict = field(default_factory=dict)

    @property
    def objective(self) -> float:
        return float(self.objective_exact)

    def reason(self, need_id) -> str:
        """The reason code of one need."""
        return self.reasons[self._index()[need_id]]

    def served_units(self, need_id) -> int:
        """Units given to one need."""
        return self.served[self._index()[need_id]]

    def _index(self) -> dict:
        if "_index" not in self.stats:
            self.stats["_index"] = {nid: i for i, nid in enumerate(self.need_ids)}
        return self.stats["_index"]

    def to_json(self) -> dict:
        """The `qamqor allocate` output format."""
        return {"objective": self.objective, "optimal": self.optimal,
                "assignments": [{"need": n, "lot": lot, "quantity": q} for n, lot, q in self.assignments]}


class SolverError(RuntimeError):
    """OR-Tools did not solve a part of the campaign (should not happen on valid input)."""


def allocate(instance: Instance, *, exact_cost_limit: int | None = None, verify_seconds: float = 60.0,
             workers: int = 1) -> Allocation:
    """Allocate the instance's lots to its needs, maximising Σ priority × served ÷ quantity, exactly.

    `exact_cost_limit` caps the integer costs handed to OR-Tools (default: what 64-bit arithmetic allows); a part of
    the campaign whose exact costs would exceed it is solved with scaled costs and then proven optimal (or improved)
    in exact rational arithmetic, for at most `verify_seconds` in all; `optimal` is false only if that ran out.
    `workers` > 1 solves the independent parts in that many forked processes (POSIX; for the command line and
    benchmarks, not inside a threaded web server).
    """
    started = time.perf_counter()
    cross = instance.cross_region
    needs = instance.needs
    lots = instance.lots
    excluded_needs, excluded_lots = instance.excluded_needs, instance.excluded_lots

    # -- what the locks take before the solver runs -------------------------------------------------------------
    need_index = {n.id: i for i, n in enumerate(needs)}
    lot_index = {lot.id: j for j, lot in enumerate(lots)}
    need_rem = [0 if n.id in excluded_needs else n.quantity for n in needs] if excluded_needs \
        else [n.quantity for n in needs]
    lot_rem = [0 if lot.id in excluded_lots else lot.quantity for lot in lots] if excluded_lots \
        else [lot.quantity for lot in lots]
    served = [0] * len(needs)
    locked_pairs: dict[int, set[int]] = defaultdict(set)  # need -> lots it has a lock with
    assignments: dict[tuple[int, int], int] = defaultdict(int)
    for lock in instance.locks:
        i, j = need_index[lock.need], lot_index[lock.lot]
        locked_pairs[i].add(j)
        if lock.quantity:
            need_rem[i] -= lock.quantity
            lot_rem[j] -= lock.quantity
            served[i] += lock.quantity
            assignments[(i, j)] += lock.quantity

    # -- household caps: of one item a household receives at most the largest quantity one of its needs asks -----
    hh_cap: dict = {}
    hh_of = [None] * len(needs)
    for i, n in enumerate(needs):
        if n.id in excluded_needs:
            continue
        key = (n.household, n.item)
        hh_of[i] = key
        if n.quantity > hh_cap.get(key, -1):
            hh_cap[key] = n.quantity
    hh_rem = dict(hh_cap)
    for i, units in enumerate(served):
        if units:
            hh_rem[hh_of[i]] -= units

    # -- parts of the campaign that share nothing are solved apart: (item, region) groups, or item with cross_region,
    # joined where a household has needs of one item in two regions ----------------------------------------------
    group_of_need = [None] * len(needs)
    groups: dict = {}
    for i, n in enumerate(needs):
        if hh_of[i] is not None:
            g = n.item if cross else (n.item, n.region)
            group_of_need[i] = groups.setdefault(g, len(groups))
    parent = list(range(len(groups)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    if not cross:
        first_group: dict = {}
        for i, key in enumerate(hh_of):
            if key is not None:
                g = group_of_need[i]
                other = first_group.setdefault(key, g)
                if other != g:
                    parent[find(g)] = find(other)
    part_needs: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(group_of_need):
        if g is not None:
            part_needs[find(g)].append(i)
    part_lots: dict[int, list[int]] = defaultdict(list)
    group_has_lot = [False] * len(groups)
    group_of_lot = [None] * len(lots)
    for j, lot in enumerate(lots):
        if lot.id in excluded_lots:
            continue
        g = groups.get(lot.item if cross else (lot.item, lot.region))
        if g is not None:
            group_has_lot[g] = True
            group_of_lot[j] = g
            part_lots[find(g)].append(j)

    ctx = _Context(instance, need_rem, lot_rem, hh_of, hh_rem, group_of_need, group_of_lot, locked_pairs,
                   exact_cost_limit, started + verify_seconds)
    objective = Fraction(0)
    for i, units in enumerate(served):
        if units:
            objective += exact(needs[i].priority) * units / needs[i].quantity
    has_compatible = [False] * len(needs)
    optimal = True
    stats = {"parts": 0, "parts_scaled": 0, "cycles_cancelled": 0, "nodes": 0, "arcs": 0, "solver_seconds": 0.0}
    roots = sorted(part_needs, key=lambda r: -len(part_needs[r]))
    if workers > 1 and len(roots) > 1:
        global _FORKED
        _FORKED = (ctx, part_needs, part_lots)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                batches = [roots[k::4 * workers] for k in range(4 * workers)]
                for result in pool.imap_unordered(_solve_batch, batches):
                    part_objective, proven, part_served, part_assignments, compatible_needs, part_stats = result
                    objective += part_objective
                    optimal &= proven
                    for i, units in part_served:
                        served[i] += units
                    for i, j, units in part_assignments:
                        assignments[(i, j)] += units
                    for i in compatible_needs:
                        has_compatible[i] = True
                    for k, v in part_stats.items():
                        stats[k] += v
        finally:
            _FORKED = None
    else:
        for root in roots:
            part = ctx.solve_part(part_needs[root], part_lots.get(root, []), has_compatible, served, assignments,
                                  stats)
            objective += part.objective
            optimal &= part.proven
    stats["build_solve_seconds"] = round(time.perf_counter() - started, 3)

    # -- reasons ------------------------------------------------------------------------------------------------
    hh_served: dict = defaultdict(int)
    for i, units in enumerate(served):
        if units:
            hh_served[hh_of[i]] += units
    reasons = [""] * len(needs)
    partial_causes = {}
    for i, n in enumerate(needs):
        key = hh_of[i]
        if key is None:
            reasons[i] = EXCLUDED
            continue
        units = served[i]
        if n.quantity == 0:
            reasons[i] = NOTHING_ASKED
        elif units == n.quantity:
            reasons[i] = SERVED
        else:
            capped = hh_served[key] >= hh_cap[key]
            if units:
                reasons[i] = PARTIAL
                partial_causes[n.id] = HOUSEHOLD_CAP if capped else LOTS_EXHAUSTED
            elif not group_has_lot[group_of_need[i]]:
                reasons[i] = NO_LOT
            elif not has_compatible[i]:
                reasons[i] = NOT_ELIGIBLE
            elif capped:
                reasons[i] = HOUSEHOLD_CAP
            elif n.priority == 0:
                reasons[i] = ZERO_PRIORITY
            else:
                reasons[i] = LOTS_EXHAUSTED

    given = [0] * len(lots)
    out = []
    for (i, j), units in assignments.items():
        if units:
            given[j] += units
            out.append((needs[i].id, lots[j].id, units))
    lots_left = {lot.id: (0 if lot.id in excluded_lots else lot.quantity - given[j]) for j, lot in enumerate(lots)}
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return Allocation(objective, optimal, out, [n.id for n in needs], served, reasons, partial_causes, lots_left,
                      stats)


_FORKED = None  # (context, part needs, part lots), inherited by forked workers


def _solve_batch(roots):
    """Solve some parts in a forked worker; return only what changed, to be merged by the parent."""
    ctx, part_needs, part_lots = _FORKED
    n = len(ctx.needs)
    served: list[int] = [0] * n
    has_compatible = [False] * n
    assignments: dict = defaultdict(int)
    stats = {"parts": 0, "parts_scaled": 0, "cycles_cancelled": 0, "nodes": 0, "arcs": 0, "solver_seconds": 0.0}
    objective = Fraction(0)
    proven = True
    touched = []
    for root in roots:
        members = part_needs[root]
        touched.extend(members)
        part = ctx.solve_part(members, part_lots.get(root, []), has_compatible, served, assignments, stats)
        objective += part.objective
        proven &= part.proven
    return (objective, proven, [(i, served[i]) for i in touched if served[i]],
            [(i, j, u) for (i, j), u in assignments.items()], [i for i in touched if has_compatible[i]], stats)


@dataclass
class _PartResult:
    objective: Fraction
    proven: bool


class _Context:
    """What solving one part needs from the whole instance."""

    def __init__(self, instance, need_rem, lot_rem, hh_of, hh_rem, group_of_need, group_of_lot, locked_pairs,
                 exact_cost_limit, deadline):
        self.needs, self.lots, self.cross = instance.needs, instance.lots, instance.cross_region
        self.need_rem, self.lot_rem, self.hh_of, self.hh_rem = need_rem, lot_rem, hh_of, hh_rem
        self.group_of_need, self.group_of_lot, self.locked_pairs = group_of_need, group_of_lot, locked_pairs
        self.exact_cost_limit, self.deadline = exact_cost_limit, deadline
        self.value_cache: dict = {}  # (priority, quantity) -> (numerator, denominator) of priority ÷ quantity

    def value(self, key) -> tuple[int, int]:
        w = self.value_cache.get(key)
        if w is None:
            f = exact(key[0]) / key[1]
            w = self.value_cache[key] = (f.numerator, f.denominator)
        return w

    def solve_part(self, members, part_lots, has_compatible, served, assignments, stats) -> _PartResult:
        needs, lots, cross = self.needs, self.lots, self.cross
        need_rem, lot_rem, hh_of, hh_rem = self.need_rem, self.lot_rem, self.hh_of, self.hh_rem
        group_of_need, group_of_lot, locked_pairs = self.group_of_need, self.group_of_lot, self.locked_pairs

        # Hubs: per group, category (or ANY) -> hub number; hub_lots[h] lists the lots feeding hub h.
        hubs_by_group: dict[int, dict] = {}
        hub_lots: list[list[int]] = []
        for j in part_lots:
            cats = hubs_by_group.setdefault(group_of_lot[j], {})
            restricted = lots[j].restricted_to
            for c in ((dict.fromkeys(restricted) if len(restricted) > 1 else restricted) if restricted else (ANY,)):
                h = cats.get(c)
                if h is None:
                    h = cats[c] = len(hub_lots)
                    hub_lots.append([])
                hub_lots[h].append(j)

        # Nodes: 0 = S, 1 = T, then lots, hubs, needs, household-item nodes. Arcs are appended in blocks whose
        # meaning is kept beside them, to read the flow back.
        need_hubs: list = []  # (need, hub numbers), for needs that go through hubs
        direct: list[int] = []  # needs with a lock: joined to each allowed lot directly (a hub cannot forbid a pair)
        hub_used = [False] * len(hub_lots)
        for i in members:
            cats = hubs_by_group.get(group_of_need[i])
            if cats is None:
                continue
            categories = needs[i].categories
            hs = [cats[c] for c in (dict.fromkeys(categories) if len(categories) > 1 else categories) if c in cats]
            if ANY in cats:
                hs.append(cats[ANY])
            if not hs:
                continue
            has_compatible[i] = True
            if need_rem[i] <= 0 or hh_rem[hh_of[i]] <= 0:
                continue
            if i in locked_pairs:
                direct.append(i)
                continue
            need_hubs.append((i, hs))
            for h in hs:
                hub_used[h] = True
        tails: list[int] = []
        heads: list[int] = []
        caps: list[int] = []
        next_node = 2
        lot_node = {}
        for j in part_lots:
            if lot_rem[j] > 0:
                lot_node[j] = next_node
                tails.append(0)
                heads.append(next_node)
                caps.append(lot_rem[j])
                next_node += 1
        n_lot_arcs = len(tails)
        hub_node = [-1] * len(hub_lots)
        lot_hub_arcs = []  # (lot, hub)
        for h, feeders in enumerate(hub_lots):
            if not hub_used[h]:
                continue
            for j in feeders:
                node = lot_node.get(j)
                if node is not None:
                    if hub_node[h] < 0:
                        hub_node[h] = next_node
                        next_node += 1
                    lot_hub_arcs.append((j, h))
                    tails.append(node)
                    heads.append(hub_node[h])
                    caps.append(lot_rem[j])
        need_node = {}
        hub_need_arcs = []  # (hub, need)
        for i, hs in need_hubs:
            node = None
            for h in hs:
                hn = hub_node[h]
                if hn >= 0:
                    if node is None:
                        node = need_node[i] = next_node
                        next_node += 1
                    hub_need_arcs.append((h, i))
                    tails.append(hn)
                    heads.append(node)
                    caps.append(need_rem[i])
        direct_arcs = []  # (lot, need)
        for i in direct:
            n = needs[i]
            forbidden = locked_pairs[i]
            for j, lnode in lot_node.items():
                if j not in forbidden and compatible(n, lots[j], cross):
                    if i not in need_node:
                        need_node[i] = next_node
                        next_node += 1
                    direct_arcs.append((j, i))
                    tails.append(lnode)
                    heads.append(need_node[i])
                    caps.append(need_rem[i])
        # need -> household-item node, or -> T when it is the household's only need of the item here
        count: dict = defaultdict(int)
        for i in need_node:
            count[hh_of[i]] += 1
        hh_node = {}
        for key, k in count.items():
            if k > 1:
                hh_node[key] = next_node
                next_node += 1
        first_need_arc = len(tails)
        need_arcs = list(need_node)
        value_keys = []
        for i in need_arcs:
            n = needs[i]
            key = hh_of[i]
            value_keys.append((n.priority, n.quantity))
            tails.append(need_node[i])
            h = hh_node.get(key)
            if h is not None:
                heads.append(h)
                caps.append(need_rem[i])
            else:
                heads.append(1)
                caps.append(min(need_rem[i], hh_rem[key]))
        first_hh_arc = len(tails)
        for key, node in hh_node.items():
            tails.append(node)
            heads.append(1)
            caps.append(hh_rem[key])
        supply = sum(caps[:n_lot_arcs])
        tails.append(0)
        heads.append(1)
        caps.append(supply)
        if not need_arcs:
            return _PartResult(Fraction(0), True)
        n_nodes, n_arcs = next_node, len(tails)
        stats["parts"] += 1
        stats["nodes"] += n_nodes
        stats["arcs"] += n_arcs

        # Costs: exact integers (priority ÷ quantity × the common denominator) when they fit, else scaled and then
        # proven in exact arithmetic.
        distinct = {key: self.value(key) for key in set(value_keys)}
        denominator = 1
        for _, den in distinct.values():
            denominator = math.lcm(denominator, den)
        limit = self.exact_cost_limit or _INT64_HEADROOM // (4 * (n_nodes + 1))
        exact_cost = {key: num * (denominator // den) for key, (num, den) in distinct.items()}
        exact_costs = max(exact_cost.values()) <= limit
        if exact_costs:
            cost_of = exact_cost
        else:
            scale = limit / max(num / den for num, den in distinct.values())
            cost_of = {key: round(num / den * scale) for key, (num, den) in distinct.items()}
        costs = np.zeros(n_arcs, dtype=np.int64)
        costs[first_need_arc:first_hh_arc] = [-cost_of[key] for key in value_keys]
        flows = self._run(np.asarray(tails, dtype=np.int64), np.asarray(heads, dtype=np.int64),
                          np.asarray(caps, dtype=np.int64), costs, n_nodes, supply, stats)
        proven = True
        if exact_costs:
            total = -int(np.dot(flows[first_need_arc:first_hh_arc], costs[first_need_arc:first_hh_arc]))
            objective = Fraction(total, denominator)
        else:
            stats["parts_scaled"] += 1
            values = [Fraction(*distinct[key]) for key in value_keys]
            proven = _prove_or_improve(tails, heads, caps, flows, first_need_arc, values, n_nodes, self.deadline,
                                       stats)
            objective = sum((values[p] * int(flows[first_need_arc + p])
                             for p in np.flatnonzero(flows[first_need_arc:first_hh_arc]).tolist()), Fraction(0))

        # Read the flow back: per hub, pair the lots that fed it with the needs it fed, in any order, since every
        # lot of a hub may serve every need of it.
        block = flows[first_need_arc:first_hh_arc]
        for p in np.flatnonzero(block).tolist():
            served[need_arcs[p]] += int(block[p])
        base = n_lot_arcs
        inflow: dict = defaultdict(list)
        block = flows[base:base + len(lot_hub_arcs)]
        for p in np.flatnonzero(block).tolist():
            j, h = lot_hub_arcs[p]
            inflow[h].append([j, int(block[p])])
        base += len(lot_hub_arcs)
        outflow: dict = defaultdict(list)
        block = flows[base:base + len(hub_need_arcs)]
        for p in np.flatnonzero(block).tolist():
            h, i = hub_need_arcs[p]
            outflow[h].append((i, int(block[p])))
        for h, takers in outflow.items():
            givers = deque(inflow[h])
            for i, want in takers:
                while want:
                    giver = givers[0]
                    units = min(want, giver[1])
                    assignments[(i, giver[0])] += units
                    want -= units
                    giver[1] -= units
                    if not giver[1]:
                        givers.popleft()
        base += len(hub_need_arcs)
        block = flows[base:base + len(direct_arcs)]
        for p in np.flatnonzero(block).tolist():
            j, i = direct_arcs[p]
            assignments[(i, j)] += int(block[p])
        return _PartResult(objective, proven)

    @staticmethod
    def _run(tails, heads, caps, costs, n_nodes, supply, stats):
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
        supplies = np.zeros(n_nodes, dtype=np.int64)
        supplies[0], supplies[1] = supply, -supply
        solver.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supplies)
        t = time.perf_counter()
        status = solver.solve()
        stats["solver_seconds"] += time.perf_counter() - t
        if status != solver.OPTIMAL:
            raise SolverError(f"the min-cost flow solver stopped with status {status!r}")
        return solver.flows(np.arange(len(tails), dtype=np.int64)).astype(np.int64)


def _prove_or_improve(tails, heads, caps, flows, first_need_arc, values, n_nodes, deadline, stats) -> bool:
    """Prove, in exact rational arithmetic, that `flows` is optimal for the true costs (-priority/quantity per unit
    on need arcs, 0 elsewhere), cancelling any negative residual cycle first; `flows` is changed in place.

    A flow is optimal exactly when its residual network has no cycle of negative cost (equivalently, node potentials
    exist that make every residual arc's reduced cost ≥ 0). Bellman-Ford from a virtual root finds such potentials
    or a negative cycle; the flow from scaled costs is close to optimal, so few cycles if any are left. Returns False
    if the deadline passes first (the flow is then feasible, and the best found)."""
    n_arcs = len(tails)
    cost = [0] * n_arcs
    for pos, w in enumerate(values):
        cost[first_need_arc + pos] = -w
    out_arcs: list[list[int]] = [[] for _ in range(n_nodes)]
    for a in range(n_arcs):
        out_arcs[tails[a]].append(a)  # forward residual arc a
        out_arcs[heads[a]].append(~a)  # backward residual arc of a
    flow = [int(f) for f in flows]
    while True:
        cycle = _negative_cycle(tails, heads, caps, flow, cost, out_arcs, n_nodes, deadline)
        if cycle is None:
            flows[:] = flow
            return True
        if cycle is False:
            flows[:] = flow
            return False
        delta = min(caps[a] - flow[a] if a >= 0 else flow[~a] for a in cycle)
        for a in cycle:
            if a >= 0:
                flow[a] += delta
            else:
                flow[~a] -= delta
        stats["cycles_cancelled"] += 1


def _negative_cycle(tails, heads, caps, flow, cost, out_arcs, n_nodes, deadline):
    """A negative-cost cycle of residual arcs (a list of arc codes, ~a for backward), None if there is none, or
    False if the deadline passed. Queue-based Bellman-Ford from a virtual root joined to every node at cost 0."""
    dist: list = [0] * n_nodes
    depth = [0] * n_nodes
    pred = [None] * n_nodes
    queue = deque(range(n_nodes))
    queued = [True] * n_nodes
    steps = 0
    while queue:
        u = queue.popleft()
        queued[u] = False
        du = dist[u]
        for a in out_arcs[u]:
            if a >= 0:
                if flow[a] >= caps[a]:
                    continue
                v, c = heads[a], cost[a]
            else:
                if flow[~a] <= 0:
                    continue
                v, c = tails[~a], -cost[~a]
            nd = du + c
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = a
                depth[v] = depth[u] + 1
                if depth[v] >= n_nodes:
                    cycle = _trace_cycle(v, pred, tails, heads, n_nodes)
                    if cycle is not None:
                        return cycle
                    depth[v] = 0
                if not queued[v]:
                    queued[v] = True
                    queue.append(v)
        steps += 1
        if not steps % 4096 and time.perf_counter() > deadline:
            return False
    return None


def _trace_cycle(v, pred, tails, heads, n_nodes):
    """A cycle of the predecessor graph (one exists once a path grows to n arcs; any such cycle has negative
    cost), looked for from v first, then from every node; None if there is none yet."""
    def tail_of(a):
        return tails[a] if a >= 0 else heads[~a]

    state = [0] * n_nodes  # 0 unseen, 1 on the current walk, 2 done
    for start in [v, *range(n_nodes)]:
        walk = []
        u = start
        while u is not None and state[u] == 0:
            state[u] = 1
            walk.append(u)
            u = tail_of(pred[u]) if pred[u] is not None else None
        if u is not None and state[u] == 1:
            cycle = []
            w = u
            while True:
                a = pred[w]
                cycle.append(a)
                w = tail_of(a)
                if w == u:
                    return cycle[::-1]
        for w in walk:
            state[w] = 2
    return None
