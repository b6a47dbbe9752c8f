from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class UserLanguageMiddleware(LocaleMiddleware):
    """The language follows the signed-in user's choice, then the language cookie, then the browser.

    Runs after AuthenticationMiddleware (it needs request.user); URLs carry no language prefix.
    """

    def process_request(self, request):
        user = getattr(request, "user", None)
        lang = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if lang:
            translation.activate(lang)
            request.LANGUAGE_CODE = translation.get_language()
        else:
            super().process_request(request)
