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
def token_issue(
    *, request, username: str, password: str, otp_token: str | None = None
) -> tuple[str, ApiToken]:
    """Exchange a username and password for a bearer token. Goes through django-axes, so the
    API is throttled exactly like the login page."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise ApplicationError(
            _("Wrong username or password, or too many failed attempts."),
            code="bad_credentials",
            status=401,
        )
    if not totp_check(user, otp_token):
        raise ApplicationError(
            _("This account uses two-step login: send otp_token with the current code."),
            code="otp_required",
            fields={"otp_token": [_("is required and must be the current code")]},
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


def _totp_devices(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user)


@transaction.atomic
def totp_start(*, user):
    """A new, unconfirmed authenticator for `user` (replacing any unconfirmed one)."""
    devices = _totp_devices(user)
    devices.filter(confirmed=False).delete()
    return devices.model.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def totp_confirm(*, user, token: str) -> None:
    device = _totp_devices(user).filter(confirmed=False).select_for_update().first()
    if device is None or not device.verify_token(token.strip()):
        raise ApplicationError(
            _("That code is not right. Check the time on your phone and try the newest code."),
            fields={"token": [_("does not match the authenticator")]},
        )
    _totp_devices(user).filter(confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="auth.2fa_enable", target=user)


@transaction.atomic
def totp_disable(*, user, token: str) -> None:
    device = _totp_devices(user).filter(confirmed=True).select_for_update().first()
    if device is None or not device.verify_token(token.strip()):
        raise ApplicationError(
            _("That code is not right."),
            fields={"token": [_("does not match the authenticator")]},
        )
    _totp_devices(user).delete()
    audit_record(actor=user, action="auth.2fa_disable", target=user)


def totp_check(user, token: str | None) -> bool:
    """True when `user` needs no code, or `token` is a current code of their authenticator."""
    devices = list(_totp_devices(user).filter(confirmed=True))
    if not devices:
        return True
    return bool(token) and any(d.verify_token(token.strip()) for d in devices)


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
