"""Without Chromium the browser tests skip with one line on a laptop, and fail in CI (CI=true)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
# Three browser tests, so that the one-line promise covers several skips.
SELECTION = [str(HERE / "test_keyboard_login.py"), "-k", "skip_link"]


def run_without_chromium(ci: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(CHROMIUM_PATH="/nonexistent/chromium", CI=ci)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", *SELECTION],
                          cwd=HERE.parent.parent, env=env, capture_output=True, text=True, timeout=120)


def test_it_skips_with_one_clear_line_outside_ci():
    result = run_without_chromium(ci="")
    lines = [line for line in result.stdout.splitlines() if "Chromium not found" in line]
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(lines) == 1 and lines[0].startswith("SKIPPED [3]"), result.stdout
    assert "apt-get install chromium" in lines[0]


def test_it_fails_in_ci():
    result = run_without_chromium(ci="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "3 error" in result.stdout and "skipped" not in result.stdout, result.stdout
    assert "Chromium not found" in result.stdout
