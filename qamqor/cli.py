"""The `qamqor` command: Django's management commands with Qamqor's settings, plus run, serve, worker, seed-demo."""

import os
import sys

ALIASES = {"seed-demo": "seed_demo", "demo-code": "demo_code"}


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1:
        argv[1] = ALIASES.get(argv[1], argv[1])
        if argv[1] == "run":
            # `qamqor run` is the local demo: no SECRET_KEY or HTTPS needed.
            os.environ.setdefault("QAMQOR_DEMO", "true")
        elif argv[1] == "serve":
            # `qamqor serve` is production: it refuses to start without SECRET_KEY or with DEBUG.
            os.environ["QAMQOR_PRODUCTION"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qamqor.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
