"""`qamqor social-reminders [--day YYYY-MM-DD]`: remind people of their bookings of a day (tomorrow by default).
Run it once a day (cron, a systemd timer or the task worker); each booking is reminded once, so reruns are safe."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Send reminders (e-mail, and SMS when switched on) for the special social service bookings of a day."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="the day of the bookings, YYYY-MM-DD (default: tomorrow)")

    def handle(self, *args, **opts):
        from qamqor.social_services.services import booking_send_reminders

        day = None
        if opts.get("day"):
            try:
                day = dt.date.fromisoformat(opts["day"])
            except ValueError:
                raise CommandError("Give the day as YYYY-MM-DD.") from None
        sent = booking_send_reminders(day=day)
        self.stdout.write(f"{sent} reminders sent.")
