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


def responses(*statuses):
    """The error answers an operation can give, for its `response=` declaration (and so for the OpenAPI document)."""
    return {status: Error for status in statuses}


def error_response(api, request, status, code, message, fields=None):
    return api.create_response(request, {"error": {"code": code, "message": str(message), "fields": fields or []}},
                               status=status)


def _field_name(loc):
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "header", "cookie")]
    return ".".join(parts) or "request"


def _field_message(error):
    # Our own validators raise ValueError with a translated sentence; pydantic prefixes it with "Value error, ".
    if error.get("type") == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return error.get("msg", "")


def install(api):
    @api.exception_handler(ValidationError)
    def validation(request, exc):
        fields = [{"field": _field_name(e.get("loc", ())), "message": _field_message(e)} for e in exc.errors]
        return error_response(api, request, 422, "invalid", _("Some of the data is not valid. See the fields."), fields)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return error_response(api, request, 401, "unauthenticated",
                              _("Log in, or send a valid API token in the Authorization header."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return error_response(api, request, 403, exc.code, exc.message)

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
        # Ninja raises HttpError(400) only when the body cannot be parsed; its message is English and terse.
        message = _("The request body is not valid JSON. Send a JSON object with the fields this operation "
                    "describes.") if exc.status_code == 400 else str(exc)
        return error_response(api, request, exc.status_code, code, message)
