from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks (the django-tasks database worker). Start as many as needed, on any machine."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="default")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="exit when no task is left")

    def handle(self, *args, **opts):
        extra = ["--batch"] if opts["batch"] else []
        call_command("db_worker", "--queue-name", opts["queue_name"], "--interval", str(opts["interval"]), *extra)
