import json

from django.utils.translation import gettext as _


class ApiMethodNotAllowedMiddleware:
    """ninja answers a wrong method with a plain-text 405; under /api/ every error has the one JSON shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code == 405 and request.path.startswith("/api/")
                and "json" not in response.get("Content-Type", "")):
            allowed = response.get("Allow", "")
            body = {"error": {"code": "method_not_allowed",
                              "message": _("This address does not accept %(method)s. It accepts: %(allowed)s.")
                              % {"method": request.method, "allowed": allowed},
                              "fields": []}}
            response.content = json.dumps(body, ensure_ascii=False).encode()
            response["Content-Type"] = "application/json; charset=utf-8"
        return response
