"""`qamqor linkage dedupe INPUT.csv --id COLUMN --map role=column,... --out clusters.csv`: find the records of one
person in any CSV file, with the registry's linkage engine. Nothing is read from or written to the database."""

import csv
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qamqor.registry.linkage.prepare import ROLES


def parse_map(text: str) -> dict[str, list[str]]:
    """"surname=Фамилия,given_name=Имя,address=street+house" -> {"surname": ["Фамилия"], ...}."""
    roles: dict[str, list[str]] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        role, sep, columns = item.partition("=")
        role, columns = role.strip(), [c.strip() for c in columns.split("+") if c.strip()]
        if not sep or not role or not columns:
            raise CommandError(_("--map takes role=column pairs separated by commas, e.g. "
                                 "surname=Фамилия,given_name=Имя; %(item)r is not one.") % {"item": item})
        if role not in ROLES:
            raise CommandError(_("Unknown role %(role)r in --map: use one of %(roles)s.")
                               % {"role": role, "roles": ", ".join(ROLES)})
        if role in roles:
            raise CommandError(_("The role %(role)s is mapped twice in --map: map it once (join columns with +).")
                               % {"role": role})
        roles[role] = columns
    if not roles:
        raise CommandError(_("--map is empty: map at least one role to a column, e.g. --map surname=Фамилия."))
    return roles


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            sample = f.read(64 * 1024)
            f.seek(0)
            # Spreadsheets saved in Kazakh and Russian locales separate with semicolons.
            first_line = sample.splitlines()[0] if sample else ""
            delimiter = max(",;\t", key=first_line.count)
            reader = csv.DictReader(f, delimiter=delimiter, skipinitialspace=True)
            if not reader.fieldnames:
                raise CommandError(_("%(path)s is empty: it needs a header row and at least one record.")
                                   % {"path": path})
            reader.fieldnames = [name.strip() for name in reader.fieldnames]
            rows = []
            for row in reader:
                if None in row:
                    raise CommandError(_("Row %(row)d of %(path)s has more fields than the header; check the "
                                         "quoting of that row.") % {"row": reader.line_num, "path": path})
                rows.append(row)
            return reader.fieldnames, rows
    except FileNotFoundError:
        raise CommandError(_("Cannot read %(path)s: there is no such file.") % {"path": path}) from None
    except IsADirectoryError:
        raise CommandError(_("Cannot read %(path)s: it is a folder, not a CSV file.") % {"path": path}) from None
    except UnicodeDecodeError:
        raise CommandError(_("%(path)s is not UTF-8 text: save it as \"CSV UTF-8\" and try again.")
                           % {"path": path}) from None
    except csv.Error as exc:
        raise CommandError(_("%(path)s is not a readable CSV file (%(error)s).") % {"path": path, "error": exc}) \
            from None


