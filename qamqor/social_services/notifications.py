"""Notifications to people: e-mail through Django's mail (the console in development, SMTP when EMAIL_HOST is set),
and SMS only when settings.QAMQOR_SMS_ENABLED is true.

No SMS gateway is wired up yet: SmsSender is a stub. Enabled without QAMQOR_SMS_GATEWAY_URL it raises
ImproperlyConfigured (a switched-on channel that silently sends nothing would be worse); with it, it writes the message
to the log, which is where a real gateway client goes. Both settings are read with getattr, so they default to off."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail

log = logging.getLogger("qamqor.social_services.notifications")


class SmsSender:
    """The SMS channel (a stub until a gateway is chosen)."""

    def __init__(self, gateway_url: str | None = None):
        self.gateway_url = gateway_url if gateway_url is not None else getattr(settings, "QAMQOR_SMS_GATEWAY_URL", "")

    def send(self, phone: str, text: str) -> None:
        if not self.gateway_url:
            raise ImproperlyConfigured("QAMQOR_SMS_ENABLED is on but QAMQOR_SMS_GATEWAY_URL is not set: "
                                       "set the gateway or turn SMS off.")
        log.info("SMS to %s via %s: %s", phone, self.gateway_url, text)


def sms_enabled() -> bool:
    return bool(getattr(settings, "QAMQOR_SMS_ENABLED", False))


def notify(user, subject: str, text: str) -> list[str]:
    """Tell a user something by e-mail (and SMS when switched on); returns the channels used. Call after commit."""
    channels = []
    if user is None:
        return channels
    if user.email:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=False)
        channels.append("email")
    if sms_enabled() and getattr(user, "phone", ""):
        SmsSender().send(user.phone, f"{subject}: {text}")
        channels.append("sms")
    return channels
