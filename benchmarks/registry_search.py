"""Registry search on PostgreSQL: IIN lookup and cross-script fuzzy name search over N generated persons
(1,000,000 in a full run), beside plain ILIKE on the name as typed, in the same run (DESIGN.md section 6).

Targets: IIN lookup p95 <= 5 ms; fuzzy name search p95 <= 50 ms. Each query is the registry's own selector
(qamqor.registry.selectors.person_search, first page of 25), run in a child process against a fresh database.
Recall: the share of queries whose intended person is on the first page.
"""

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

DB = "qamqor_bench_registry"


# A registry of a million has tens of thousands of distinct surnames: build them from syllables, so that a
# name search has the selectivity it has in life (the demo's 34 surnames would make every name common).
ROOTS = ["Ах", "Бай", "Бек", "Дос", "Ер", "Жан", "Жұма", "Қали", "Қасым", "Мұхит", "Нұр", "Оспан", "Сейіт", "Сәрсен",
         "Тоқ", "Тұрсын", "Ұзақ", "Шай", "Есен", "Әбіл", "Ораз", "Құл", "Темір", "Қоңыр", "Ақ", "Қара", "Сары", "Ай",
         "Күн", "Бол", "Иван", "Петр", "Смирн", "Кузнец", "Попов", "Васил", "Сокол", "Михайл", "Новик", "Ким"]
MIDDLES = ["", "", "ғали", "жан", "бай", "бек", "мұрат", "сұлтан", "тай", "хан", "қожа", "ер", "ай", "ұл", "ор"]
ENDINGS = ["ов", "ев", "ин", "баев", "беков", "жанов", "ұлы", "ский", "енко", "ов", "ов", "ев"]
GIVEN_M = ["Нұрлан", "Ерлан", "Асқар", "Дәурен", "Бауыржан", "Ержан", "Серік", "Арман", "Қайрат", "Мұрат", "Ақжол",
           "Дамир", "Нұрсұлтан", "Әли", "Ғалым", "Жандос", "Айдос", "Бекзат", "Талғат", "Ерболат", "Александр", "Сергей",
           "Дмитрий", "Андрей", "Алексей", "Иван", "Михаил", "Николай", "Владимир", "Павел", "Тимур", "Руслан", "Марат",
           "Асылбек", "Бақытжан", "Данияр", "Ильяс", "Олжас", "Санжар", "Темірлан"]
GIVEN_F = ["Ляззат", "Айгүл", "Гүлнар", "Әсем", "Динара", "Жанар", "Сәуле", "Аружан", "Мөлдір", "Гүлмира", "Айжан",
           "Ақбота", "Назерке", "Әйгерім", "Қарлығаш", "Салтанат", "Жұлдыз", "Інкәр", "Томирис", "Данагүл", "Елена",
           "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария", "Екатерина", "Юлия", "Камила", "Алия",
           "Дана", "Меруерт", "Асель", "Балжан", "Гаухар", "Зарина", "Индира", "Раушан"]


def _name(rng, sex):
    surname = rng.choice(ROOTS) + rng.choice(MIDDLES) + rng.choice(ENDINGS)
    if sex == "F" and surname.endswith(("ов", "ев", "ин")):
        surname += "а"
    return surname, rng.choice(GIVEN_M if sex == "M" else GIVEN_F)


def _generate(conn, n, seed):
    """Persons through COPY; keys from qamqor.lib.names, valid IINs for 95% of them."""
    import datetime as dt

    from qamqor.lib.iin import make_iin
    from qamqor.lib.names import full_name_key

    rng = random.Random(seed)
    region_ids = [r[0] for r in conn.execute("SELECT id FROM core_region ORDER BY id").fetchall()]
    org_id = conn.execute(
        "INSERT INTO organizations_organization (name, kind, bin, region_id, address, phone, email, website, "
        "description, status, rejection_reason, created_at) VALUES ('Bench NGO', 'ngo', '180340000015', %s, '', '', '', "
        "'', '', 'verified', '', now()) RETURNING id", (region_ids[0],)).fetchone()[0]
    used = set()
    with conn.cursor().copy(
            "COPY registry_person (owner_id, iin, surname, given_name, patronymic, name_key, birth_date, sex, "
            "citizenship, phone, email, region_id, district, locality, address, disability_cause, "
            "disability_indefinite, uses_wheelchair, needs_escort, has_guide_dog, deaf_sign_language, "
            "blind_low_vision, status, created_at, updated_at) FROM STDIN") as copy:
        for i in range(n):
            sex = rng.choice("MF")
            surname, given = _name(rng, sex)
            born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 95))
            iin = make_iin(born, sex, rng.randrange(10000))
            if iin in used or rng.random() < 0.05:
                iin = None
            else:
                used.add(iin)
            copy.write_row((org_id, iin, surname, given, "", full_name_key(surname, given), born, sex, "citizen", "",
                            "", rng.choice(region_ids), "", "", "", "", False, False, False, False, False, False,
                            "active", "now", "now"))
    # As after any bulk load: statistics for the planner, and the visibility map for index-only checks.
    conn.execute("VACUUM ANALYZE registry_person")
    conn.execute("VACUUM ANALYZE registry_nameword")


