"""One JSON error shape for the whole API: {"error": {"code", "message", "fields": [{"field", "message"}]}}."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import BaseModel

from qamqor.core.errors import PermissionDenied, ServiceError


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldError] = []


class Error(BaseModel):
    error: ErrorBody


def error_response(api, request, status, code, message, fields=None):
    return api.create_response(request, {"error": {"code": code, "message": str(message), "fields": fields or []}},
                               status=status)


def _field_name(loc):
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "header", "cookie")]
    return ".".join(parts) or "request"


def install(api):
    @api.exception_handler(ValidationError)
    def validation(request, exc):
        fields = [{"field": _field_name(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors]
        return error_response(api, request, 422, "invalid", _("Some of the data is not valid. See the fields."), fields)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return error_response(api, request, 401, "unauthenticated",
                              _("Log in, or send a valid API token in the Authorization header."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return error_response(api, request, 403, "forbidden", exc.message)

    @api.exception_handler(ServiceError)
    def service_error(request, exc):
        status = {"duplicate": 409, "conflict": 409, "not_found": 404}.get(exc.code, 422)
        fields = [{"field": exc.field, "message": str(exc.message)}] if exc.field else []
        return error_response(api, request, status, exc.code, exc.message, fields)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error_response(api, request, 404, "not_found", str(exc) if str(exc) else _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        code = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 429: "throttled"}.get(exc.status_code, "error")
        return error_response(api, request, exc.status_code, code, str(exc))
