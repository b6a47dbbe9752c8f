"""Record linkage: accuracy on FEBRL beside its peers, then time and memory on a generated registry.

Part 1 (DESIGN.md section 6: F1 >= 0.98 on FEBRL 3 and 4): precision, recall and F1 over record pairs on the FEBRL
files in <data>/linkage/febrl, for the engine, for Splink with its library comparisons on the raw columns, and for
two exact-key baselines, in the same run. dataset1 and dataset2 are where the model was developed; dataset3
(deduplicate) and dataset4a+4b (link) are the targets, not tuned on.

Part 2 (target: 1,000,000 persons deduplicated in <= 10 min on 2 cores): a registry of N records generated with a
seed: households sharing surname, address and phone, twins, Zipf-distributed names; a quarter of the people
registered two to four times, the copies corrupted as intake forms are (Cyrillic written in Latin in three
conventions or with Russian letters for Kazakh ones, typos, swapped names, day and month swapped, a digit of the
IIN wrong, IIN or patronymic missing, addresses rewritten or moved). The engine and the Splink peer each run in a
child process, whose wall time and peak resident memory (VmHWM, which counts DuckDB's allocations; see
_peak_rss_kib) are reported with P/R/F1 against the generator's truth, beside the exact-key baselines.
N = 1,000,000 records, or 20,000 with --quick.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq

from qamqor.lib.iin import make_iin
from qamqor.lib.translit import to_latin
from qamqor.registry.linkage import DEFAULT_THRESHOLD, dedupe, link

FEBRL_ROLES = {"given_name": "given_name", "surname": "surname",
               "address": ["street_number", "address_1", "address_2"], "locality": "suburb", "postcode": "postcode",
               "birth_date": "date_of_birth", "id_number": "soc_sec_id"}
GENERATED_ROLES = {"surname": "surname", "given_name": "given_name", "patronymic": "patronymic",
                   "birth_date": "birth_date", "iin": "iin", "sex": "sex", "address": "address",
                   "locality": "locality", "postcode": "postcode", "phone": "phone"}
SEED = 2026


# -- FEBRL -------------------------------------------------------------------------------------------------------

def _febrl(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        rows = csv.DictReader(f, skipinitialspace=True)
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in rows]


def _entity(rec_id: str) -> str:
    return rec_id.split("-")[1]  # rec-N-org / rec-N-dup-K


def _pairs_of_groups(groups) -> set[tuple]:
    out = set()
    for members in groups:
        out.update(itertools.combinations(sorted(members), 2))
    return out


def _group(items) -> list[list]:
    by = defaultdict(list)
    for value, key in items:
        if key is not None:
            by[key].append(value)
    return list(by.values())


def _score(found: set, true: set) -> dict:
    tp = len(found & true)
    p = tp / len(found) if found else 0.0
    r = tp / len(true) if true else 0.0
    return {"true_pairs": len(true), "found_pairs": len(found), "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def _exact_keys(rows):
    ssid = lambda r: r["soc_sec_id"] or None  # noqa: E731
    name_dob = lambda r: (r["surname"], r["given_name"], r["date_of_birth"]) if all(  # noqa: E731
        (r["surname"], r["given_name"], r["date_of_birth"])) else None
    return {"exact soc_sec_id": ssid, "exact surname+given_name+date_of_birth": name_dob}


def _splink_library(tables: list[pa.Table], link_type: str, threshold: float, spec: dict) -> list[tuple]:
    """The peer DESIGN.md names: Splink with its own library comparisons on the columns as written, trained the
    same way as the engine (u by sampling, m by EM on two blocking rules, no labels), cut at the same threshold.

    tables have a unique_id column. Returns (unique_id, cluster_id) rows for a dedupe, (left, right) pairs for a
    link."""
    import logging

    from splink import DuckDBAPI, Linker, SettingsCreator

    logging.getLogger("splink").setLevel(logging.ERROR)  # it warns of levels it could not train; so be it
    con = duckdb.connect()
    con.execute("SET threads = 2")
    db_api = DuckDBAPI(con)
    frames = [db_api.register(t, dataset_display_name=f"file{i}", table_name=f"file{i}") for i, t in enumerate(tables)]
    settings = SettingsCreator(link_type=link_type, comparisons=spec["comparisons"](),
                               blocking_rules_to_generate_predictions=spec["blocking"]())
    linker = Linker(frames if len(frames) > 1 else frames[0], settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(spec["deterministic"](), recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
    for rule in spec["em"]():
        linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=2e6)
    predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    if link_type == "dedupe_only":
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
        return con.execute(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall()
    rows = con.execute(f"SELECT source_dataset_l, unique_id_l, unique_id_r FROM {predictions.physical_name}").fetchall()
    return [(a, b) if source == "file0" else (b, a) for source, a, b in rows]


def _febrl_spec():
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "comparisons": lambda: [
            cl.NameComparison("given_name"), cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]), cl.JaroWinklerAtThresholds("address"),
            cl.JaroWinklerAtThresholds("suburb"), cl.LevenshteinAtThresholds("postcode", [1])],
        "blocking": lambda: [block_on("given_name", "surname"), block_on("date_of_birth"), block_on("soc_sec_id"),
                             block_on("postcode", "surname")],
        "deterministic": lambda: [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id")],
        "em": lambda: [block_on("given_name", "surname"), block_on("date_of_birth")],
    }


def _febrl_table(rows: list[dict]) -> pa.Table:
    cols = {c: [r[c] or None for r in rows] for c in ("rec_id", "given_name", "surname", "suburb", "postcode",
                                                       "date_of_birth", "soc_sec_id")}
    cols["address"] = [" ".join(x for x in (r["street_number"], r["address_1"], r["address_2"]) if x) or None
                       for r in rows]
    cols["unique_id"] = cols.pop("rec_id")
    return pa.table(cols)


def _generated_spec():
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "comparisons": lambda: [
            cl.NameComparison("given_name"), cl.NameComparison("surname"), cl.NameComparison("patronymic"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True, datetime_format="%d.%m.%Y"),
            cl.LevenshteinAtThresholds("iin", [1, 2]), cl.ExactMatch("sex"), cl.JaroWinklerAtThresholds("address"),
            cl.JaroWinklerAtThresholds("locality"), cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("phone")],
        "blocking": lambda: [block_on("iin"), block_on("given_name", "surname"), block_on("birth_date"),
                             block_on("postcode", "surname")],
        "deterministic": lambda: [block_on("iin"), block_on("given_name", "surname", "birth_date")],
        "em": lambda: [block_on("given_name", "surname"), block_on("birth_date")],
    }


def febrl_dedupe(path: Path) -> list[dict]:
    rows = _febrl(path)
    true = _pairs_of_groups(_group((r["rec_id"], _entity(r["rec_id"])) for r in rows))
    started = time.perf_counter()
    result = dedupe(rows, roles=FEBRL_ROLES, id_column="rec_id", seed=SEED)
    seconds = time.perf_counter() - started
    out = [{"data": path.name, "method": "engine", **_score(_pairs_of_groups(_group(result.clusters)), true),
            "seconds": round(seconds, 1)}]
    started = time.perf_counter()
    found = _pairs_of_groups(_group(_splink_library([_febrl_table(rows)], "dedupe_only", DEFAULT_THRESHOLD,
                                                    _febrl_spec())))
    out.append({"data": path.name, "method": "Splink library comparisons", **_score(found, true),
                "seconds": round(time.perf_counter() - started, 1)})
    for name, keyf in _exact_keys(rows).items():
        found = _pairs_of_groups(_group((r["rec_id"], keyf(r)) for r in rows))
        out.append({"data": path.name, "method": name, **_score(found, true)})
    return out


def febrl_link(path_a: Path, path_b: Path) -> list[dict]:
    left, right = _febrl(path_a), _febrl(path_b)
    right_of = defaultdict(list)
    for r in right:
        right_of[_entity(r["rec_id"])].append(r["rec_id"])
    true = {(a["rec_id"], b) for a in left for b in right_of.get(_entity(a["rec_id"]), [])}
    data = f"{path_a.name}+{path_b.name}"
    out = []
    for one_to_one in (True, False):
        started = time.perf_counter()
        result = link(left, right, roles=FEBRL_ROLES, id_column="rec_id", one_to_one=one_to_one, seed=SEED)
        seconds = time.perf_counter() - started
        found = {(p.id_l, p.id_r) for p in result.links}
        method = "engine, one-to-one" if one_to_one else "engine, every pair over threshold"
        out.append({"data": data, "method": method, **_score(found, true), "seconds": round(seconds, 1)})
    started = time.perf_counter()
    found = set(_splink_library([_febrl_table(left), _febrl_table(right)], "link_only", DEFAULT_THRESHOLD,
                                _febrl_spec()))
    out.append({"data": data, "method": "Splink library comparisons", **_score(found, true),
                "seconds": round(time.perf_counter() - started, 1)})
    for name, keyf in _exact_keys(left).items():
        by_key = defaultdict(list)
        for b in right:
            if keyf(b) is not None:
                by_key[keyf(b)].append(b["rec_id"])
        found = {(a["rec_id"], b) for a in left if keyf(a) is not None for b in by_key.get(keyf(a), [])}
        out.append({"data": data, "method": name, **_score(found, true)})
    return out


# -- generated registry ------------------------------------------------------------------------------------------

KZ_MALE = """Нұрлан Ерлан Асқар Дәурен Бауыржан Ержан Серік Арман Қайрат Мұрат Ақжол Дамир Нұрсұлтан Әли Ғалым Жандос
Айдос Бекзат Талғат Ерболат Айдар Айбек Асхат Әлібек Олжас Руслан Санжар Темірлан Ернар Ерасыл Арсен Алихан Нұрасыл
Әділет Мирас Ислам Абылай Адиль Бағдат Бақыт Болат Думан Ерік Жарас Жасұлан Жомарт Ильяс Қанат Марат Мейрам Медет
Нұржан Нұрбол Оралхан Рүстем Саят Серікбол Тимур Төлеген Ұлан Шыңғыс Ақылбек Амангелді Асылбек Бекжан Дархан
Дулат Ербол Есен Жақсылық Жеңіс Қуаныш Мақсат Мұхтар Нартай Орынбасар Рахат Самат Сұлтан Темір Әлішер Елдос
Ғабит Жанболат Көпжасар Мәди Нұрмұхаммед Ринат Сағындық Тілек Ұлықбек""".split()
KZ_FEMALE = """Ляззат Айгүл Гүлнар Әсем Динара Жанар Сәуле Аружан Мөлдір Гүлмира Айжан Ақбота Назерке Әйгерім Қарлығаш
Салтанат Жұлдыз Інкәр Томирис Данагүл Айару Айым Ақмарал Ақерке Аяжан Балжан Ботагөз Гүлжан Гүлсая Дана Дильназ
Еркежан Жадыра Жансая Жібек Зарина Зәуре Индира Камила Күлпаш Ләйла Мадина Мейрамгүл Меруерт Нұргүл Раушан Сабина
Сандуғаш Сымбат Толқын Ұлжан Шолпан Айнұр Алуа Анель Асель Әлия Бибігүл Гаухар Гүлбану Дәметкен Жамал Жанат
Жансұлу Қымбат Ләззат Мәншүк Нәзира Нұрай Роза Сая Тоғжан Ұлпан Фариза Шынар Эльмира Айсұлу Бағила Гүлшат
Құралай Маржан Мақпал Назгүл Перизат Сәбира Тамара Үміт""".split()
RU_MALE = """Александр Сергей Андрей Дмитрий Алексей Владимир Николай Иван Евгений Михаил Игорь Юрий Олег Виктор Павел
Максим Артём Денис Роман Антон Вадим Константин Виталий Геннадий Василий""".split()
RU_FEMALE = """Ольга Наталья Елена Татьяна Ирина Светлана Анна Мария Юлия Екатерина Людмила Галина Валентина Надежда
Оксана Марина Анастасия Алина Виктория Дарья Ксения Вера Лариса Любовь Кристина""".split()
KZ_ROOTS = """Ахмет Жұмабай Қасым Сейіт Нұрпейіс Омар Сәрсенбай Тоқтар Бекмұхамед Исабек Әбілқасым Есен Мұхамеджан
Оспан Байжан Тұрсын Серікбай Жақып Қали Құсайын Әбдірахман Ибрай Мұса Сүлеймен Ержан Нұрлан Төлеген Ыбырай Жүсіп
Қожахмет Орынбай Байтұрсын Дүйсен Әміре Бектұр Сұлтанбек Тәжібай Шәкәрім Қалдыбай Мырзахмет Ысқақ Сағынтай Жанұзақ
Бөкей Әлімжан Бейсенбай Қуандық Әубәкір Жаманқұл Тілеубай Мақаш Смағұл Қадыр Әуез Бекенбай Айтжан Дәулетбай
Жетпісбай Сапар Қазбек Ермек Ғабдулла Кенжебай Абдулла Әбен Ақылбай Бақтыбай Бисен Дәрібай Елубай Жолдас Иман
Кәрім Қойшыбай Мамыр Нұртаза Оразалы Рысқұл Сыздық Тастан Үсен Шалабай Ықылас Әлкей Бүркіт Дос Ерназар Жомарт
Зейнолла Ілияс Көшербай Молдаш Нығмет Пірәлі Рахымжан Сатпай Тұяқбай Уәли Файзолла Хамит Шаймерден""".split()
KZ_ENDINGS = ["ов", "ов", "ов", "ұлы", "бек", "беков", "жанов", "баев", "ин"]
RU_SURNAMES = """Иванов Петров Смирнов Кузнецов Попов Васильев Соколов Михайлов Новиков Фёдоров Морозов Волков Алексеев
Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров Ким Цой Пак Ли Шевченко
Бондаренко Коваленко Ткаченко Мельник Шмидт Вагнер Гарипов Хасанов Юсупов Абдуллаев""".split()
LOCALITIES = [("Алматы", 12, "050"), ("Астана", 8, "010"), ("Шымкент", 7, "160"), ("Қарағанды", 4, "100"),
              ("Ақтөбе", 3, "030"), ("Тараз", 3, "080"), ("Павлодар", 2.5, "140"), ("Өскемен", 2.5, "070"),
              ("Семей", 2, "071"), ("Атырау", 2, "060"), ("Қостанай", 2, "110"), ("Қызылорда", 2, "120"),
              ("Орал", 2, "090"), ("Петропавл", 1.5, "150"), ("Ақтау", 1.5, "130"), ("Түркістан", 1.5, "161"),
              ("Көкшетау", 1, "020"), ("Талдықорған", 1, "040"), ("Екібастұз", 1, "141"), ("Рудный", 0.7, "111"),
              ("Жезқазған", 0.6, "101"), ("Кентау", 0.5, "162"), ("Балқаш", 0.5, "102"), ("Сарыағаш", 0.5, "163"),
              ("Қаскелең", 0.6, "041"), ("Есік", 0.4, "042"), ("Талғар", 0.5, "043"), ("Қонаев", 0.5, "044"),
              ("Жаркент", 0.3, "045"), ("Шу", 0.3, "081"), ("Арал", 0.3, "121"), ("Жаңаөзен", 0.6, "131"),
              ("Степногорск", 0.3, "021"), ("Лисаковск", 0.2, "112"), ("Қарасай ауылы", 2, "046"),
              ("Ақсу ауылы", 2, "047"), ("Бәйтерек ауылы", 2, "091"), ("Целинный ауылы", 1.5, "151")]
STREETS = ("Абай, Сәтбаев, Төле би, Жібек жолы, Райымбек, Достық, Әл-Фараби, Гагарин, Пушкин, Қабанбай батыр, "
           "Бөгенбай батыр, Жамбыл, Әуезов, Байтұрсынұлы, Тимирязев, Жандосов, Розыбакиев, Сейфуллин, Құнанбаев, "
           "Республика, Тәуелсіздік, Мәңгілік Ел, Кенесары, Желтоқсан, Масанчи, Шевченко, Толстой, Чехов, Мира, "
           "Ленин, Бейбітшілік, Наурыз, Ақсай, Самал, Орбита, Жетісу").split(", ")
# Kazakh letters written with the nearest Russian one, as on forms filled in on a Russian keyboard.
_RUSSIFY = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
# The Kazakh Latin alphabet of 2021, letter for letter.
_KZ_LATIN = {"ә": "ä", "ғ": "ğ", "қ": "q", "ң": "ñ", "ө": "ö", "ұ": "ū", "ү": "ü", "ш": "ş", "ч": "ç", "ы": "y",
             "і": "ı", "й": "i", "ж": "j", "х": "h", "һ": "h", "ц": "ts", "щ": "şş", "ю": "iu", "я": "ia", "ё": "io",
             "э": "e", "ъ": "", "ь": "", "у": "u", "и": "i"}
_CYR_LOWER = "абвгдежзийклмнопрстуфхцчшщыэюяәғқңөұүһі"
_LAT_LOWER = "abcdefghijklmnopqrstuvwxyz"


def _zipf(n: int, exponent: float) -> list[float]:
    return list(itertools.accumulate(1 / (i + 3) ** exponent for i in range(n)))


def _female(surname: str) -> str:
    if surname.endswith("ұлы"):
        return surname[:-3] + "қызы"
    if surname.endswith(("ов", "ев", "ин", "ёв")):
        return surname + "а"
    return surname


def _latin(text: str, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.5:  # transliteration as in Russian-era passports
        out = to_latin(text)
        if rng.random() < 0.3:
            out = out.replace("ss", "s").replace("s", "ss", 1) if "s" in out[1:-1] else out
    elif style < 0.8:  # the 2021 Kazakh Latin alphabet
        out = "".join(_KZ_LATIN.get(ch.lower(), to_latin(ch.lower())) if ch.islower() or not ch.isalpha()
                      else _KZ_LATIN.get(ch.lower(), to_latin(ch.lower())).capitalize() for ch in text)
    else:  # an English-speaking clerk's ear
        out = to_latin(text).replace("kh", "h").replace("zh", "j").replace("yu", "iu").replace("ya", "ia")
    return out


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    alphabet = _CYR_LOWER if text[i].lower() in _CYR_LOWER else _LAT_LOWER
    kind = rng.random()
    if kind < 0.3:
        return text[:i] + rng.choice(alphabet) + text[i + 1:]
    if kind < 0.55:
        return text[:i] + text[i + 1:]
    if kind < 0.8:
        return text[:i] + text[i] + text[i:]
    return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]


def _address(street: str, house: int, flat: int | None, rng: random.Random, latin: bool) -> str:
    style = rng.randrange(3)
    if style == 0:
        text = f"ул. {street}, д. {house}" + (f", кв. {flat}" if flat else "")
    elif style == 1:
        text = f"{street} көшесі, {house}" + (f"-{flat}" if flat else "")
    else:
        text = f"{street} {house}" + (f" кв {flat}" if flat else "")
    return to_latin(text) if latin else text


def generate(n: int, seed: int = SEED) -> pa.Table:
    """n records of a generated registry, with the truth in person_id."""
    rng = random.Random(seed)
    surnames = [r + e for r in KZ_ROOTS for e in KZ_ENDINGS if not (e == "ин" and r[-1] not in "аеы")] + RU_SURNAMES
    rng.shuffle(surnames)
    kz_m, kz_f, ru_m, ru_f = (list(x) for x in (KZ_MALE, KZ_FEMALE, RU_MALE, RU_FEMALE))
    for names in (kz_m, kz_f, ru_m, ru_f):
        rng.shuffle(names)
    sur_w, m_w, f_w = _zipf(len(surnames), 0.9), _zipf(len(kz_m), 0.7), _zipf(len(kz_f), 0.7)
    ru_m_w, ru_f_w = _zipf(len(ru_m), 0.7), _zipf(len(ru_f), 0.7)
    loc_w = list(itertools.accumulate(w for _, w, _ in LOCALITIES))
    used_iins: set[str] = set()
    today = dt.date(2026, 1, 1)
    cols = {c: [] for c in ("rec_id", "person_id", "surname", "given_name", "patronymic", "birth_date", "iin", "sex",
                            "address", "locality", "postcode", "phone")}

    def iin_for(born, sex):
        while True:
            value = make_iin(born, sex, rng.randrange(10000))
            if value and value not in used_iins:
                used_iins.add(value)
                return value

    def given(sex, russian):
        if russian:
            return rng.choices(ru_m if sex == "M" else ru_f, cum_weights=ru_m_w if sex == "M" else ru_f_w)[0]
        return rng.choices(kz_m if sex == "M" else kz_f, cum_weights=m_w if sex == "M" else f_w)[0]

    def patronymic(father, sex, russian):
        if not russian and rng.random() < 0.5:
            return father + ("ұлы" if sex == "M" else "қызы")
        stem = father[:-1] + "е" if father[-1] in "йь" else father + ("о" if father[-1] not in "аяиеоу" else "")
        stem = stem.translate(_RUSSIFY)
        return stem + ("вич" if sex == "M" else "вна")

    person = 0
    while len(cols["rec_id"]) < n:
        # A household: an adult, perhaps a spouse, children, all at one address.
        russian = rng.random() < 0.2
        family = rng.choices(surnames, cum_weights=sur_w)[0]
        if russian and rng.random() < 0.7:
            family = rng.choice(RU_SURNAMES)
        loc_name, _, pc_prefix = rng.choices(LOCALITIES, cum_weights=loc_w)[0]
        street, house = rng.choice(STREETS), rng.randrange(1, 250)
        flat = rng.randrange(1, 200) if rng.random() < 0.6 else None
        postcode = f"{pc_prefix}{rng.randrange(1000):03d}"
        phone = f"+7 7{rng.randrange(100):02d} {rng.randrange(1000):03d} {rng.randrange(10000):04d}"
        head_sex = rng.choice("MF")
        head_born = today - dt.timedelta(days=rng.randrange(20 * 365, 85 * 365))
        father = given("M", russian)
        members = [(head_sex, head_born, father if head_sex == "M" else given("F", russian), given("M", russian))]
        if rng.random() < 0.6:
            sex = "F" if head_sex == "M" else "M"
            members.append((sex, head_born + dt.timedelta(days=rng.randrange(-2000, 2000)),
                            given(sex, russian), given("M", russian)))
        kids_born = head_born + dt.timedelta(days=rng.randrange(20 * 365, 38 * 365))
        for _ in range(rng.choices(range(6), weights=[30, 20, 25, 15, 7, 3])[0]):
            if kids_born >= today:
                break
            sex = rng.choice("MF")
            taken = {m[2] for m in members}
            first = given(sex, russian)
            while first in taken:  # parents do not give two children one name
                first = given(sex, russian)
            members.append((sex, kids_born, first, father))
            if rng.random() > 0.01:  # one in a hundred is a twin: same birth date
                kids_born += dt.timedelta(days=rng.randrange(300, 2500))
        for sex, born, first, dad in members:
            person += 1
            surname = family if sex == "M" else _female(family)
            truth = {
                "surname": surname, "given_name": first, "patronymic": patronymic(dad, sex, russian) if
                rng.random() < 0.85 else "", "born": born, "iin": iin_for(born, sex), "sex": sex,
                "street": street, "house": house, "flat": flat, "locality": loc_name, "postcode": postcode,
                "phone": phone if rng.random() < 0.7 else "",
            }
            copies = rng.choices((0, 1, 2, 3), weights=(75, 16, 6, 3))[0]
            for k in range(copies + 1):
                _record(cols, rng, truth, person, k)
    return pa.table({c: v[:n] for c, v in cols.items()})


def _record(cols, rng: random.Random, t: dict, person: int, copy: int):
    """One record of a person: the first as registered, the others as other organisations wrote them down."""
    r = rng.random
    dup = copy > 0
    surname, first, patronymic = t["surname"], t["given_name"], t["patronymic"]
    locality, born = t["locality"], t["born"]
    latin = False
    if dup:
        script = r()
        if script < 0.35:
            latin = True
            surname, first, patronymic = (_latin(x, rng) for x in (surname, first, patronymic))
            locality = to_latin(locality)
        elif script < 0.6:
            surname, first, patronymic = (x.translate(_RUSSIFY) for x in (surname, first, patronymic))
            locality = locality.translate(_RUSSIFY)
        if r() < 0.10:
            surname = _typo(surname, rng)
        if r() < 0.10:
            first = _typo(first, rng)
        if r() < 0.3:
            patronymic = ""
        if r() < 0.02:
            surname, first = first, surname
        if r() < 0.15:
            surname, first, patronymic = surname.upper(), first.upper(), patronymic.upper()
    day = f"{born.day:02d}.{born.month:02d}.{born.year}"
    if dup:
        u = r()
        if u < 0.03:
            day = ""
        elif u < 0.08 and born.day <= 12 and born.day != born.month:
            day = f"{born.month:02d}.{born.day:02d}.{born.year}"
        elif u < 0.13:
            i = rng.choice((0, 1, 3, 4, 8, 9))
            day = day[:i] + str(rng.randrange(10)) + day[i + 1:]
        elif u < 0.2:
            day = born.isoformat()
    iin = t["iin"]
    u = r()
    if u < (0.25 if dup else 0.04):
        iin = ""
    elif dup and u < 0.29:
        i = rng.randrange(12)
        iin = iin[:i] + str((int(iin[i]) + rng.randrange(1, 10)) % 10) + iin[i + 1:]
    elif dup and u < 0.30:
        i = rng.randrange(11)
        iin = iin[:i] + iin[i + 1] + iin[i] + iin[i + 2:]
    sex = t["sex"] if r() < 0.6 else ("м" if t["sex"] == "M" else "ж") if r() < 0.5 else ""
    u = r()
    if dup and u < 0.1:
        address, postcode = "", ""
    elif dup and u < 0.16:  # moved house
        address = _address(rng.choice(STREETS), rng.randrange(1, 250), None, rng, latin)
        postcode = t["postcode"][:3] + f"{rng.randrange(1000):03d}"
    else:
        address = _address(t["street"], t["house"], t["flat"], rng, latin)
        postcode = t["postcode"] if r() < (0.7 if dup else 0.8) else ""
    phone = t["phone"] if (not dup or r() < 0.6) else ""
    if phone and dup and r() < 0.3:
        phone = "8" + phone[2:].replace(" ", "")
    cols["rec_id"].append(f"r{len(cols['rec_id']) + 1}")
    cols["person_id"].append(person)
    for name, value in (("surname", surname), ("given_name", first), ("patronymic", patronymic),
                        ("birth_date", day), ("iin", iin), ("sex", sex), ("address", address),
                        ("locality", locality), ("postcode", postcode), ("phone", phone)):
        cols[name].append(value)


def _child(method: str, input_path: str, output_path: str, threshold: float, seed: int):
    """Runs in its own process, so that its peak memory is the method's alone."""
    table = pq.read_table(input_path, columns=["rec_id", *GENERATED_ROLES.values()])
    started = time.perf_counter()
    if method == "peer":
        # Empty cells are missing values to Splink's comparisons, as they are to the engine.
        table = pa.table({("unique_id" if c == "rec_id" else c): pa.compute.if_else(
            pa.compute.equal(table.column(c), ""), None, table.column(c)) for c in table.column_names})
        rows = _splink_library([table], "dedupe_only", threshold, _generated_spec())
        seconds = time.perf_counter() - started
        ids, clusters = zip(*rows)
        pq.write_table(pa.table({"rec_id": list(ids), "cluster_id": list(clusters)}), output_path)
        print(json.dumps({"seconds": seconds, "stats": {}, "stages": {}, "peak_rss_kib": _peak_rss_kib()}))
        return

    def progress(stage, fraction):
        print(f"  {time.perf_counter() - started:7.1f}s {fraction:4.0%} {stage}", file=sys.stderr, flush=True)

    result = dedupe(table, roles=GENERATED_ROLES, id_column="rec_id", threshold=threshold, seed=seed,
                    progress=progress)
    seconds = time.perf_counter() - started
    ids, clusters = zip(*result.clusters)
    pq.write_table(pa.table({"rec_id": list(ids), "cluster_id": list(clusters)}), output_path)
    stats = {k: v for k, v in result.stats.items() if k != "seconds"}
    print(json.dumps({"seconds": seconds, "stats": stats, "stages": result.stats.get("seconds", {}),
                      "review_pairs": len(result.pairs), "peak_rss_kib": _peak_rss_kib()}))


