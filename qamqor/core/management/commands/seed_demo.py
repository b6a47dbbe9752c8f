import sys
import time

from django.core.management.base import BaseCommand, CommandError

from qamqor.core import services
from qamqor.core.demo import SIZES, demo_seed
from qamqor.core.models import TaskProgress


def bar(done, total, message="", width=30, stream=sys.stdout):
    pct = int(done * 100 / total) if total else 0
    filled = int(width * pct / 100)
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {pct:3d}% {done}/{total} {message[:30]:<30}")
    stream.flush()


class Command(BaseCommand):
    help = "Load demo data (deterministic for a seed). Size large runs as a background task with progress."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--background", action="store_true",
                            help="queue the work for `qamqor worker` and follow its progress (default for --size large)")
        parser.add_argument("--no-wait", action="store_true", help="with --background: queue and return at once")

    def handle(self, *args, **opts):
        background = opts["background"] or opts["size"] == "large"
        if not background:
            try:
                summary = demo_seed(size=opts["size"], seed=opts["seed"], report=lambda d, t, m="": bar(d, t, m, stream=self.stdout))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write("\n" + self.style.SUCCESS(f"Loaded {summary}."))
            return
        from qamqor.core.tasks import seed_demo_task

        progress = services.progress_start(kind="seed_demo", label=f"Demo data ({opts['size']}, seed {opts['seed']})")
        result = seed_demo_task.enqueue(progress.pk, opts["size"], opts["seed"])
        services.progress_update(progress.pk, task_result_id=str(result.id))
        self.stdout.write(f"Queued as task {progress.pk}: follow it at /tasks/{progress.pk}/ (needs `qamqor worker`).")
        if opts["no_wait"]:
            return
        while True:
            progress.refresh_from_db()
            bar(progress.done, progress.total or 1, progress.get_status_display(), stream=self.stdout)
            if progress.finished:
                break
            time.sleep(1)
        self.stdout.write("")
        if progress.status == TaskProgress.Status.FAILED:
            raise CommandError(progress.message)
        self.stdout.write(self.style.SUCCESS(progress.message))
