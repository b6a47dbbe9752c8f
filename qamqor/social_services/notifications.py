"""Notifications to people: e-mail through Django's mail (the console in development, SMTP when EMAIL_HOST is set),
and SMS when the SMS_ENABLED switch is on.

SMS goes to an HTTP gateway (SMS_GATEWAY_URL): one POST per message with the JSON body
{"to": "+77011234567", "text": "...", "sender": "Qamqor"} and, when SMS_GATEWAY_TOKEN is set, the header
"Authorization: Bearer <token>"; any 2xx answer means accepted. Kazakhstan's SMS providers each have their own API,
so an operator runs (or the provider offers) an adapter with this one shape; nothing here depends on a vendor.
Switched on without a gateway, start-up refuses (settings.py). A gateway that fails is logged and the e-mail still
goes: a notice is never the reason a booking fails, and notices are sent after the booking is committed."""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail

log = logging.getLogger("qamqor.social_services.notifications")


class SmsError(Exception):
    """The gateway did not accept a message."""


class SmsSender:
    """The SMS channel: an HTTP gateway taking one JSON message per POST."""

    def __init__(self, gateway_url: str | None = None, token: str | None = None, timeout: float = 10.0):
        self.gateway_url = gateway_url if gateway_url is not None else getattr(settings, "QAMQOR_SMS_GATEWAY_URL", "")
        self.token = token if token is not None else getattr(settings, "QAMQOR_SMS_GATEWAY_TOKEN", "")
        self.sender = getattr(settings, "QAMQOR_SMS_SENDER", "Qamqor")
        self.timeout = timeout

    def send(self, phone: str, text: str) -> None:
        if not self.gateway_url:
            raise ImproperlyConfigured("SMS_ENABLED is on but SMS_GATEWAY_URL is not set: set the gateway or turn "
                                       "SMS off.")
        digits = re.sub(r"\D", "", phone or "")
        if len(digits) == 11 and digits[0] == "8":
            digits = "7" + digits[1:]  # 8 701 ... is the domestic form of +7 701 ...
        if len(digits) != 11 or digits[0] != "7":
            raise SmsError(f"not a Kazakhstan mobile number: {phone!r}")
        body = json.dumps({"to": f"+{digits}", "text": text, "sender": self.sender}).encode()
        request = urllib.request.Request(self.gateway_url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            raise SmsError(f"the gateway answered {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"the gateway cannot be reached: {exc}") from None
        if not 200 <= status < 300:
            raise SmsError(f"the gateway answered {status}")


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
        try:
            SmsSender().send(user.phone, f"{subject}: {text}")
        except SmsError as exc:
            log.warning("SMS to user %s not sent: %s", user.pk, exc)
        else:
            channels.append("sms")
    return channels
