"""The `qamqor` command as an operator uses it (run in a subprocess, with its own SQLite file)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.standalone  # starts its own processes on its own SQLite file: run once, not per database

QAMQOR = str(Path(sys.executable).with_name("qamqor"))


def env(tmp_path, **extra):
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "QAMQOR_DEMO",
                                                             "QAMQOR_PRODUCTION", "DJANGO_SETTINGS_MODULE",
                                                             "DJANGO_ALLOW_ASYNC_UNSAFE")}
    base.update({"QAMQOR_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"})
    base.update(extra)
    return base


def qamqor(tmp_path, *args, timeout=120, **extra):
    return subprocess.run([QAMQOR, *args], env=env(tmp_path, **extra), capture_output=True, text=True, timeout=timeout)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = qamqor(tmp_path, "check", QAMQOR_PRODUCTION="true")
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_a_travel_setting_that_is_neither_built_in_nor_an_osrm_address_is_refused_at_start(tmp_path):
    result = qamqor(tmp_path, "check", TRANSPORT_TRAVEL="osrm.local:5000", DEBUG="true")
    assert result.returncode != 0 and "TRANSPORT_TRAVEL must be 'haversine' or an OSRM server" in result.stderr


def test_sms_switched_on_without_a_gateway_is_refused_at_start(tmp_path):
    result = qamqor(tmp_path, "check", SMS_ENABLED="true", DEBUG="true")
    assert result.returncode != 0 and "SMS_ENABLED is true but SMS_GATEWAY_URL" in result.stderr


def test_production_refuses_debug(tmp_path):
    result = qamqor(tmp_path, "serve", SECRET_KEY="x" * 60, DEBUG="true")
    assert result.returncode != 0 and "refuses DEBUG" in result.stderr


def test_a_bad_setting_value_is_named(tmp_path):
    result = qamqor(tmp_path, "check", DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG must be true or false" in result.stderr


def test_check_deploy_with_production_settings_prints_no_warning(tmp_path):
    result = qamqor(tmp_path, "check", "--deploy", "--fail-level", "WARNING", QAMQOR_PRODUCTION="true",
                    SECRET_KEY="k" * 20 + "-production-secret-" + "z9" * 20, ALLOWED_HOSTS="qamqor.example.kz")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_and_stop(tmp_path, lang):
    """`qamqor run`, fetch / in a language, Ctrl-C; returns (page, terminal output)."""
    port = free_port()
    proc = subprocess.Popen([QAMQOR, "run"], env=env(tmp_path, PORT=str(port)), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.time() + 120
        body = None
        while time.time() < deadline and body is None:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Accept-Language": lang})
                with urllib.request.urlopen(request, timeout=2) as resp:
                    body, headers = resp.read().decode(), dict(resp.headers)
            except OSError:
                time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert body is not None, f"qamqor run did not serve in time:\n{out}"
    assert f"http://localhost:{port}/" in out
    return body, out, headers


def test_run_serves_the_platform_with_demo_log_ins_and_stops_on_ctrl_c(tmp_path):
    body, out, headers = start_and_stop(tmp_path, "ru")
    assert '<html lang="ru"' in body
    # The local demo reports CSP breaches instead of blocking them, so accessibility crawlers can inject axe.
    assert "default-src 'self'" in headers["Content-Security-Policy-Report-Only"]
    assert "Content-Security-Policy" not in headers
    assert (tmp_path / "qamqor.sqlite3").exists()
    for login in ("admin@", "coordinator@", "orgadmin@", "staff@", "dispatcher@", "driver@", "volunteer@", "donor@",
                  "beneficiary@", "jury@"):
        assert login in out
    assert "Loading demo data" in out and "Qamqor stopped." in out
    # A second run reuses the data: it loads nothing again.
    body, out, _headers = start_and_stop(tmp_path, "kk")
    assert '<html lang="kk"' in body
    assert "Loading demo data" not in out and "Qamqor stopped." in out


def test_seed_demo_large_runs_as_a_task_with_progress_in_the_terminal(tmp_path):
    pytest.importorskip("django_tasks_db")
    assert qamqor(tmp_path, "migrate", QAMQOR_DEMO="true").returncode == 0
    worker = subprocess.Popen([QAMQOR, "worker"], env=env(tmp_path, QAMQOR_DEMO="true"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        result = qamqor(tmp_path, "seed-demo", "--size", "small", "--seed", "9", "--background", timeout=180,
                        QAMQOR_DEMO="true")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert "Queued as task" in result.stdout and "100%" in result.stdout
    assert "60 organisations" in result.stdout
