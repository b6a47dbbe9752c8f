import os
from pathlib import Path

import pytest

BENCH = Path(os.environ.get("QAMQOR_BENCH_DATA", Path(__file__).resolve().parents[3].parent / "shared" / "bench"))
DARP = BENCH / "darp"


def darp_instance(name: str) -> Path:
    """Path of a benchmark instance; skips the test when the benchmark data is absent (fails under CI)."""
    path = DARP / "instances" / f"{name}.txt"
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"benchmark data missing under CI: {path}")
        pytest.skip(f"benchmark data not found at {path}")
    return path


def bks() -> dict:
    rows = (DARP / "bks.csv").read_text().split()[1:]
    return {name: float(value) for name, value in (row.split(",") for row in rows)}


def make_instance(seed: int, n: int, m: int, Q: int = 3, L: float = 30, T: float = 480) -> str:
    """A 2006-format instance with random points in [-10, 10]², windows of 15 minutes on one end of each ride."""
    import random

    rnd = random.Random(seed)
    pick, drop = [], []
    for i in range(1, n + 1):
        load = rnd.randint(1, Q)
        start = rnd.randint(60, 300)
        pw, dw = ((0, 1440), (start, start + 15)) if i % 2 else ((start, start + 15), (0, 1440))
        pick.append(f"{i} {rnd.uniform(-10, 10):.3f} {rnd.uniform(-10, 10):.3f} 3 {load} {pw[0]} {pw[1]}")
        drop.append(f"{n + i} {rnd.uniform(-10, 10):.3f} {rnd.uniform(-10, 10):.3f} 3 {-load} {dw[0]} {dw[1]}")
    lines = [f"{m} {n} {T} {Q} {L}", "0 0 0 0 0 0 480", *pick, *drop, f"{2 * n + 1} 0 0 0 0 0 480"]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _fresh_travel_cache():
    """Each test sees travel computed for it (a fake OSRM server of one test may reuse another's address)."""
    from qamqor.transport.planning import TRAVEL_CACHE

    TRAVEL_CACHE.clear()
    yield
    TRAVEL_CACHE.clear()
