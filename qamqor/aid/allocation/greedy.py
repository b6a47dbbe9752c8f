"""First come, first served: the baseline the exact engine is measured against (benchmarks/allocation.py)."""

from __future__ import annotations

from collections import defaultdict

from .model import Instance
from .solve import ANY


def first_come_first_served(instance: Instance) -> list[tuple]:
    """Serve needs in the order given (their arrival), each from the lots that may serve it, in lot order, as far as
    stock and the household cap allow. Locks and exclusions are ignored. Returns (need id, lot id, units)."""
    cross = instance.cross_region
    left = [lot.quantity for lot in instance.lots]
    hubs: dict = defaultdict(list)  # hub key -> lot positions still holding stock, in lot order
    for j, lot in enumerate(instance.lots):
        g = lot.item if cross else (lot.item, lot.region)
        for c in (dict.fromkeys(lot.restricted_to) or (ANY,)):
            hubs[(g, c)].append(j)
    for key in hubs:
        hubs[key].reverse()  # pop() from the end takes the earliest lot
    cap: dict = {}
    for n in instance.needs:
        key = (n.household, n.item)
        cap[key] = max(cap.get(key, 0), n.quantity)
    out = []
    for n in instance.needs:
        key = (n.household, n.item)
        want = min(n.quantity, cap[key])
        g = n.item if cross else (n.item, n.region)
        for c in (ANY, *dict.fromkeys(n.categories)):
            stack = hubs.get((g, c))
            while want and stack:
                j = stack[-1]
                units = min(want, left[j])
                if units:
                    out.append((n.id, instance.lots[j].id, units))
                    left[j] -= units
                    want -= units
                    cap[key] -= units
                if not left[j]:
                    stack.pop()
            if not want:
                break
    return out
