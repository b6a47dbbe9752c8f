"""API authentication: a personal access token (Bearer) or the browser session (with CSRF)."""

from django.conf import settings
from ninja.security import APIKeyCookie, HttpBearer

from qamqor.accounts.services import token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
            # A token is a second factor of its own: it was created after a verified log-in.
            request.auth_via = "token"
            return user
        return None


class SessionAuth(APIKeyCookie):
    """The browser session; users who must confirm a second factor count only once they have."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if settings.QAMQOR_REQUIRE_2FA and user.needs_two_factor and not user.is_verified():
            return None
        request.auth_via = "session"
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()
AUTH = [token_auth, session_auth]


class OptionalAuth:
    """Public endpoints: anonymous is fine, but a token or session identifies the caller when given."""

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            user = token_authenticate(header[7:].strip())
            if user is not None:
                request.user = user
        return True
