"""Error pages in the user's language, with the site's layout."""

from django.shortcuts import render
from django.utils.translation import gettext as _


def _page(request, status, title, text):
    return render(request, "core/error.html", {"status": status, "title": title, "text": text}, status=status)


def bad_request(request, exception=None):
    return _page(request, 400, _("The request could not be understood"), _("Go back and try again."))


def permission_denied(request, exception=None):
    return _page(request, 403, _("You may not open this page"),
                 _("Your account does not have access to this page. If you think it should, ask your organisation's administrator."))


def page_not_found(request, exception=None):
    return _page(request, 404, _("Page not found"), _("Check the address, or go to the home page."))


def server_error(request):
    return render(request, "core/error_500.html", status=500)
