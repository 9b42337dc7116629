"""The pieces every API router shares: one error shape and its handlers.

Every error is {"error": {"code": ..., "message": ..., "fields": {name: [messages]}}}.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from linli.core.errors import ApplicationError


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorBody


def error_response(api, request, *, status, code, message, fields=None):
    return api.create_response(
        request,
        {"error": {"code": code, "message": str(message), "fields": fields or {}}},
        status=status,
    )


def _validation_fields(errors) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for err in errors:
        # loc is like ("body", "payload", "name"): the last named part is the field.
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query", "path")]
        name = loc[-1] if loc else "__all__"
        fields.setdefault(name, []).append(err.get("msg", _("is invalid")))
    return fields


def build_api(**kwargs) -> NinjaAPI:
    api = NinjaAPI(
        title="Linli API",
        version="1",
        description="邻里 Linli: the community registry, task pool and services. "
        "Authenticate with POST /api/v1/auth/token, then send `Authorization: Bearer <token>`.",
        urls_namespace="api",
        **kwargs,
    )

    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        return error_response(
            api, request, status=exc.status, code=exc.code, message=exc.message, fields=exc.fields
        )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        return error_response(
            api,
            request,
            status=422,
            code="invalid",
            message=_("Please correct the marked fields."),
            fields=_validation_fields(exc.errors),
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error_response(api, request, status=404, code="not_found", message=_("Not found."))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return error_response(
            api,
            request,
            status=401,
            code="unauthenticated",
            message=_("Log in first: send a valid bearer token."),
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return error_response(
            api, request, status=exc.status_code, code="error", message=str(exc.message)
        )

    return api
