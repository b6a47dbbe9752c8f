"""One-time codes that a person reads out to confirm they received help or a service.

A code is derived from the server's secret and the record (never stored), so only pages that may show it to the
person can compute it, and the worker can only type what the person tells them.
"""

import hashlib
import hmac
import re

from django.conf import settings


def one_time_code(purpose: str, pk: int, created_at) -> str:
    """Six digits for one record: `purpose` keeps codes of different kinds of record apart."""
    message = f"{purpose}:{pk}:{created_at.isoformat()}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return f"{int(digest[:12], 16) % 1_000_000:06d}"


def code_matches(given: str, expected: str) -> bool:
    """Six ASCII digits equal to the expected code, compared in constant time."""
    return bool(re.fullmatch(r"[0-9]{6}", given)) and hmac.compare_digest(given, expected)
