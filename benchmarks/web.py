"""Key pages under load on PostgreSQL, beside a bare Django view in the same run (DESIGN.md section 6).

Starts `qamqor serve` (gunicorn) on a fresh PostgreSQL database with demo data, then 50 concurrent clients request
each page in turn; reports median and p95 latency and throughput, and each page's p95 as a ratio to the bare view's.
Target: key pages p95 <= 150 ms at 50 concurrent users. The load generator shares the 2 cores with the server.
"""

import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psycopg

PAGES = [
    ("bare view (/health/)", "/health/"),
    ("home", "/"),
    ("organisations list", "/organizations/"),
    ("organisations, filtered", "/organizations/?region=13&kind=ngo"),
    ("organisation profile", "/organizations/1/"),
    ("API organisations", "/api/v1/organizations?limit=50"),
    ("API regions", "/api/v1/regions"),
]
CLIENTS = 50


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load(url, clients, per_client):
    latencies, errors = [], []
    lock = threading.Lock()

    def worker():
        mine = []
        for _ in range(per_client):
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as resp:
                    resp.read()
                    ok = resp.status == 200
            except Exception as exc:  # counted, not raised: a failed request is a result
                ok = False
                with lock:
                    errors.append(str(exc)[:80])
            if ok:
                mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return latencies, errors, wall


def run(data: Path, quick: bool = False) -> dict:
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    db_name = "qamqor_bench_web"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db_name}")
        conn.execute(f"CREATE DATABASE {db_name}")
    db_url = base_url.rsplit("/", 1)[0] + f"/{db_name}"
    port = _free_port()
    qamqor = str(Path(sys.executable).with_name("qamqor"))
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": secrets.token_urlsafe(40), "ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_SSL_REDIRECT": "false", "BEHIND_PROXY": "false", "LOG_LEVEL": "WARNING"}
    env.pop("QAMQOR_DEMO", None)
    subprocess.run([qamqor, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([qamqor, "seed-demo", "--size", "small"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([qamqor, "collectstatic", "--noinput", "-v", "0"], env={**env, "QAMQOR_VAR_DIR": "var/bench/static-root"},
                   check=True)
    server = subprocess.Popen([qamqor, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "8"],
                              env={**env, "QAMQOR_VAR_DIR": "var/bench/static-root"}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    rows = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        per_client = 4 if quick else 20
        for label, path in PAGES:
            _load(f"http://127.0.0.1:{port}{path}", 10, 2)  # warm-up
            latencies, errors, wall = _load(f"http://127.0.0.1:{port}{path}", CLIENTS, per_client)
            latencies.sort()
            p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
            rows.append({"page": label, "path": path, "requests": len(latencies), "errors": len(errors),
                         "median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
                         "p95_ms": round(p95 * 1000, 1), "throughput_rps": round(len(latencies) / wall, 1)})
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
    bare = rows[0]["p95_ms"]
    for row in rows:
        row["p95_vs_bare"] = round(row["p95_ms"] / bare, 2) if bare else None
        row["meets_150ms"] = row["p95_ms"] <= 150
    header = f"{'page':<26} {'req':>5} {'err':>4} {'median ms':>10} {'p95 ms':>8} {'x bare':>7} {'req/s':>7}"
    lines = [f"web: {CLIENTS} concurrent clients, gunicorn 2 workers x 8 threads, PostgreSQL, demo data (small)",
             header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r['page']:<26} {r['requests']:>5} {r['errors']:>4} {r['median_ms']:>10} {r['p95_ms']:>8} "
                     f"{r['p95_vs_bare']:>7} {r['throughput_rps']:>7}")
    return {"clients": CLIENTS, "rows": rows, "table": "\n".join(lines)}
