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


def allocate(instance: Instance, *, exact_cost_limit: int | None = None, verify_seconds: float = 60.0) -> Allocation:
    """Allocate the instance's lots to its needs, maximising Σ priority × served ÷ quantity, exactly.

    `exact_cost_limit` caps the integer costs handed to OR-Tools (default: what 64-bit arithmetic allows); a part of
    the campaign whose exact costs would exceed it is solved with scaled costs and then proven optimal (or improved)
    in exact rational arithmetic, for at most `verify_seconds` in all; `optimal` is false only if that ran out.
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
    for j, lot in enumerate(lots):
        if lot.id in excluded_lots:
            continue
        g = groups.get(lot.item if cross else (lot.item, lot.region))
        if g is not None:
            group_has_lot[g] = True
            part_lots[find(g)].append(j)

    ctx = _Context(instance, need_rem, lot_rem, hh_of, hh_rem, group_of_need, locked_pairs, exact_cost_limit,
                   started + verify_seconds)
    objective = Fraction(0)
    for i, units in enumerate(served):
        if units:
            objective += exact(needs[i].priority) * units / needs[i].quantity
    has_compatible = [False] * len(needs)
    optimal = True
    stats = {"parts": 0, "parts_scaled": 0, "cycles_cancelled": 0, "nodes": 0, "arcs": 0, "solver_seconds": 0.0}
    for root, members in part_needs.items():
        part = ctx.solve_part(members, part_lots.get(root, []), has_compatible, served, assignments, stats)
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


@dataclass
class _PartResult:
    objective: Fraction
    proven: bool


class _Context:
    """What solving one part needs from the whole instance."""

    def __init__(self, instance, need_rem, lot_rem, hh_of, hh_rem, group_of_need, locked_pairs, exact_cost_limit,
                 deadline):
        self.needs, self.lots, self.cross = instance.needs, instance.lots, instance.cross_region
        self.need_rem, self.lot_rem, self.hh_of, self.hh_rem = need_rem, lot_rem, hh_of, hh_rem
        self.group_of_need, self.locked_pairs = group_of_need, locked_pairs
        self.exact_cost_limit, self.deadline = exact_cost_limit, deadline
        self.value_cache: dict = {}

    def value(self, i: int) -> Fraction:
        """priority ÷ quantity of need i, exactly."""
        n = self.needs[i]
        key = (n.priority, n.quantity)
        w = self.value_cache.get(key)
        if w is None:
            w = self.value_cache[key] = exact(n.priority) / n.quantity
        return w

    def solve_part(self, members, part_lots, has_compatible, served, assignments, stats) -> _PartResult:
        needs, lots, cross = self.needs, self.lots, self.cross
        need_rem, lot_rem, group_of_need = self.need_rem, self.lot_rem, self.group_of_need

        # Nodes: 0 = S, 1 = T, then lots, hubs, needs, household-item nodes. Arcs are appended in blocks whose
        # meaning is kept beside them, to read the flow back.
        tails: list[int] = []
        heads: list[int] = []
        caps: list[int] = []
        hubs_of_lots: dict = defaultdict(list)  # hub key -> lot positions (in part_lots) feeding it
        lot_node = {}
        next_node = 2
        for j in part_lots:
            lot = lots[j]
            g = lot.item if cross else (lot.item, lot.region)
            if lot.restricted_to:
                for c in set(lot.restricted_to):
                    hubs_of_lots[(g, c)].append(j)
            else:
                hubs_of_lots[(g, ANY)].append(j)
        hub_node: dict = {}
        need_hubs: list[tuple[int, list]] = []  # (need, hub keys), for needs that go through hubs
        direct: list[int] = []  # needs with a lock: joined to each allowed lot directly (a hub cannot forbid a pair)
        for i in members:
            n = needs[i]
            g = n.item if cross else (n.item, n.region)
            keys = [(g, ANY)] + [(g, c) for c in set(n.categories)]
            keys = [k for k in keys if k in hubs_of_lots]
            if not keys:
                continue
            has_compatible[i] = True
            if need_rem[i] <= 0 or self.hh_rem[self.hh_of[i]] <= 0:
                continue
            if i in self.locked_pairs:
                direct.append(i)
                continue
            need_hubs.append((i, keys))
            for k in keys:
                if k not in hub_node:
                    hub_node[k] = -1
        for j in part_lots:
            if lot_rem[j] > 0:
                lot_node[j] = next_node
                next_node += 1
        # S -> lot
        lot_arcs = []
        for j, node in lot_node.items():
            lot_arcs.append(j)
            tails.append(0)
            heads.append(node)
            caps.append(lot_rem[j])
        # lot -> hub
        lot_hub_arcs = []  # (lot, hub key)
        for k in hub_node:
            feeders = [j for j in hubs_of_lots[k] if j in lot_node]
            if not feeders:
                continue
            hub_node[k] = next_node
            next_node += 1
            for j in feeders:
                lot_hub_arcs.append((j, k))
                tails.append(lot_node[j])
                heads.append(hub_node[k])
                caps.append(lot_rem[j])
        # needs
        need_node = {}
        for i, keys in need_hubs:
            if any(hub_node[k] >= 0 for k in keys):
                need_node[i] = next_node
                next_node += 1
        hub_need_arcs = []  # (hub key, need)
        for i, keys in need_hubs:
            node = need_node.get(i)
            if node is None:
                continue
            for k in keys:
                h = hub_node[k]
                if h >= 0:
                    hub_need_arcs.append((k, i))
                    tails.append(h)
                    heads.append(node)
                    caps.append(need_rem[i])
        direct_arcs = []  # (lot, need)
        for i in direct:
            n = needs[i]
            forbidden = self.locked_pairs[i]
            arcs_before = len(direct_arcs)
            for j in lot_node:
                if j not in forbidden and compatible(n, lots[j], cross):
                    if arcs_before == len(direct_arcs):
                        need_node[i] = next_node
                        next_node += 1
                    direct_arcs.append((j, i))
                    tails.append(lot_node[j])
                    heads.append(need_node[i])
                    caps.append(need_rem[i])
        # need -> household-item node, or -> T when it is the household's only need of the item here
        by_household: dict = defaultdict(list)
        for i in need_node:
            by_household[self.hh_of[i]].append(i)
        hh_node = {}
        for key, members_ in by_household.items():
            if len(members_) > 1:
                hh_node[key] = next_node
                next_node += 1
        need_arcs = []
        values = []
        for i in need_node:
            key = self.hh_of[i]
            need_arcs.append(i)
            values.append(self.value(i))
            tails.append(need_node[i])
            if key in hh_node:
                heads.append(hh_node[key])
                caps.append(need_rem[i])
            else:
                heads.append(1)
                caps.append(min(need_rem[i], self.hh_rem[key]))
        first_hh_arc = len(tails)
        for key, node in hh_node.items():
            tails.append(node)
            heads.append(1)
            caps.append(self.hh_rem[key])
        supply = sum(lot_rem[j] for j in lot_node)
        tails.append(0)
        heads.append(1)
        caps.append(supply)
        if not need_arcs:
            return _PartResult(Fraction(0), True)
        n_nodes, n_arcs = next_node, len(tails)
        stats["parts"] += 1
        stats["nodes"] += n_nodes
        stats["arcs"] += n_arcs

        # Costs: exact integers when the common denominator allows, else scaled and then proven.
        first_need_arc = first_hh_arc - len(need_arcs)
        denominator = 1
        for w in set(values):
            denominator = math.lcm(denominator, w.denominator)
        limit = self.exact_cost_limit or _INT64_HEADROOM // (4 * (n_nodes + 1))
        largest = max(values)
        exact_costs = largest * denominator <= limit
        if exact_costs:
            need_costs = [-(w.numerator * (denominator // w.denominator)) for w in values]
        else:
            scale = limit / float(largest) if largest else 1.0
            need_costs = [-round(float(w) * scale) for w in values]
        costs = np.zeros(n_arcs, dtype=np.int64)
        costs[first_need_arc:first_hh_arc] = need_costs
        flows = self._run(np.asarray(tails, dtype=np.int64), np.asarray(heads, dtype=np.int64),
                          np.asarray(caps, dtype=np.int64), costs, n_nodes, supply, stats)
        proven = True
        if not exact_costs:
            stats["parts_scaled"] += 1
            proven = _prove_or_improve(tails, heads, caps, flows, first_need_arc, values, n_nodes, self.deadline,
                                       stats)

        # Read the flow back: per hub, pair the lots that fed it with the needs it fed, in any order, since every
        # lot of a hub may serve every need of it.
        objective = Fraction(0)
        if exact_costs:
            total = -int(np.dot(flows[first_need_arc:first_hh_arc], costs[first_need_arc:first_hh_arc]))
            objective = Fraction(total, denominator)
        else:
            for pos, i in enumerate(need_arcs):
                f = int(flows[first_need_arc + pos])
                if f:
                    objective += values[pos] * f
        for pos, i in enumerate(need_arcs):
            f = int(flows[first_need_arc + pos])
            if f:
                served[i] += f
        base = len(lot_arcs)
        inflow: dict = defaultdict(list)
        for pos, (j, k) in enumerate(lot_hub_arcs):
            f = int(flows[base + pos])
            if f:
                inflow[k].append([j, f])
        base += len(lot_hub_arcs)
        outflow: dict = defaultdict(list)
        for pos, (k, i) in enumerate(hub_need_arcs):
            f = int(flows[base + pos])
            if f:
                outflow[k].append([i, f])
        for k, takers in outflow.items():
            givers = deque(inflow[k])
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
        for pos, (j, i) in enumerate(direct_arcs):
            f = int(flows[base + pos])
            if f:
                assignments[(i, j)] += f
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
