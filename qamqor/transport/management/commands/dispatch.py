"""`qamqor dispatch solve INSTANCE --time-limit S --seed N --out SOLUTION.json`: plan a Cordeau DARP instance."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qamqor.transport.dispatch.cordeau import InstanceError, read, solution_json
from qamqor.transport.dispatch.search import solve


class Command(BaseCommand):
    help = "Dial-a-ride engine: `solve` plans a Cordeau benchmark instance and writes the routes as JSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("solve", help="Solve a Cordeau instance (2003 or 2006 format).")
        p.add_argument("instance", help="instance file")
        p.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--workers", type=int, default=None, help="parallel searches (default: one per core, max 2)")
        p.add_argument("--iterations", type=int, default=None, help="stop after this many iterations per worker")
        p.add_argument("--out", default=None, help="solution JSON file (default: standard output)")

    def handle(self, *args, **options):
        if options["time_limit"] <= 0:
            raise CommandError("The time limit must be a positive number of seconds.")
        try:
            instance = read(options["instance"])
        except InstanceError as exc:
            raise CommandError(f"{options['instance']}: {exc}") from None
        solution = solve(instance.problem, time_limit=options["time_limit"], seed=options["seed"],
                         workers=options["workers"], iterations=options["iterations"])
        out = solution_json(instance, solution)
        text = json.dumps(out, indent=1)
        if options["out"]:
            try:
                Path(options["out"]).write_text(text)
            except OSError as exc:
                raise CommandError(f"Cannot write {options['out']}: {exc.strerror}.") from None
            unserved = f", {len(solution.unserved)} unserved" if solution.unserved else ""
            self.stdout.write(f"{instance.name}: cost {solution.cost:.2f}{unserved}, "
                              f"{solution.iterations} iterations in {solution.seconds:.1f} s -> {options['out']}")
        else:
            self.stdout.write(text)
