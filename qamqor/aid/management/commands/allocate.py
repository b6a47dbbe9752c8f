"""`qamqor allocate INSTANCE.json --out RESULT.json`: allocate a campaign file with the allocation engine, exactly.
Nothing is read from or written to the database."""

import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = ("Allocate lots to needs from a JSON file (needs, lots, cross_region; optional locks, excluded_needs, "
            "excluded_lots) and write the objective, whether it is proven optimal, and the assignments.")

    def add_arguments(self, parser):
        parser.add_argument("input", metavar="INSTANCE.json", type=Path)
        # Required, but checked in handle() so that a missing one gets a one-line message.
        parser.add_argument("--out", type=Path, metavar="RESULT.json", help="where to write the result")
        parser.add_argument("--workers", type=int, default=1,
                            help="solve independent parts of the campaign in this many processes (default 1)")

    def handle(self, *args, **opts):
        from qamqor.aid.allocation import InvalidInstance, allocate, parse_instance

        path, out = opts["input"], opts["out"]
        if not out:
            raise CommandError(_("Give --out RESULT.json: where to write the allocation."))
        try:
            with open(path, encoding="utf-8") as f:
                # Decimals keep priorities as written (0.1 stays one tenth), which the exact optimum relies on.
                data = json.load(f, parse_float=Decimal)
        except FileNotFoundError:
            raise CommandError(_("Cannot read %(path)s: there is no such file.") % {"path": path}) from None
        except IsADirectoryError:
            raise CommandError(_("Cannot read %(path)s: it is a folder, not a JSON file.") % {"path": path}) from None
        except UnicodeDecodeError:
            raise CommandError(_("%(path)s is not UTF-8 text: save it as UTF-8 and try again.") % {"path": path}) \
                from None
        except json.JSONDecodeError as exc:
            raise CommandError(_("%(path)s is not valid JSON: %(error)s at line %(line)d, column %(column)d.")
                               % {"path": path, "error": exc.msg, "line": exc.lineno, "column": exc.colno}) from None
        try:
            instance = parse_instance(data)
        except InvalidInstance as exc:
            raise CommandError(_("%(path)s has %(n)d problem(s); nothing was allocated. Correct them and run again:"
                                 "\n%(errors)s") % {"path": path, "n": len(exc.errors), "errors": str(exc)}) from None
        if opts["workers"] < 1:
            raise CommandError(_("--workers is a number of processes: give 1 or more."))
        result = allocate(instance, workers=opts["workers"])
        self._write(out, result.to_json())
        self.stderr.write(_("allocate: %(needs)s needs, %(lots)s lots; objective %(objective).6g (%(optimal)s), "
                            "%(assignments)s assignments; wrote %(out)s in %(seconds).1fs") % {
            "needs": f"{len(instance.needs):,}", "lots": f"{len(instance.lots):,}", "objective": result.objective,
            "optimal": _("proven optimal") if result.optimal else _("not proven optimal"),
            "assignments": f"{len(result.assignments):,}", "out": out, "seconds": result.stats["seconds"]})

    @staticmethod
    def _write(out: Path, payload: dict) -> None:
        # Written beside the target and renamed into place, so that a failed write leaves no half file.
        folder = out.parent if str(out.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
        except OSError as exc:
            raise CommandError(_("Cannot write %(path)s: %(error)s.") % {"path": out, "error": exc.strerror}) \
                from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(payload, f, ensure_ascii=False)
            os.replace(tmp, out)
        except OSError as exc:
            os.unlink(tmp)
            raise CommandError(_("Cannot write %(path)s: %(error)s.") % {"path": out, "error": exc.strerror}) \
                from None
