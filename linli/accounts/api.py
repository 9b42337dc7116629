"""Authentication for /api/v1: bearer tokens, or the browser's session."""

from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from ninja.security import HttpBearer, django_auth

from linli.accounts.services import token_issue, token_user
from linli.core.api import ErrorOut


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


# Either a bearer token or a logged-in browser session (with its CSRF check).
api_auth = [BearerToken(), django_auth]

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str
    otp_token: str | None = None


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_at: str
    username: str


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 422: ErrorOut},
    summary=str(_("Exchange a username and password for a bearer token")),
)
def issue_token(request, payload: TokenIn):
    raw, token = token_issue(
        request=request,
        username=payload.username,
        password=payload.password,
        otp_token=payload.otp_token,
    )
    return {
        "token": raw,
        "expires_at": token.expires_at.isoformat(),
        "username": token.user.get_username(),
    }
