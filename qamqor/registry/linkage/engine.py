"""Deduplicate one set of person records or link two, with Splink on an embedded DuckDB."""

from __future__ import annotations

import contextlib
import logging
import math
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.internals.exceptions import EMTrainingException

from . import model
from .prepare import PrepareError, normalise_roles, prepare, present

Progress = Callable[[str, float], None]

# A file smaller than this has too few pairs to train on: the priors in model.py are used as they are.
MIN_RECORDS_TO_TRAIN = 300
DEFAULT_THRESHOLD = 0.9
DEFAULT_REVIEW_THRESHOLD = 0.5


class LinkageError(ValueError):
    """Raised for input the engine cannot link; the message is a whole sentence saying what to fix."""


@dataclass(frozen=True)
class Pair:
    """Two records the model scored, with why: each comparison's level (e.g. {"dob": "day and month swapped"})."""

    id_l: Any
    id_r: Any
    probability: float
    weight: float
    levels: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    """What a run gives back: clusters of ids, the pairs for review, and figures about the run."""

    clusters: list[tuple[Any, Any]]  # (id, cluster_id) for every input record, in input order
    pairs: list[Pair]  # pairs scored at or above review_threshold, most likely first
    stats: dict[str, Any]
    links: list[Pair] | None = None  # link(): the accepted (left id, right id) matches


def _columns(records, wanted: set[str] | None) -> tuple[dict[str, list], list[str]]:
    """Column-wise values from a list of dicts, a pyarrow Table or a pandas-like data frame."""
    if isinstance(records, pa.Table):
        names = list(records.column_names)
        return {c: records.column(c).to_pylist() for c in names if wanted is None or c in wanted}, names
    if hasattr(records, "columns") and hasattr(records, "__getitem__") and not isinstance(records, list):
        names = [str(c) for c in records.columns]
        return {c: list(records[c]) for c in names if wanted is None or c in wanted}, names
    records = list(records)
    if not records:  # nothing to check the roles against, and nothing to link
        return {c: [] for c in sorted(wanted or ())}, sorted(wanted or ())
    names: dict[str, None] = {}
    for row in records:
        names.update(dict.fromkeys(row))
    names_list = list(names)
    keep = names_list if wanted is None else [c for c in names_list if c in wanted]
    return {c: [row.get(c) for row in records] for c in keep}, names_list


def check_roles(roles: Mapping[str, str | Sequence[str]], columns: Sequence[str]) -> dict[str, list[str]]:
    """The role mapping checked against a file's columns; raises LinkageError saying what to fix."""
    try:
        return normalise_roles(roles, columns)
    except PrepareError as exc:
        raise LinkageError(str(exc)) from None


def _load(records, roles, id_column):
    wanted = None
    if roles is not None:
        wanted = {c for cols in roles.values() for c in ([cols] if isinstance(cols, str) else cols)}
        if id_column:
            wanted.add(id_column)
    columns, names = _columns(records, wanted)
    role_map = check_roles(roles, names)
    n = len(next(iter(columns.values()))) if columns else 0
    if id_column is not None:
        if id_column not in names:
            raise LinkageError(f"The id column {id_column!r} is not in the data; columns are: {', '.join(names)}.")
        ids = columns[id_column]
        seen: set = set()
        for i, value in enumerate(ids):
            if value is None or value == "":
                raise LinkageError(f"Record {i + 1} has no id in column {id_column!r}: every record needs one.")
            if value in seen:
                raise LinkageError(f"The id {value!r} appears more than once in column {id_column!r}: "
                                   "ids must be unique.")
            seen.add(value)
    else:
        ids = list(range(n))
    return columns, role_map, ids, n


class _Quiet(contextlib.AbstractContextManager):
    # Splink logs each step at INFO and warns about sampling sizes we chose on purpose; progress is ours to report.
    def __enter__(self):
        self.logger = logging.getLogger("splink")
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)


