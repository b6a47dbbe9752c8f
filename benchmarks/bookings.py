"""Interpreter bookings under load on PostgreSQL, beside a bare Django view in the same run (issue 5, DESIGN.md
section 6).

Creates its own database (`qamqor_bench_bookings` next to BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/postgres), migrates it and seeds a provider with 200 sign-language interpreters
working 08:00-20:00 every day, a state social order contract for interpreting with a volume that never runs out, two
dispatchers and as many deaf persons as the run needs (each with their own account and API token: the API's
`Authorization: Bearer qmq_...`). Then starts `qamqor serve` (gunicorn, the production server; `qamqor run` is the
local demo on Django's development server) and `qamqor worker` (the assignments' notices go through the task queue)
and drives them with 50 concurrent clients, each a thread with its own keep-alive HTTP session (requests):

1. the bare view: GET /health/ (one `SELECT 1`), the peer;
2. bookings: a person books an interpreter hour (POST /api/v1/services/bookings, as the self-service portal does),
   then a dispatcher of the provider assigns an interpreter (POST /api/v1/services/bookings/{id}/assign), all from
   the same pool of 200. Times are drawn from a coarse grid (whole and half hours, 09:00-16:30, over one or two days)
   so that the pool fills up during the run, and a quarter of the bookings ask for one of five "popular"
   interpreters at 10:00-11:30 on the first day, so that dispatchers really race for the same interpreter and time.
   A refused assignment (409 overlap) is retried with another interpreter, twice at most; a booking that still has
   nobody stays requested, as it would in the provider's queue.

Reports successful bookings (booked and assigned) per second; p50/p95/p99 latency of successful and of refused
requests, separately for booking and for assigning (target p95 <= 200 ms); refusals by reason; 5xx answers and
network errors (must be 0); how many assignments were in flight at the same moment as another for the same
interpreter at an overlapping time (the races); and, afterwards, the overlapping assignments counted by SQL on the
tables (must be 0). The load generator shares the 2 cores with the server and PostgreSQL.

The bookings run in two modes, each for the same time and on days of its own:

- closed loop: the clients do not pause between requests, so the server is saturated and a request's latency is
  mostly its wait in the queue: about clients / throughput (Little's law). This gives the saturation throughput;
- think time: each client sends a request at Poisson arrivals, on average one every `--think` seconds (1.5), a
  booking and then, at its next arrival, the assignment: 50 users at work at once. Its p95 is the one to hold
  against the 200 ms target, as long as the offered load (clients / think requests a second) stays below the
  closed loop's throughput.

Both report the server's cost per request as CPU milliseconds (web workers, database backends and the task worker,
from /proc), a figure that other work on a shared machine inflates much less than the latencies.

    python -m benchmarks bookings [--quick]
    python -m benchmarks.bookings [--seconds 60] [--clients 50] [--think 1.5]   # this one alone, with its knobs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import requests

CLIENTS = 50
INTERPRETERS = 200
DISPATCHERS = 2
DB_NAME = "qamqor_bench_bookings"
SERVICE = "sign_language_specialist"
TARGET_P95_MS = 200
THINK_SECONDS = 1.5  # think-time mode: a client's mean time between requests
ZONE = ZoneInfo("Asia/Almaty")  # settings.TIME_ZONE
HOT_SHARE = 0.25  # bookings that ask for a popular interpreter at a popular time
HOT_INTERPRETERS = 5
ASSIGN_TRIES = 3
# Units a person may book a year (the rule's 60 hours): persons enough that nobody reaches it in the run.
HOURS_PER_PERSON = 40

OVERLAPS_SQL = """
    SELECT count(*) FROM social_services_booking a
      JOIN social_services_booking b
        ON a.staff_id = b.staff_id AND a.id < b.id
       AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
     WHERE a.staff_id IS NOT NULL AND a.status <> 'cancelled' AND b.status <> 'cancelled'"""


# --- Seeding (runs in a child process with Django set up on the benchmark's database) ---------------------------------

def seed(persons: int, interpreters: int, dispatchers: int) -> dict:
    """The provider, its interpreters and hours, the customer and the contract, dispatchers and persons with tokens:
    everything through the services (their permission checks and audit rows), as the people involved would."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qamqor.settings")
    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from qamqor.accounts.models import Role, RoleAssignment, User
    from qamqor.accounts.services import token_create
    from qamqor.core.demo import demo_bin
    from qamqor.core.models import DisabilityCategory, Region
    from qamqor.organizations.models import Organization
    from qamqor.registry.models import Person
    from qamqor.social_services import services
    from qamqor.social_services.models import ServiceType

    rng = random.Random(5)
    now, today = timezone.now(), timezone.localdate()
    region = Region.objects.get(kato_code="750000000")
    bins = set()

    def user(email, name, role=None, organization=None):
        account = User.objects.create_user(email=email, full_name=name, password=None)
        if role is not None:
            RoleAssignment.objects.create(user=account, role=role, organization=organization, granted_at=now)
        return account

    customer = Organization.objects.create(name="Алматы қаласының әлеуметтік бағдарламалар басқармасы (bench)",
                                           kind=Organization.Kind.STATE_BODY, bin=demo_bin(rng, bins), region=region,
                                           status=Organization.Status.VERIFIED, verified_at=now)
    provider = Organization.objects.create(name="«Ымдау» қоғамдық бірлестігі (bench)", kind=Organization.Kind.NGO,
                                           bin=demo_bin(rng, bins), region=region,
                                           status=Organization.Status.VERIFIED, verified_at=now)
    akimat = user("akimat@bench.qamqor.kz", "Гүлмира Тоқтарова", Role.ORG_STAFF, customer)
    provider_admin = user("admin@bench.qamqor.kz", "Асель Нұрланова", Role.ORG_ADMIN, provider)
    sign = ServiceType.objects.get(code=SERVICE)
    contract = services.contract_create(
        actor=akimat, customer=customer, provider=provider, service_type=sign, region=region,
        number=f"BENCH-ГСЗ-{today.year}-01", starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=365), volume="1000000", unit_price="6500.00")
    hours = [(d, dt.time(8), dt.time(20)) for d in range(7)]
    staff_ids = []
    for n in range(1, interpreters + 1):
        member = services.staff_add(actor=provider_admin, provider=provider,
                                    user=user(f"interpreter{n}@bench.qamqor.kz", f"Аудармашы {n}"),
                                    role="interpreter")
        services.staff_set_hours(actor=provider_admin, staff=member, hours=hours)
        staff_ids.append(member.pk)
    dispatcher_tokens = []
    for n in range(1, dispatchers + 1):
        account = user(f"dispatcher{n}@bench.qamqor.kz", f"Диспетчер {n}", Role.DISPATCHER, provider)
        dispatcher_tokens.append(token_create(user=account, name="bench")[1])
    group_2 = DisabilityCategory.objects.get(code="group_2")
    person_tokens = []
    for n in range(1, persons + 1):
        with transaction.atomic():
            account = user(f"person{n}@bench.qamqor.kz", f"Адам {n}", Role.BENEFICIARY)
            person = Person.objects.create(
                owner=provider, surname=f"Кусаинова{n}", given_name="Ляззат", region=region, user=account,
                birth_date=dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28), disability=group_2,
                disability_indefinite=True, deaf_sign_language=True, created_by=provider_admin)
        person_tokens.append([person.pk, token_create(user=account, name="bench")[1]])
    return {"contract_id": contract.pk, "staff_ids": staff_ids, "dispatcher_tokens": dispatcher_tokens,
            "person_tokens": person_tokens}


