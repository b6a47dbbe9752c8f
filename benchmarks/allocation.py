"""Allocation: time to a proven optimum and peak memory on a national campaign, beside first come, first served.

A campaign is generated with a seed (DESIGN.md section 6: 1,000,000 needs × 50,000 lots, proven-optimal allocation
in <= 30 s on 2 cores): 20 regions weighted by population, 30 items with Zipf popularity, ~350,000 households with
one to several needs each (often two of one item, so the household cap binds), vulnerability categories drawn per
household (disability groups, disabled children, large families, targeted social assistance, pensioners, veterans,
health-worker families), priority from the engine's priority() on the vulnerability score, urgency and days since
last help; lots for about 55% of the units asked, a quarter of them restricted to one or two categories.
N = 1,000,000 needs and 50,000 lots, or 20,000 needs and 1,000 lots with --quick.

Each method runs in its own child process (python -m benchmarks.allocation --child ...), which generates the
campaign and then allocates it: the exact engine (allocate(workers=2): the independent parts solved in two forked
processes; timed from the Instance to the proven optimum, reasons included) and the peer, first come, first served
(needs in arrival order, each from the lots that may serve it, within the household cap). Reported for each: wall
time of the allocation alone and its CPU time in all processes (the machine is shared, so wall time depends on its
load, printed beside), peak resident memory of the child (VmHWM, from exec on, so it includes the generated
campaign; the resident size after generation is reported beside it; the forked workers apart, by ru_maxrss, which
counts the pages they share with the parent at fork, so it is an upper bound), priority-weighted coverage
Σ priority × served/quantity ÷ Σ priority, and for the most vulnerable tenth of needs (top decile by priority) the
share of their units served and the share served in full.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SEED = 2026
REGIONS = 20
ITEMS = 30
CATEGORIES = ["disability_1", "disability_2", "disability_3", "disabled_child", "large_family", "tsa", "pensioner",
              "veteran", "health_worker_family"]
# How much each category says about need (0-1); a household's vulnerability score is built from its strongest two.
CATEGORY_WEIGHT = np.array([0.9, 0.7, 0.45, 0.85, 0.55, 0.65, 0.3, 0.5, 0.35])
CATEGORY_SHARE = np.array([0.03, 0.05, 0.06, 0.04, 0.10, 0.08, 0.20, 0.02, 0.03])


def generate(n_needs: int, n_lots: int, seed: int = SEED):
    """A seeded national campaign as an allocation Instance."""
    from qamqor.aid.allocation import Instance, Lot, Need, priority

    rng = np.random.default_rng(seed)
    population = rng.pareto(1.2, REGIONS) + 1  # a few large cities, many smaller regions
    population /= population.sum()
    popularity = 1 / np.arange(1, ITEMS + 1) ** 0.9
    popularity /= popularity.sum()
    n_households = max(1, int(n_needs / 2.85))
    hh_region = rng.choice(REGIONS, n_households, p=population)
    hh_has = rng.random((n_households, len(CATEGORIES))) < CATEGORY_SHARE
    strength = np.sort(np.where(hh_has, CATEGORY_WEIGHT, 0.0), axis=1)
    hh_score = np.clip(strength[:, -1] + 0.3 * strength[:, -2] + rng.normal(0, 0.05, n_households), 0, 1)
    hh_categories = [tuple(CATEGORIES[c] for c in np.flatnonzero(row)) for row in hh_has]

    need_hh = rng.integers(0, n_households, n_needs)  # arrival order is this order
    need_item = rng.choice(ITEMS, n_needs, p=popularity)
    need_qty = np.minimum(rng.geometric(0.5, n_needs), 6)
    urgency = rng.beta(1.5, 3, n_needs)
    days = rng.exponential(120, n_needs)
    never = rng.random(n_needs) < 0.2
    needs = []
    for i in range(n_needs):
        h = int(need_hh[i])
        p = priority(hh_score[h], urgency[i], None if never[i] else days[i])
        needs.append(Need(i, h, int(need_item[i]), int(need_qty[i]), int(hh_region[h]), p, hh_categories[h]))

    units = int(need_qty.sum())
    lot_qty = np.maximum(1, rng.lognormal(0, 0.8, n_lots))
    lot_qty = np.maximum(1, np.round(lot_qty / lot_qty.sum() * units * 0.55)).astype(int)
    lot_item = rng.choice(ITEMS, n_lots, p=popularity)
    lot_region = rng.choice(REGIONS, n_lots, p=population)
    restricted = rng.random(n_lots) < 0.25
    lots = []
    for j in range(n_lots):
        restriction = ()
        if restricted[j]:
            k = 1 + int(rng.random() < 0.3)
            restriction = tuple(rng.choice(CATEGORIES, k, replace=False, p=CATEGORY_SHARE / CATEGORY_SHARE.sum()))
        lots.append(Lot(f"L{j}", int(lot_item[j]), int(lot_qty[j]), int(lot_region[j]), restriction))
    return Instance(needs, lots)


def _rss_kib(field: str) -> int:
    """VmHWM (peak) or VmRSS (now) of this process, from exec on (not the parent's size, as fork's ru_maxrss)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the forked workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _scores(instance, served: list[int]) -> dict:
    quantity = np.array([n.quantity for n in instance.needs], dtype=float)
    prio = np.array([float(n.priority) for n in instance.needs])
    got = np.array(served, dtype=float)
    asked = quantity > 0
    coverage = float((prio[asked] * got[asked] / quantity[asked]).sum() / prio[asked].sum())
    top = np.argsort(-prio, kind="stable")[: max(1, len(prio) // 10)]
    return {"coverage": round(coverage, 4),
            "top_decile_units": round(float(got[top].sum() / quantity[top].sum()), 4),
            "top_decile_full": round(float((got[top] >= quantity[top]).mean()), 4),
            "units_given": int(got.sum()), "units_asked": int(quantity.sum()),
            "units_offered": int(sum(lot.quantity for lot in instance.lots))}


def _child(method: str, n_needs: int, n_lots: int) -> None:
    from qamqor.aid.allocation import allocate, first_come_first_served

    began = time.perf_counter()
    instance = generate(n_needs, n_lots)
    generated = time.perf_counter() - began
    rss_after_generation = _rss_kib("VmRSS")
    began = time.perf_counter()
    cpu_before = _cpu_seconds()
    report: dict = {}
    if method == "exact":
        result = allocate(instance, workers=2)
        seconds = time.perf_counter() - began
        report["cpu_seconds"] = round(_cpu_seconds() - cpu_before, 2)
        report["workers_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        served = result.served
        report.update(optimal=result.optimal, objective=result.objective,
                      stats={k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.stats.items()
                             if not k.startswith("_")})
    else:
        assignments = first_come_first_served(instance)
        seconds = time.perf_counter() - began
        report["cpu_seconds"] = round(_cpu_seconds() - cpu_before, 2)
        index = {n.id: i for i, n in enumerate(instance.needs)}
        served = [0] * len(instance.needs)
        for need_id, _, units in assignments:
            served[index[need_id]] += units
        prio = {n.id: n.priority for n in instance.needs}
        qty = {n.id: n.quantity for n in instance.needs}
        report["objective"] = sum(prio[n] * u / qty[n] for n, _, u in assignments)
    report.update(_scores(instance, served), seconds=round(seconds, 2), generate_seconds=round(generated, 1),
                  peak_rss_mib=round(_rss_kib("VmHWM") / 1024),
                  rss_after_generation_mib=round(rss_after_generation / 1024))
    print(json.dumps(report))


def _run_child(method: str, n_needs: int, n_lots: int) -> dict:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "benchmarks.allocation", "--child", method, str(n_needs),
                           str(n_lots)], cwd=root, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the allocation child process ({method}) failed with status {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table(rows: list[dict]) -> str:
    head = ["method", "needs", "lots", "seconds", "CPU seconds", "optimal", "objective", "coverage", "top decile units",
            "top decile full", "peak MiB", "MiB after generation"]
    lines = [head] + [[r["method"], f"{r['needs']:,}", f"{r['lots']:,}", f"{r['seconds']:.2f}",
                       f"{r['cpu_seconds']:.2f}", str(r.get("optimal", "-")), f"{r['objective']:,.1f}",
                       f"{r['coverage']:.4f}",
                       f"{r['top_decile_units']:.4f}", f"{r['top_decile_full']:.4f}", f"{r['peak_rss_mib']:,}",
                       f"{r['rss_after_generation_mib']:,}"] for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    fmt = lambda line: "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |"  # noqa: E731
    return "\n".join([fmt(lines[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(fmt, lines[1:])])


def run(data: Path, quick: bool = False) -> dict:
    n_needs, n_lots = (20_000, 1_000) if quick else (1_000_000, 50_000)
    rows = []
    for method, label in (("exact", "exact min-cost flow"), ("greedy", "first come, first served")):
        print(f"allocation: {label}, {n_needs:,} needs × {n_lots:,} lots", file=sys.stderr, flush=True)
        rows.append({"method": label, "needs": n_needs, "lots": n_lots, **_run_child(method, n_needs, n_lots)})
    exact, greedy = rows
    load = os.getloadavg()
    summary = {"needs": n_needs, "lots": n_lots, "seconds": exact["seconds"], "cpu_seconds": exact["cpu_seconds"],
               "target_seconds": 30, "workers_peak_rss_mib": exact["workers_peak_rss_mib"],
               "optimal": exact["optimal"], "peak_rss_mib": exact["peak_rss_mib"],
               "coverage": exact["coverage"], "greedy_coverage": greedy["coverage"],
               "top_decile_units": exact["top_decile_units"], "greedy_top_decile_units": greedy["top_decile_units"],
               "load_average_1m": round(load[0], 2)}
    note = (f"{n_needs:,} needs × {n_lots:,} lots: {'proven optimal' if exact['optimal'] else 'NOT proven optimal'} "
            f"in {exact['seconds']:.1f}s wall, {exact['cpu_seconds']:.1f}s CPU in all processes "
            f"(target 30s wall at full "
            f"size), peak {exact['peak_rss_mib']:,} MiB "
            f"({exact['rss_after_generation_mib']:,} MiB of it the generated campaign; largest worker "
            f"{exact['workers_peak_rss_mib']:,} MiB counting pages shared with it at fork); coverage "
            f"{exact['coverage']:.4f} vs {greedy['coverage']:.4f} first come, first served; top decile units served "
            f"{exact['top_decile_units']:.4f} vs {greedy['top_decile_units']:.4f}; load average {load[0]:.2f}")
    return {"rows": rows, "summary": summary, "table": _table(rows) + "\n" + note}


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit("usage: python -m benchmarks allocation [--quick]  (this module is run by benchmarks/__main__.py)")