def _measure(n, n_queries, seed):
    """Child process (Django set up on the bench database): generate, then time the selector and the ILIKE peer."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    started = time.time()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        _generate(conn, n, seed=1)
    generated = time.time() - started
    del settings

    from qamqor.accounts.models import User
    from qamqor.lib.translit import to_latin
    from qamqor.registry.models import Person
    from qamqor.registry.selectors import person_search

    admin = User.objects.create_superuser(email="bench@example.kz", password=None, full_name="Bench")
    rng = random.Random(seed)
    total = Person.objects.count()
    sample = []
    with connection.cursor() as cur:
        cur.execute("SELECT id, iin, surname, given_name, EXTRACT(YEAR FROM birth_date)::int FROM registry_person "
                    "TABLESAMPLE SYSTEM (1) "
                    "WHERE iin IS NOT NULL LIMIT %s", [n_queries * 2])
        sample = cur.fetchall()
    rng.shuffle(sample)
    sample = sample[:n_queries]

    def spelled(surname, given):
        """How someone else might type the name: Latin, with the given name as an initial or with a typo."""
        kind = rng.random()
        if kind < 0.4:
            return f"{to_latin(surname)} {to_latin(given)}"
        if kind < 0.7:
            return f"{to_latin(surname)} {to_latin(given)[0]}."
        s = to_latin(surname)
        i = rng.randrange(1, len(s) - 1)
        return f"{s[:i] + s[i + 1:]} {given}"  # one letter dropped in the surname

    def timed(fn):
        start = time.perf_counter()
        result = fn()
        return (time.perf_counter() - start) * 1000, result

    def page(qs):
        return [p.pk for p in qs[:25]]

    rows = {}
    for label, make in [
        ("IIN lookup (selector)", lambda pid, iin, s, g, y: (iin, lambda: page(person_search(user=admin, query=iin)))),
        ("IIN lookup, plain filter (peer)", lambda pid, iin, s, g, y: (iin, lambda: page(
            Person.objects.filter(iin=iin)))),
        ("name, any script (selector)", lambda pid, iin, s, g, y: (q := spelled(s, g),
                                                                   lambda: page(person_search(user=admin, query=q)))),
        ("name, ILIKE as typed (peer)", lambda pid, iin, s, g, y: (q := spelled(s, g),
                                                                   lambda: page(Person.objects.filter(
                                                                       surname__icontains=q.split()[0])))),
        ("name + birth year (selector)", lambda pid, iin, s, g, y: (q := spelled(s, g), lambda: page(
            person_search(user=admin, query=q, birth_year=y)))),
        ("name + birth year, ILIKE (peer)", lambda pid, iin, s, g, y: (q := spelled(s, g), lambda: page(
            Person.objects.filter(surname__icontains=q.split()[0], birth_date__year=y)))),
    ]:
        times, found = [], 0
        for pid, iin, surname, given, year in sample:
            _q, fn = make(pid, iin, surname, given, year)
            fn()  # warm the plan and the cache for this query shape once
            ms, ids = timed(fn)
            times.append(ms)
            found += pid in ids
        times.sort()
        rows[label] = {"queries": len(times), "p50_ms": round(statistics.median(times), 2),
                       "p95_ms": round(times[int(len(times) * 0.95) - 1], 2), "recall": round(found / len(times), 3)}
    print(json.dumps({"persons": total, "generated_s": round(generated), "rows": rows}))


def run(data: Path, quick: bool = False) -> dict:
    n = 100_000 if quick else 1_000_000
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    url = base.rsplit("/", 1)[0] + f"/{DB}"
    env = {**os.environ, "DATABASE_URL": url, "QAMQOR_DEMO": "true", "DJANGO_SETTINGS_MODULE": "qamqor.settings"}
    qamqor = str(Path(sys.executable).with_name("qamqor"))
    try:
        subprocess.run([qamqor, "migrate", "-v", "0"], env=env, check=True)
        out = subprocess.run([sys.executable, "-c", "from benchmarks.registry_search import _measure; "
                              f"_measure({n}, {100 if quick else 300}, 7)"], env=env, check=True,
                             capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    header = f"{'query':<34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'recall':>7}"
    lines = [f"registry search: {result['persons']:,} persons in PostgreSQL (generated in {result['generated_s']} s); "
             "targets: IIN p95 <= 5 ms, name p95 <= 50 ms", header, "-" * len(header)]
    for label, r in result["rows"].items():
        lines.append(f"{label:<34} {r['queries']:>5} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['recall']:>7}")
    return {"persons": result["persons"], "rows": result["rows"], "table": "\n".join(lines)}