# --- Load ---------------------------------------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values, p):
    """Nearest-rank percentile in milliseconds; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, -(-len(ordered) * p // 100) - 1)] * 1000, 1)


class Recorder:
    """Every request's outcome and latency, by kind ("bare", "book", "assign"), from all the clients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)  # (kind, "ok" | "refused") -> [seconds]
        self.refusals = Counter()  # (kind, status, code)
        self.server_errors = Counter()  # (kind, status)
        self.network_errors = Counter()  # (kind, exception name)
        self.assigned = 0
        self.contended = 0
        self.assign_attempts = 0
        self.cpu = None

    def request(self, session, kind, method, url, **kwargs):
        start = time.perf_counter()
        try:
            resp = session.request(method, url, timeout=30, **kwargs)
        except requests.RequestException as exc:
            with self.lock:
                self.network_errors[(kind, type(exc).__name__)] += 1
            return None
        elapsed = time.perf_counter() - start
        with self.lock:
            if resp.status_code >= 500:
                self.server_errors[(kind, resp.status_code)] += 1
            elif resp.status_code < 300:
                self.latencies[(kind, "ok")].append(elapsed)
            else:
                try:
                    code = resp.json()["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = "?"
                self.latencies[(kind, "refused")].append(elapsed)
                self.refusals[(kind, resp.status_code, code)] += 1
        return resp


def _drive(clients, seconds, step, clock=None):
    """Run `step(session, rng, client)` in a loop on `clients` threads for `seconds`; returns the wall time. `clock`,
    when given, receives the deadline (a list of one perf_counter value) as soon as it is known."""
    deadline = time.perf_counter() + seconds
    if clock is not None:
        clock[:] = [deadline]
    barrier = threading.Barrier(clients + 1)

    def worker(i):
        rng = random.Random(1000 + i)
        with requests.Session() as session:
            barrier.wait()
            while time.perf_counter() < deadline:
                step(session, rng, i)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join(seconds + 120)
    return time.perf_counter() - began


class Bookings:
    """A client's booking: a person books an interpreter hour, then a dispatcher assigns an interpreter. `day_offset`
    moves a phase to days of its own, so that each phase starts with the pool empty."""

    def __init__(self, base, seeded, recorder, days, clients, *, day_offset=0, persons_offset=0):
        self.base, self.rec, self.days = base, recorder, days
        self.staff = seeded["staff_ids"]
        self.hot = self.staff[:HOT_INTERPRETERS]
        self.dispatchers = [{"Authorization": f"Bearer {t}"} for t in seeded["dispatcher_tokens"]]
        persons = seeded["person_tokens"][persons_offset:]
        # Each client books for its own persons, so that a person's quota is never what limits the run.
        self.persons = [[(pk, {"Authorization": f"Bearer {t}"}) for pk, t in persons[i::clients]]
                        for i in range(clients)]
        self.turn = [0] * clients
        self.first_day = dt.datetime.now(ZONE).date() + dt.timedelta(days=1 + day_offset)
        self.in_flight = defaultdict(list)  # staff id -> [(start, end)] of assignments being made now
        self.flight_lock = threading.Lock()

    def _when(self, rng, hot):
        if hot:
            day, minutes = self.first_day, 600 + 30 * rng.randrange(4)  # 10:00-11:30
        else:
            day, minutes = self.first_day + dt.timedelta(days=rng.randrange(self.days)), 540 + 30 * rng.randrange(16)
        start = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=ZONE)
        return start, start + dt.timedelta(hours=1)

    def book(self, session, rng, client):
        """The person's request; (booking id, hot, start, end) when it was accepted, else None."""
        mine = self.persons[client]
        person_id, person_auth = mine[self.turn[client] % len(mine)]
        self.turn[client] += 1
        hot = rng.random() < HOT_SHARE
        start, end = self._when(rng, hot)
        resp = self.rec.request(session, "book", "POST", f"{self.base}/api/v1/services/bookings", headers=person_auth,
                                json={"person_id": person_id, "service_type": SERVICE,
                                      "starts_at": start.isoformat(), "ends_at": end.isoformat(), "purpose": "hospital",
                                      "place": "Алматы, Төле би көшесі 59"})
        if resp is None or resp.status_code != 201:
            return None
        return resp.json()["id"], hot, start, end

    def assign(self, session, rng, client, booked):
        """The dispatcher's assignment; a refused one (409 overlap) is retried at once with another interpreter."""
        booking_id, hot, start, end = booked
        dispatcher = self.dispatchers[client % len(self.dispatchers)]
        for attempt in range(ASSIGN_TRIES):
            staff_id = rng.choice(self.hot if hot and attempt == 0 else self.staff)
            with self.flight_lock:
                raced = any(s < end and start < e for s, e in self.in_flight[staff_id])
                self.in_flight[staff_id].append((start, end))
            try:
                resp = self.rec.request(session, "assign", "POST",
                                        f"{self.base}/api/v1/services/bookings/{booking_id}/assign",
                                        headers=dispatcher, json={"staff_id": staff_id})
            finally:
                with self.flight_lock:
                    self.in_flight[staff_id].remove((start, end))
            with self.rec.lock:
                self.rec.assign_attempts += 1
                self.rec.contended += raced
                if resp is not None and resp.status_code == 200:
                    self.rec.assigned += 1
            if resp is None or resp.status_code != 409:
                return

    def step(self, session, rng, client):
        """Closed loop: book, then assign, with no pause."""
        booked = self.book(session, rng, client)
        if booked is not None:
            self.assign(session, rng, client, booked)

    def paced(self, think, deadline):
        """Clients with think time: each sends a request at Poisson arrivals, `think` seconds apart on average (its
        schedule does not wait for the answers: a slow answer does not slow the arrivals down), alternating a
        person's booking and, at the next arrival, the dispatcher's assignment of it."""
        def step(session, rng, client):
            state = self.paced_state.setdefault(client, {"next": time.perf_counter() + rng.expovariate(1 / think),
                                                         "booked": None})
            wait = state["next"] - time.perf_counter()
            if wait > 0:
                time.sleep(min(wait, max(0.0, deadline() - time.perf_counter())))
            if time.perf_counter() >= deadline():
                return
            state["next"] += rng.expovariate(1 / think)
            if state["booked"] is None:
                state["booked"] = self.book(session, rng, client)
            else:
                self.assign(session, rng, client, state["booked"])
                state["booked"] = None
        self.paced_state = {}
        return step