def _connect(threads: int, memory_limit: str | None, temp_dir: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET temp_directory = '{temp_dir}'")
    con.execute("SET preserve_insertion_order = false")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def _level_labels(comparisons: list[dict]) -> dict[str, dict[int, str]]:
    # Splink numbers the non-null levels from the last (0) to the first; the null level is -1.
    labels = {}
    for comp in comparisons:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        labels[comp["output_column_name"]] = {-1: "missing", **{
            len(levels) - 1 - i: lv["label_for_charts"] for i, lv in enumerate(levels)}}
    return labels


class _Run:
    """One linkage job: a DuckDB database, a Splink linker, and the steps reported to progress."""

    def __init__(self, tables: list[pa.Table], link_type: str, *, seed: int, threads: int, memory_limit: str | None,
                 progress: Progress | None, train: bool | None):
        self.progress = progress or (lambda stage, fraction: None)
        self.started = time.perf_counter()
        self.stats: dict[str, Any] = {"records": sum(len(t) for t in tables)}
        self.tmp = tempfile.TemporaryDirectory(prefix="qamqor-linkage-")
        self.con = _connect(threads, memory_limit, self.tmp.name)
        self.db_api = DuckDBAPI(self.con)
        self.present = set.intersection(*(present(t) for t in tables)) if len(tables) > 1 else present(tables[0])
        if not self.present & {"sn", "gn", "dob", "iin", "idn"}:
            raise LinkageError("No record has a name, birth date or identity number: there is nothing to link on.")
        self.comparisons = model.comparisons(self.present)
        self.labels = _level_labels(self.comparisons)
        blocking = [r.creator() for r in model.usable(model.PREDICTION_RULES, self.present)]
        self.settings = SettingsCreator(
            link_type=link_type,
            comparisons=self.comparisons,
            blocking_rules_to_generate_predictions=blocking,
            retain_matching_columns=True,  # keeps the gamma (level) columns that explain each pair
            retain_intermediate_calculation_columns=False,
            probability_two_random_records_match=0.0001,
        )
        if link_type == "dedupe_only":
            frames = [self.db_api.register(tables[0].drop(["source_dataset"]), dataset_display_name="records")]
        else:
            frames = []
            for t in tables:
                name = t.column("source_dataset")[0].as_py()
                frames.append(self.db_api.register(t, dataset_display_name=name, table_name=f"records_{name}"))
        with _Quiet():
            self.linker = Linker(frames if len(frames) > 1 else frames[0], self.settings, log_level=None)
        n = self.stats["records"]
        pairs = n * (n - 1) / 2 if link_type == "dedupe_only" else len(tables[0]) * len(tables[1])
        self.total_pairs = pairs
        self.train = (min(len(t) for t in tables) >= MIN_RECORDS_TO_TRAIN) if train is None else train
        self.seed = seed

    def close(self):
        self.con.close()
        self.tmp.cleanup()

    def _step(self, name: str, fraction: float):
        self.stats.setdefault("seconds", {})[name] = round(time.perf_counter() - self.started, 2)
        self.progress(name, fraction)

    def fit(self):
        training = self.linker.training
        with _Quiet():
            self._step("estimating how many pairs match", 0.25)
            rules = [r.creator() for r in model.usable(model.DETERMINISTIC_RULES, self.present)]
            try:
                training.estimate_probability_two_random_records_match(rules, recall=0.7)
            except ValueError:
                pass  # a tiny file where the rules find more than 70% of all pairs: keep the prior
            if self.linker._settings_obj._probability_two_random_records_match <= 0:
                self.linker._settings_obj._probability_two_random_records_match = 1 / max(self.total_pairs, 1)
            self.stats["probability_two_random_records_match"] = \
                self.linker._settings_obj._probability_two_random_records_match
            if not self.train:
                self.stats["trained"] = False
                return
            self._step("estimating u by random sampling", 0.3)
            # One chunk: two million sampled pairs fit in memory, and each chunk costs a round of SQL planning.
            training.estimate_u_using_random_sampling(max_pairs=min(2e6, self.total_pairs), seed=self.seed,
                                                      num_chunks=1, min_count_per_level=None)
            sessions = model.usable(model.TRAINING_RULES, self.present)[:3]
            for i, rule in enumerate(sessions):
                self._step(f"estimating m by expectation maximisation ({i + 1}/{len(sessions)})",
                           0.35 + 0.15 * i / len(sessions))
                settings = self.linker._settings_obj
                saved = settings.core_model_settings.copy()
                try:
                    training.estimate_parameters_using_expectation_maximisation(
                        rule.creator(), max_pairs=2e6, estimate_without_term_frequencies=True)
                except EMTrainingException:
                    # No pair shares this key (two files with no IIN in common): the other sessions, or the
                    # priors, give these m values. Splink 5.0 has already dropped the comparisons the rule uses
                    # from the model it was given, so the model is put back as it was.
                    settings.core_model_settings = saved
                    self.stats.setdefault("training_skipped", []).append(" = ".join(rule.exprs))
            self._floor_m()
            self.stats["trained"] = True

    def _floor_m(self, floor: float = 1e-3):
        # EM drives m to zero for a level that no pair it believed matching fell into (a patronymic spelt
        # "similar" rather than equal); the weight then goes to minus eighty, and one such field would outvote
        # every other. A floor keeps a rare level rare without making it a veto.
        for comp in self.linker._settings_obj.comparisons:
            for level in comp.comparison_levels:
                if (not level.is_null_level and not level._fix_m_probability and level.m_probability is not None
                        and level.m_probability < floor):
                    level.m_probability = floor

    def weights(self) -> dict[str, dict[str, float]]:
        """The model as trained: each comparison level's match weight (log2 Bayes factor), for audit and review."""
        out = {}
        for comp in self.linker._settings_obj.comparisons:
            out[comp.output_column_name] = {
                level.label_for_charts: round(level._log2_bayes_factor, 2)
                for level in comp.comparison_levels if not level.is_null_level}
        return out

    def predict(self, review_threshold: float):
        self._step("scoring candidate pairs", 0.5)
        with _Quiet():
            self.predictions = self.linker.inference.predict(threshold_match_probability=review_threshold,
                                                             warning_mode="never")
        self.stats["pairs_scored"] = self.con.execute(
            f"SELECT count(*) FROM {self.predictions.physical_name}").fetchone()[0]
        return self.predictions

    def pairs(self, ids: Sequence, threshold: float) -> list[Pair]:
        gamma = [f"gamma_{c}" for c in self.labels]
        rows = self.con.execute(
            f"SELECT unique_id_l, unique_id_r, match_probability, match_weight, {', '.join(gamma)} "
            f"FROM {self.predictions.physical_name} WHERE match_probability >= ? "
            "ORDER BY match_probability DESC, unique_id_l, unique_id_r", [threshold]).fetchall()
        names = list(self.labels)
        out = []
        for row in rows:
            # The earlier record first (in link(), the left file's).
            a, b = sorted(row[:2])
            out.append(Pair(ids[a], ids[b], float(row[2]), float(row[3]),
                            {c: self.labels[c].get(g, str(g)) for c, g in zip(names, row[4:])}))
        return out

    def mutual_best(self, threshold: float) -> set[tuple[int, int]]:
        """Pairs at or above threshold where each record is the other's most likely match, taken in rounds:
        once a pair is taken, both records leave, and the next round looks again among the rest."""
        self.con.execute(f"""CREATE TEMP TABLE candidates AS
            SELECT least(unique_id_l, unique_id_r) AS a, greatest(unique_id_l, unique_id_r) AS b,
                   match_probability AS p
            FROM {self.predictions.physical_name} WHERE match_probability >= ?""", [threshold])
        self.con.execute("CREATE TEMP TABLE taken (id BIGINT)")
        accepted: set[tuple[int, int]] = set()
        while True:
            # Ties go to the lower id, so that the answer does not depend on the order DuckDB reads rows in.
            best = self.con.execute("""
                SELECT a, b FROM candidates
                WHERE a NOT IN (SELECT id FROM taken) AND b NOT IN (SELECT id FROM taken)
                QUALIFY row_number() OVER (PARTITION BY a ORDER BY p DESC, b) = 1
                    AND row_number() OVER (PARTITION BY b ORDER BY p DESC, a) = 1""").fetchall()
            if not best:
                return accepted
            accepted.update(best)
            self.con.execute("INSERT INTO taken SELECT unnest(?::BIGINT[])", [[i for pair in best for i in pair]])

    def clusters(self, threshold: float) -> dict[int, int]:
        self._step("clustering", 0.85)
        with _Quiet():
            clustered = self.linker.clustering.cluster_pairwise_predictions_at_threshold(
                self.predictions, threshold_match_probability=threshold)
        # The cluster is named by its first record in input order: stable from run to run.
        rows = self.con.execute(
            f"SELECT unique_id, min(unique_id) OVER (PARTITION BY cluster_id) FROM {clustered.physical_name}"
        ).fetchall()
        return dict(rows)


def _check_thresholds(threshold, review_threshold):
    for name, value in (("threshold", threshold), ("review_threshold", review_threshold)):
        if not (isinstance(value, (int, float)) and 0 < value < 1 and not math.isnan(value)):
            raise LinkageError(f"The {name} is a match probability: give a number between 0 and 1, not {value!r}.")


def dedupe(
    records,
    *,
    roles: Mapping[str, str | Sequence[str]] | None = None,
    id_column: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    seed: int = 42,
    progress: Progress | None = None,
    threads: int = 2,
    memory_limit: str | None = None,
    train: bool | None = None,
) -> Result:
    """Find the records that describe one person; every record gets a cluster, named by its first record's id.

    records: a list of dicts, a pyarrow Table or a pandas-like data frame. roles maps a role (prepare.ROLES) to a
    column or a list of columns to join (address = street, house, flat); None takes columns named as roles.
    Pairs at or above threshold join one cluster; pairs at or above review_threshold are returned for review.
    """
    _check_thresholds(threshold, review_threshold)
    report = progress or (lambda stage, fraction: None)
    columns, role_map, ids, n = _load(records, roles, id_column)
    report("preparing records", 0.0)
    table = prepare(columns, role_map, progress=lambda i: report("preparing records", 0.2 * i / max(n, 1)))
    if n < 2:
        return Result(clusters=[(i, i) for i in ids], pairs=[], stats={"records": n})
    run = _Run([table], "dedupe_only", seed=seed, threads=threads, memory_limit=memory_limit, progress=progress,
               train=train)
    try:
        run.fit()
        run.stats["weights"] = run.weights()
        run.predict(min(review_threshold, threshold))
        pairs = run.pairs(ids, review_threshold)
        cluster_of = run.clusters(threshold)
        clusters = [(ids[i], ids[cluster_of.get(i, i)]) for i in range(n)]
        run.stats["clusters"] = len({c for _, c in clusters})
        run._step("done", 1.0)
        return Result(clusters=clusters, pairs=pairs, stats=run.stats)
    finally:
        run.close()


def link(
    left,
    right,
    *,
    roles: Mapping[str, str | Sequence[str]] | None = None,
    id_column: str | None = None,
    right_roles: Mapping[str, str | Sequence[str]] | None = None,
    right_id_column: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    one_to_one: bool = False,
    seed: int = 42,
    progress: Progress | None = None,
    threads: int = 2,
    memory_limit: str | None = None,
    train: bool | None = None,
) -> Result:
    """Find the records of right that describe a person in left: Result.links holds (left id, right id) matches.

    Records inside one file are not compared. With one_to_one, each record is linked at most once (both files
    known to be free of duplicates); otherwise every pair at or above threshold is a link.
    """
    _check_thresholds(threshold, review_threshold)
    report = progress or (lambda stage, fraction: None)
    cols_l, roles_l, ids_l, n_l = _load(left, roles, id_column)
    cols_r, roles_r, ids_r, n_r = _load(right, right_roles if right_roles is not None else roles,
                                        right_id_column if right_id_column is not None else id_column)
    report("preparing records", 0.0)
    table_l = prepare(cols_l, roles_l, source="left")
    table_r = prepare(cols_r, roles_r, first_id=n_l, source="right")
    ids = list(ids_l) + list(ids_r)
    if not n_l or not n_r:
        return Result(clusters=[], pairs=[], links=[], stats={"records": n_l + n_r})
    run = _Run([table_l, table_r], "link_only", seed=seed, threads=threads, memory_limit=memory_limit,
               progress=progress, train=train)
    try:
        run.fit()
        run.stats["weights"] = run.weights()
        run.predict(min(review_threshold, threshold))
        pairs = run.pairs(ids, review_threshold)
        accepted = None
        if one_to_one:
            run._step("choosing the best link of each record", 0.85)
            accepted = run.mutual_best(threshold)
        links = []
        for p in run.pairs(list(range(len(ids))), threshold):
            if accepted is None or (p.id_l, p.id_r) in accepted:
                links.append(Pair(ids[p.id_l], ids[p.id_r], p.probability, p.weight, p.levels))
        run.stats["links"] = len(links)
        run._step("done", 1.0)
        return Result(clusters=[], pairs=pairs, links=links, stats=run.stats)
    finally:
        run.close()