def _peak_rss_kib() -> int:
    """This process's peak resident memory (VmHWM), which counts DuckDB's allocations as tracemalloc cannot.

    Not the ru_maxrss that wait4 gives the parent: Linux carries the parent's resident size at fork into the
    child's ru_maxrss, so a child started by a parent holding a million generated records would report the
    parent's memory. VmHWM belongs to the child's own program image, from exec on."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _run_child(method: str, src: str, dst: str, threshold: float) -> tuple[dict, float, int]:
    """The child's report, its wall time and its peak resident memory in MiB."""
    root = Path(__file__).resolve().parent.parent
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "benchmarks.linkage", "--child", method, src, dst, str(threshold),
                           str(SEED)], cwd=root, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"the linkage child process ({method}) failed with status {done.returncode}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report, wall, round(report["peak_rss_kib"] / 1024)


def _pair_score(con, table: str, key: str) -> dict:
    """P/R/F1 over pairs of a clustering (key) against person_id, from counts, never listing the pairs."""
    tp, found, true = con.execute(f"""
        WITH k AS (SELECT * FROM {table} WHERE {key} IS NOT NULL)
        SELECT (SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) c FROM k GROUP BY {key}, person_id)),
               (SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) c FROM k GROUP BY {key})),
               (SELECT sum(c * (c - 1) / 2) FROM (SELECT count(*) c FROM {table} GROUP BY person_id))
    """).fetchone()
    p = tp / found if found else 0.0
    r = tp / true if true else 0.0
    return {"true_pairs": int(true), "found_pairs": int(found), "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def generated(n: int, threshold: float = DEFAULT_THRESHOLD, peer: bool = True) -> list[dict]:
    started = time.perf_counter()
    table = generate(n)
    gen_seconds = time.perf_counter() - started
    persons = len(set(table.column("person_id").to_pylist()))
    data = f"generated, {n:,} records of {persons:,} persons"
    print(f"linkage: generated {n:,} records in {gen_seconds:.0f}s; deduplicating in a child process",
          file=sys.stderr, flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="qamqor-bench-linkage-") as tmp:
        src = os.path.join(tmp, "records.parquet")
        pq.write_table(table, src)
        con = duckdb.connect()
        con.execute("SET threads = 2")
        con.register("records", table)
        for method in ("engine", "peer") if peer else ("engine",):
            if method == "peer":
                print("linkage: the same records with Splink's library comparisons", file=sys.stderr, flush=True)
            dst = os.path.join(tmp, f"{method}.parquet")
            report, wall, peak = _run_child(method, src, dst, threshold)
            con.execute(f"CREATE TABLE {method} AS SELECT r.*, c.cluster_id FROM records r "
                        f"JOIN '{dst}' c USING (rec_id)")
            rows.append({"data": data, "method": "engine" if method == "engine" else "Splink library comparisons",
                         **_pair_score(con, method, "cluster_id"), "seconds": round(report["seconds"], 1),
                         "process_seconds": round(wall, 1), "peak_rss_mib": peak, "stages": report["stages"],
                         **report["stats"]})
        # Baselines: the same person only when an exact key is equal, as a plain SQL join would find them.
        con.execute("""CREATE TABLE keys AS SELECT person_id, nullif(iin, '') AS iin_key,
            CASE WHEN surname <> '' AND given_name <> '' AND birth_date <> ''
                THEN lower(surname) || '|' || lower(given_name) || '|' || birth_date END AS name_dob_key
            FROM records""")
        rows += [{"data": data, "method": "exact IIN", **_pair_score(con, "keys", "iin_key")},
                 {"data": data, "method": "exact surname+given_name+birth_date",
                  **_pair_score(con, "keys", "name_dob_key")}]
    return rows


# -- the benchmark -----------------------------------------------------------------------------------------------

def _table(rows: list[dict]) -> str:
    head = ["data", "method", "true pairs", "found", "precision", "recall", "F1", "seconds", "peak MiB"]
    lines = [head] + [[r["data"], r["method"], f"{r['true_pairs']:,}", f"{r['found_pairs']:,}", f"{r['precision']:.4f}",
                       f"{r['recall']:.4f}", f"{r['f1']:.4f}", str(r.get("seconds", "")),
                       str(r.get("peak_rss_mib", ""))] for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    fmt = lambda line: "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |"  # noqa: E731
    return "\n".join([fmt(lines[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(fmt, lines[1:])])


def run(data: Path, quick: bool = False) -> dict:
    febrl = Path(data) / "linkage" / "febrl"
    rows = []
    for name in ("dataset1.csv", "dataset2.csv", "dataset3.csv"):
        print(f"linkage: FEBRL {name}", file=sys.stderr, flush=True)
        rows += febrl_dedupe(febrl / name)
    print("linkage: FEBRL dataset4a+4b", file=sys.stderr, flush=True)
    rows += febrl_link(febrl / "dataset4a.csv", febrl / "dataset4b.csv")
    n = 20_000 if quick else 1_000_000
    rows += generated(n)
    targets = {
        "febrl3_f1": next(r["f1"] for r in rows if r["data"] == "dataset3.csv" and r["method"] == "engine"),
        "febrl4_f1": next(r["f1"] for r in rows if r["data"].startswith("dataset4a") and r["method"].startswith(
            "engine, one-to-one")),
    }
    engine = next(r for r in rows if r["data"].startswith("generated") and r["method"] == "engine")
    summary = {**targets, "target_f1": 0.98, "generated_records": n, "generated_seconds": engine["seconds"],
               "generated_peak_rss_mib": engine["peak_rss_mib"], "target_seconds": 600,
               "threshold": DEFAULT_THRESHOLD, "threads": 2}
    note = (f"FEBRL 3 F1 {targets['febrl3_f1']:.4f}, FEBRL 4 F1 {targets['febrl4_f1']:.4f} (target 0.98); "
            f"{n:,} generated records deduplicated in {engine['seconds']:.0f}s "
            f"(target 600s for 1,000,000), peak {engine['peak_rss_mib']:,} MiB")
    return {"rows": rows, "summary": summary, "table": _table(rows) + "\n" + note}


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit("usage: python -m benchmarks linkage [--quick]  (this module is run by benchmarks/__main__.py)")