class CpuMeter:
    """CPU seconds spent by the server's worker processes and by the database's backends serving them, read from
    /proc (Linux; None elsewhere): a cost per request that the other work on the machine does not inflate."""

    def __init__(self, server_pid, db_url, worker_pid=None):
        self.server_pid, self.db_url, self.worker_pid = server_pid, db_url, worker_pid
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _stat(self, pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / self.tick  # ppid, utime + stime

    def sample(self) -> dict | None:
        if not Path("/proc/self/stat").exists():
            return None
        workers = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                stat = self._stat(entry.name)
                if stat is not None and stat[0] == self.server_pid:
                    workers[entry.name] = stat[1]
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                               "AND pid <> pg_backend_pid()").fetchall()]
        backends = {str(pid): stat[1] for pid in pids if (stat := self._stat(pid)) is not None}
        task_worker = {}
        if self.worker_pid is not None and (stat := self._stat(self.worker_pid)) is not None:
            task_worker[str(self.worker_pid)] = stat[1]
        return {"web": workers, "db": backends, "worker": task_worker}

    @staticmethod
    def spent(before, after) -> dict | None:
        if before is None or after is None:
            return None
        return {part: sum(t - before[part].get(pid, 0) for pid, t in after[part].items())
                for part in ("web", "db", "worker")}


