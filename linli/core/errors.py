"""The one domain error. Services raise it; pages show it, the API turns it into

{"error": {"code": ..., "message": ..., "fields": {...}}}
"""

from django.core.exceptions import ValidationError


class ApplicationError(Exception):
    """A request that cannot be carried out, said so that a person can act on it."""

    status = 400

    def __init__(self, message, *, code: str = "invalid", fields: dict | None = None, status=None):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.fields = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}
        if status is not None:
            self.status = status

    @classmethod
    def from_validation_error(cls, exc: ValidationError, message=None) -> "ApplicationError":
        from django.utils.translation import gettext

        if hasattr(exc, "error_dict"):
            fields = {
                name: [m for e in errors for m in e.messages]
                for name, errors in exc.error_dict.items()
            }
        else:
            fields = {"__all__": exc.messages}
        return cls(
            message or gettext("Please correct the errors below."), code="invalid", fields=fields
        )


class PermissionDenied(ApplicationError):
    status = 403

    def __init__(self, message, *, code="forbidden"):
        super().__init__(message, code=code)


class Conflict(ApplicationError):
    status = 409

    def __init__(self, message, *, code="conflict", fields=None):
        super().__init__(message, code=code, fields=fields)
