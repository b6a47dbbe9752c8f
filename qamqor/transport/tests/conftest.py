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
