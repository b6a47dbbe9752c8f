class ServiceError(Exception):
    """A refusal a user can act on: the message is a whole, translated sentence; `field` names the input."""

    def __init__(self, message, *, field: str | None = None, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code


class PermissionDenied(ServiceError):
    def __init__(self, message, **kwargs):
        kwargs.setdefault("code", "forbidden")
        super().__init__(message, **kwargs)
