import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from qamqor.core.demo import DEMO_PASSWORD, DEMO_TOTP_BASE32, demo_is_loaded, demo_logins, demo_seed


class Command(BaseCommand):
    help = "Run the whole platform locally: migrate, load demo data once, start the web server and a task worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")

    def handle(self, *args, **opts):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not opts["no_demo"] and not demo_is_loaded():
            self.stdout.write("Loading demo data (once)...")
            demo_seed(size="small", seed=1)
        qamqor = os.path.join(os.path.dirname(sys.executable), "qamqor")
        env = {**os.environ, "QAMQOR_DEMO": "true"}
        worker = subprocess.Popen([qamqor, "worker"], env=env)
        web = subprocess.Popen([qamqor, "runserver", "--noreload", "--skip-checks", f"{opts['host']}:{opts['port']}"],
                               env=env)
        url = f"http://{'localhost' if opts['host'] in ('127.0.0.1', '0.0.0.0') else opts['host']}:{opts['port']}/"
        self.print_banner(url)

        def stop(*_):
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.terminate()
            for proc in (web, worker):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()

        signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
        try:
            while web.poll() is None and worker.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            self.stdout.write("\nQamqor stopped.")

    def print_banner(self, url):
        w = self.stdout.write
        w("")
        w(self.style.SUCCESS(f"Qamqor is running at {url}"))
        w(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
        for label, email, needs_2fa in demo_logins():
            w(f"  {label:<32} {email}{'  (2FA)' if needs_2fa else ''}")
        w("Accounts marked 2FA confirm each log-in with a code: add the key "
          f"{DEMO_TOTP_BASE32} to an authenticator app, or run `.venv/bin/qamqor demo-code`.")
        w("Press Ctrl-C to stop.")
