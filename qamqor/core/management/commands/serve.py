import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the production web server (gunicorn). Put it behind a reverse proxy that terminates HTTPS."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=f"0.0.0.0:{os.environ.get('PORT', '8000')}")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "3")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))

    def handle(self, *args, **opts):
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        os.execv(gunicorn, [gunicorn, "qamqor.wsgi:application", "--bind", opts["bind"], "--workers",
                            str(opts["workers"]), "--threads", str(opts["threads"]), "--access-logfile", "-"])
