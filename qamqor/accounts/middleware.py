from django.shortcuts import redirect
from django.urls import reverse

from .access import second_factor_missing

# Pages a signed-in user may reach before confirming the second factor.
OPEN_PREFIXES = ("/static/", "/accounts/2fa/", "/accounts/logout/", "/i18n/", "/accessibility/", "/api/")


class RequireTwoFactorMiddleware:
    """Users whose roles see personal data must set up and confirm TOTP before anything else.

    The API is left to its own authentication: session calls there are checked by the API's auth class.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if not request.path.startswith(OPEN_PREFIXES) and second_factor_missing(user):
            from django_otp.plugins.otp_totp.models import TOTPDevice

            has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            target = reverse("accounts:2fa_verify" if has_device else "accounts:2fa_setup")
            return redirect(f"{target}?next={request.get_full_path()}")
        return self.get_response(request)
