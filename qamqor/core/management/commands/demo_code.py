from django.core.management.base import BaseCommand
from django_otp.oath import totp

from qamqor.core.demo import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current two-step verification code of the demo staff accounts (demo data only)."

    def handle(self, *args, **opts):
        self.stdout.write(f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}")
