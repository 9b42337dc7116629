import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.accounts.choices import Role


class User(AbstractUser):
    """A person who logs in: a community worker of any force, a supervisor, or a resident."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # A resident's login is tied to their registry record, which fixes the household they see.
    resident = models.OneToOneField(
        "residents.Resident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
        verbose_name=_("resident record"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username


class RoleGrant(models.Model):
    """One role a user holds, over one area: a whole community (grid and building empty),
    one grid, or one building. A supervisor's grant with no community covers them all."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    community = models.ForeignKey(
        "places.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("community"),
    )
    grid = models.ForeignKey(
        "places.Grid",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("grid"),
    )
    building = models.ForeignKey(
        "places.Building",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("building"),
    )

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.CheckConstraint(
                condition=Q(grid__isnull=True) | Q(building__isnull=True),
                name="rolegrant_grid_or_building",
            ),
            models.CheckConstraint(
                condition=Q(community__isnull=False) | Q(role__in=["supervisor", "admin"]),
                name="rolegrant_community_required",
            ),
        ]

    def __str__(self):
        area = self.building or self.grid or self.community or _("all communities")
        return f"{self.user} · {self.get_role_display()} · {area}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for /api/v1. Only its hash is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.user} {self.prefix}…"

    @staticmethod
    def new_raw() -> str:
        return "lnl_" + secrets.token_urlsafe(32)

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()