class Command(BaseCommand):
    help = "Record linkage on a CSV file: `linkage dedupe` finds the records that describe one person."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="dedupe")
        dedupe = actions.add_parser(
            "dedupe", help="Group the records of one person; writes id,cluster_id for every input record.",
            description="Deduplicate INPUT.csv. Roles: " + ", ".join(ROLES) + ". Columns not mapped are ignored.")
        dedupe.add_argument("input", metavar="INPUT.csv", type=Path)
        # Required options are checked in handle(), so that a missing one gets a one-line message.
        dedupe.add_argument("--id", dest="id_column", metavar="COLUMN", help="the column holding each record's id")
        dedupe.add_argument("--map", dest="roles", metavar="ROLE=COLUMN,...",
                            help="which column plays which role; join several with +, e.g. address=street+house")
        dedupe.add_argument("--out", type=Path, metavar="clusters.csv", help="where to write id,cluster_id")
        dedupe.add_argument("--pairs", type=Path, metavar="pairs.csv",
                            help="also write the likely duplicate pairs with their match probability, for review")
        dedupe.add_argument("--threshold", type=float, default=None,
                            help="match probability at which two records join one cluster (default 0.9)")
        dedupe.add_argument("--seed", type=int, default=42, help="seed of the random sampling in training")

    def handle(self, *args, **opts):
        from qamqor.registry.linkage import DEFAULT_THRESHOLD, LinkageError, check_roles, dedupe

        if not opts["roles"]:
            raise CommandError(_("Give --map role=column,...: which columns hold the surname, given name, birth "
                                 "date, IIN and so on."))
        if not opts["id_column"]:
            raise CommandError(_("Give --id COLUMN: the column that holds each record's id."))
        if not opts["out"]:
            raise CommandError(_("Give --out FILE.csv: where to write each id with its cluster."))
        threshold = DEFAULT_THRESHOLD if opts["threshold"] is None else opts["threshold"]
        if not 0 < threshold < 1:
            raise CommandError(_("--threshold is a match probability: give a number between 0 and 1."))
        roles = parse_map(opts["roles"])
        path = opts["input"]
        columns, rows = read_csv(path)
        for role, cols in roles.items():
            for col in cols:
                if col not in columns:
                    raise CommandError(_("Column %(col)r (for role %(role)s) is not in %(path)s; its columns are: "
                                         "%(columns)s.") % {"col": col, "role": role, "path": path,
                                                            "columns": ", ".join(columns)})
        id_column = opts["id_column"]
        if id_column not in columns:
            raise CommandError(_("The id column %(col)r is not in %(path)s; its columns are: %(columns)s.")
                               % {"col": id_column, "path": path, "columns": ", ".join(columns)})
        try:
            check_roles(roles, columns)
        except LinkageError as exc:
            raise CommandError(str(exc)) from None
        if not rows:
            raise CommandError(_("%(path)s has a header but no records.") % {"path": path})
        first_row: dict[str, int] = {}
        for line, row in enumerate(rows, start=2):
            value = row[id_column]
            if value in first_row:
                raise CommandError(_("The id %(id)r appears twice in column %(col)s (rows %(a)d and %(b)d): ids "
                                     "must be unique.") % {"id": value, "col": id_column, "a": first_row[value],
                                                           "b": line})
            if not value:
                raise CommandError(_("Row %(row)d has no id in column %(col)s: every record needs one.")
                                   % {"row": line, "col": id_column})
            first_row[value] = line

        started = time.perf_counter()
        shown = {"stage": None, "fraction": -1.0}

        def progress(stage, fraction):
            # One line per stage, and a line per tenth while preparing: enough to see it move, not a flood.
            if stage != shown["stage"] or fraction - shown["fraction"] >= 0.1:
                shown.update(stage=stage, fraction=fraction)
                self.stderr.write(f"linkage: {fraction:4.0%} {stage} ({time.perf_counter() - started:.1f}s)")

        self.stderr.write(_("linkage: %(n)s records from %(path)s") % {"n": f"{len(rows):,}", "path": path})
        try:
            result = dedupe(rows, roles=roles, id_column=id_column, threshold=threshold, seed=opts["seed"],
                            progress=progress)
        except LinkageError as exc:
            raise CommandError(str(exc)) from None
        try:
            with open(opts["out"], "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(["id", "cluster_id"])
                writer.writerows(result.clusters)
            if opts["pairs"]:
                with open(opts["pairs"], "w", newline="", encoding="utf-8") as f:
                    writer = csv.writer(f)
                    writer.writerow(["id_l", "id_r", "match_probability", "match_weight"])
                    writer.writerows((p.id_l, p.id_r, f"{p.probability:.6f}", f"{p.weight:.2f}")
                                     for p in result.pairs)
        except OSError as exc:
            raise CommandError(_("Cannot write %(path)s: %(error)s.") % {"path": exc.filename,
                                                                        "error": exc.strerror}) from None
        clusters = result.stats.get("clusters", len(result.clusters))
        self.stderr.write(_("linkage: %(n)s records in %(clusters)s clusters, %(duplicates)s duplicates; wrote "
                            "%(out)s (%(seconds).1fs)") % {
            "n": f"{len(rows):,}", "clusters": f"{clusters:,}", "duplicates": f"{len(rows) - clusters:,}",
            "out": opts["out"], "seconds": time.perf_counter() - started})
        sys.stderr.flush()
