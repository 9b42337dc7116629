"""Writes for accounts: API tokens and role grants."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import ApiToken, RoleGrant, User, hash_token
from linli.core.errors import ApplicationError
from linli.core.services import audit_record


@transaction.atomic
def token_issue(*, request, username: str, password: str) -> tuple[str, ApiToken]:
    """Exchange a username and password for a bearer token. Goes through django-axes, so the
    API is throttled exactly like the login page."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise ApplicationError(
            _("Wrong username or password, or too many failed attempts."),
            code="bad_credentials",
            status=401,
        )
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[4:12],
        expires_at=timezone.now() + timedelta(days=settings.LINLI_API_TOKEN_DAYS),
    )
    audit_record(actor=user, action="auth.token_issue", target=token)
    return raw, token


def token_user(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user__resident__household")
        .filter(key_hash=hash_token(raw), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute: a busy client must not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def grant_role(*, user, role, community=None, grid=None, building=None) -> RoleGrant:
    if grid is not None:
        community = grid.community
    if building is not None:
        community = building.community
    grant, _created = RoleGrant.objects.get_or_create(
        user=user, role=role, community=community, grid=grid, building=building
    )
    return grant