def _bare(base, recorder):
    def step(session, rng, client):
        recorder.request(session, "bare", "GET", f"{base}/health/")
    return step


def _row(label, recorder, kind, outcome):
    values = recorder.latencies[(kind, outcome)]
    return {"requests": label, "count": len(values), "p50_ms": _pct(values, 50), "p95_ms": _pct(values, 95),
            "p99_ms": _pct(values, 99)}


# --- The run ------------------------------------------------------------------------------------------------------

def run(data: Path | None = None, quick: bool = False, *, seconds: float | None = None, clients: int = CLIENTS,
        workers: int = 2, threads: int = 8, think: float = THINK_SECONDS) -> dict:
    seconds = seconds or (6 if quick else 60)
    bare_seconds = min(seconds, 5 if quick else 20)
    days = 1 if seconds < 20 else 2
    # Persons for both phases, each phase its own: nobody reaches the rule's 60 hours a year.
    per_phase = max(clients * 4, int(clients * seconds * 2 / HOURS_PER_PERSON))
    persons = 2 * per_phase
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    db_url = base_url.rsplit("/", 1)[0] + f"/{DB_NAME}"
    port = _free_port()
    qamqor = str(Path(sys.executable).with_name("qamqor"))
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": secrets.token_urlsafe(40), "ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_SSL_REDIRECT": "false", "BEHIND_PROXY": "false", "LOG_LEVEL": "WARNING",
           # Connections kept for the whole run (production: 60 s), so that the CPU meter finds every backend alive.
           "DB_CONN_MAX_AGE": "900",
           # Idle keep-alive connections kept as a reverse proxy keeps its upstream ones: gunicorn's default (2 s)
           # closes a think-time client's connection between its requests, and a POST sent as it closes fails.
           "GUNICORN_CMD_ARGS": "--keep-alive 75"}
    env.pop("QAMQOR_DEMO", None)
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    log_path = Path("var/bench/bookings-server.log")
    server = worker = None
    try:
        subprocess.run([qamqor, "migrate", "-v", "0"], env=env, check=True)
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-m", "benchmarks.bookings", "--seed", str(persons)], env=env,
                               capture_output=True, text=True)
        if child.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{child.stderr[-3000:]}")
        seeded = json.loads(child.stdout.strip().splitlines()[-1])
        seed_seconds = time.perf_counter() - started
        with log_path.open("w") as log:
            server = subprocess.Popen([qamqor, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                                       "--threads", str(threads)], env=env, stdout=subprocess.DEVNULL, stderr=log,
                                      start_new_session=True)
            # The task worker sends the notices the bookings queue, as in production (e-mail to its console).
            worker = subprocess.Popen([qamqor, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=log,
                                      start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if requests.get(f"{base}/health/", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"the server did not start: see {log_path}")
        warm = Recorder()
        _drive(min(clients, 10), 1, _bare(base, warm))  # warm-up: every worker's connections and imports
        meter = CpuMeter(server.pid, db_url, worker_pid=worker.pid)
        bare = Recorder()
        before = meter.sample()
        bare_wall = _drive(clients, bare_seconds, _bare(base, bare))
        bare.cpu = CpuMeter.spent(before, meter.sample())
        # 1. Closed loop: clients that never pause, the server saturated.
        closed = Recorder()
        bookings = Bookings(base, seeded, closed, days, clients)
        before = meter.sample()
        closed_wall = _drive(clients, seconds, bookings.step)
        closed.cpu = CpuMeter.spent(before, meter.sample())
        _drain(db_url)
        # 2. Think time: each client a person or dispatcher at work, a request every `think` seconds on average.
        paced = Recorder()
        clock = []
        bookings = Bookings(base, seeded, paced, days, clients, day_offset=days, persons_offset=per_phase)
        before = meter.sample()
        paced_wall = _drive(clients, seconds, bookings.paced(think, lambda: clock[0]), clock=clock)
        paced.cpu = CpuMeter.spent(before, meter.sample())
        queued = _drain(db_url)
        with psycopg.connect(db_url, autocommit=True) as conn:
            overlaps = conn.execute(OVERLAPS_SQL).fetchone()[0]
            by_status = dict(conn.execute("SELECT status, count(*) FROM social_services_booking GROUP BY status")
                             .fetchall())
            staff_used = conn.execute("SELECT count(DISTINCT staff_id) FROM social_services_booking "
                                      "WHERE staff_id IS NOT NULL").fetchone()[0]
            notices = dict(conn.execute("SELECT status, count(*) FROM django_tasks_database_dbtaskresult "
                                        "GROUP BY status").fetchall())
    finally:
        for process in (server, worker):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    return _result(bare, bare_wall, closed, closed_wall, paced, paced_wall, overlaps=overlaps, by_status=by_status,
                   staff_used=staff_used, notices=notices, queued=queued, clients=clients, seconds=seconds, days=days,
                   persons=persons, workers=workers, threads=threads, think=think, seed_seconds=seed_seconds)


def _drain(db_url, timeout=60) -> int:
    """Wait until the worker has sent the queued notices (at most `timeout` seconds); returns how many were left."""
    deadline = time.perf_counter() + timeout
    with psycopg.connect(db_url, autocommit=True) as conn:
        while True:
            left = conn.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult "
                                "WHERE status IN ('READY', 'RUNNING')").fetchone()[0]
            if not left or time.perf_counter() > deadline:
                return left
            time.sleep(0.5)


def _mode(name, recorder, wall, bare_p95):
    rows = [_row(f"book, accepted (201)", recorder, "book", "ok"),
            _row(f"book, refused (4xx)", recorder, "book", "refused"),
            _row(f"assign, accepted (200)", recorder, "assign", "ok"),
            _row(f"assign, refused (4xx)", recorder, "assign", "refused")]
    for row in rows:
        row["p95_vs_bare"] = round(row["p95_ms"] / bare_p95, 1) if row["p95_ms"] is not None and bare_p95 else None
        row["meets_200ms"] = None if row["p95_ms"] is None else row["p95_ms"] <= TARGET_P95_MS
    count = sum(len(v) for v in recorder.latencies.values())
    return {"mode": name, "rows": rows, "requests": count, "requests_per_s": round(count / wall, 1),
            "bookings_per_s": round(recorder.assigned / wall, 1), "booked_and_assigned": recorder.assigned,
            "assign_attempts": recorder.assign_attempts, "raced_assignments": recorder.contended,
            "cpu_ms_per_request": _cpu(recorder, count),
            "refusals": [{"request": k, "status": st, "code": c, "count": n}
                         for (k, st, c), n in sorted(recorder.refusals.items())],
            "server_errors": sum(recorder.server_errors.values()),
            "server_errors_by_request": {f"{k} {st}": n for (k, st), n in recorder.server_errors.items()},
            "network_errors": sum(recorder.network_errors.values()),
            "network_errors_by_request": {f"{k} {e}": n for (k, e), n in recorder.network_errors.items()},
            "meets_200ms": all(r["meets_200ms"] is not False for r in rows)}


def _cpu(recorder, count):
    if recorder.cpu is None or not count:
        return None
    return {part: round(spent * 1000 / count, 2) for part, spent in recorder.cpu.items()}


def _result(bare, bare_wall, closed, closed_wall, paced, paced_wall, *, overlaps, by_status, staff_used, notices,
            queued, clients, seconds, days, persons, workers, threads, think, seed_seconds) -> dict:
    bare_row = _row("bare view GET /health/", bare, "bare", "ok")
    bare_p95 = bare_row["p95_ms"]
    bare_count = len(bare.latencies[("bare", "ok")])
    modes = {"closed": _mode("closed loop (no pause)", closed, closed_wall, bare_p95),
             "think": _mode(f"think time (a request every {think:g} s per client, Poisson)", paced, paced_wall,
                            bare_p95)}
    assigned = closed.assigned + paced.assigned
    in_db = by_status.get("assigned", 0)
    server_errors = sum(m["server_errors"] for m in modes.values()) + sum(bare.server_errors.values())
    network_errors = sum(m["network_errors"] for m in modes.values()) + sum(bare.network_errors.values())
    result = {
        "clients": clients, "seconds": seconds, "interpreters": INTERPRETERS, "persons": persons, "days": days,
        "think_seconds": think, "server": f"qamqor serve (gunicorn) {workers} workers x {threads} threads, "
                                          f"qamqor worker for the notices",
        "seed_seconds": round(seed_seconds, 1),
        "bare": {**bare_row, "requests_per_s": round(bare_count / bare_wall, 1), "cpu_ms_per_request":
                 _cpu(bare, bare_count)},
        "modes": modes, "overlapping_assignments": overlaps, "bookings_by_status": by_status,
        "assigned_in_database": in_db, "interpreters_used": staff_used, "notices": notices,
        "notices_left_in_queue": queued, "server_errors": server_errors, "network_errors": network_errors,
        "think_time_meets_200ms": modes["think"]["meets_200ms"],
        "correct": overlaps == 0 and server_errors == 0 and network_errors == 0 and in_db == assigned,
    }
    header = f"{'requests':<26} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'x bare':>7}"
    lines = [f"bookings: {clients} clients, {INTERPRETERS} interpreters, {seconds:g} s a mode, PostgreSQL, "
             f"{result['server']}",
             f"bare view GET /health/: {bare_count} requests, p50 {bare_row['p50_ms']} ms, p95 {bare_p95} ms, "
             f"{result['bare']['requests_per_s']}/s"]
    for mode in modes.values():
        lines += ["", f"{mode['mode']}:", header, "-" * len(header)]
        for r in mode["rows"]:
            cells = [f"{r[k]:>8}" if r[k] is not None else f"{'-':>8}" for k in ("p50_ms", "p95_ms", "p99_ms")]
            ratio = f"{r['p95_vs_bare']:>7}" if r["p95_vs_bare"] is not None else f"{'-':>7}"
            lines.append(f"{r['requests']:<26} {r['count']:>6} {' '.join(cells)} {ratio}")
        lines.append(f"successful bookings (booked and assigned): {mode['booked_and_assigned']} = "
                     f"{mode['bookings_per_s']}/s; all requests {mode['requests_per_s']}/s")
        if mode["cpu_ms_per_request"]:
            cpu = mode["cpu_ms_per_request"]
            lines.append(f"server CPU per request (ms): web {cpu['web']} + database {cpu['db']} + task worker "
                         f"{cpu['worker']}")
        lines.append(f"assignments raced by another for the same interpreter and time: {mode['raced_assignments']} "
                     f"of {mode['assign_attempts']}")
        lines.append("refusals: " + (", ".join(f"{r['request']} {r['status']} {r['code']}: {r['count']}"
                                               for r in mode["refusals"]) or "none"))
        lines.append(f"p95 target {TARGET_P95_MS} ms: {'met' if mode['meets_200ms'] else 'MISSED'}")
    if result["bare"]["cpu_ms_per_request"]:
        cpu = result["bare"]["cpu_ms_per_request"]
        lines.append(f"\nbare view CPU per request (ms): web {cpu['web']} + database {cpu['db']}")
    lines.append(f"5xx: {server_errors}; network errors: {network_errors}; overlapping assignments (SQL): {overlaps}; "
                 f"assigned in the database: {in_db} (clients saw {assigned}); notices {notices}, "
                 f"left queued {queued}")
    lines.append(f"correctness: {'ok' if result['correct'] else 'FAILED'}")
    result["table"] = "\n".join(lines)
    return result


def main():
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bookings")
    parser.add_argument("--seed", type=int, metavar="PERSONS", help=argparse.SUPPRESS)  # the child process's part
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--think", type=float, default=THINK_SECONDS,
                        help="think-time mode: mean seconds between one client's requests")
    parser.add_argument("--out", default="var/bench")
    args = parser.parse_args()
    if args.seed is not None:
        print(json.dumps(seed(args.seed, INTERPRETERS, DISPATCHERS)))
        return
    result = run(quick=args.quick, seconds=args.seconds, clients=args.clients, workers=args.workers,
                 threads=args.threads, think=args.think)
    path = Path(args.out) / "bookings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(result["table"])
    print(f"-> {path}")


if __name__ == "__main__":
    main()
