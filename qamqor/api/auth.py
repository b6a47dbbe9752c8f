"""API authentication: a personal access token (Bearer) or the browser session (with CSRF)."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from qamqor.accounts.access import second_factor_missing
from qamqor.accounts.services import token_authenticate
from qamqor.core.errors import PermissionDenied


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
            # A token is a second factor of its own: it was created after a verified log-in.
            request.auth_via = "token"
            return user
        return None


def session_user(request):
    """The session's user if they count as logged in; one who must confirm a second factor, only once they have."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return None if second_factor_missing(user) else user


class SessionAuth(APIKeyCookie):
    """The browser session; unsafe methods need the CSRF token, as for the site's own forms."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        # Without a logged-in session there is nothing for a forged request to ride on: the caller is anonymous
        # (401), and a client whose token was refused must not be told about CSRF instead.
        if getattr(request, "user", None) is None or not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied(_("The CSRF check failed. Reload the page and try again; programs should send an "
                                     "API token in the Authorization header instead of a session cookie."),
                                   code="csrf_failed")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        user = session_user(request)
        if user is not None:
            request.auth_via = "session"
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()
AUTH = [token_auth, session_auth]


class OptionalAuth:
    """Public endpoints: anonymous is fine, but a token or session identifies the caller when given.

    request.user is left as the caller the API recognises: a token's user, a session user who has confirmed the second
    factor where needed, or AnonymousUser. A Bearer token that is sent but not valid (revoked, expired, mistyped) is
    refused with 401 rather than quietly ignored, so that a client notices before it acts on a partial answer.
    """

    def __call__(self, request):
        scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            user = token_authenticate(raw.strip())
            if user is None:
                raise AuthenticationError()
            request.user = user
            return True
        request.user = session_user(request) or AnonymousUser()
        return True
