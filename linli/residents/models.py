from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.residents.choices import (
    DisabilityLevel,
    Relation,
    ResidentType,
    Sex,
    Tag,
    VerificationMethod,
)


class ResidentQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        """Only the residents `user` may `action` (one rule for pages, API and exports)."""
        from linli.residents.access import resident_scope_q

        return self.filter(resident_scope_q(user, action))

    def active(self):
        return self.filter(moved_out_on__isnull=True)


class Resident(models.Model):
    """A person who lives in the community: the electronic file (电子档案) of proposal S3."""

    household = models.ForeignKey(
        "places.Household",
        on_delete=models.PROTECT,
        related_name="residents",
        verbose_name=_("household"),
    )
    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(max_length=120, db_index=True, editable=False)
    name_initials = models.CharField(max_length=20, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    relation = models.CharField(
        _("relation to householder"),
        max_length=20,
        choices=Relation.choices,
        default=Relation.OTHER,
    )
    resident_type = models.CharField(
        _("resident type"),
        max_length=20,
        choices=ResidentType.choices,
        default=ResidentType.REGISTERED,
    )
    # The ID number is never stored in the clear (PIPL art. 28): ciphertext, a keyed hash for
    # exact lookup and duplicate detection, the masked form for display, the last four for search.
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)
    id_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    disability_level = models.PositiveSmallIntegerField(
        _("disability level"), null=True, blank=True, choices=DisabilityLevel.choices
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, db_index=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("verified by"),
    )
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="resident_unique_id_number",
            ),
            models.CheckConstraint(
                condition=Q(disability_level__isnull=True)
                | Q(disability_level__gte=1, disability_level__lte=4),
                name="resident_disability_level_1_4",
            ),
        ]

    def __str__(self):
        return self.name

    def age(self, today: date | None = None) -> int:
        today = today or date.today()  # noqa: DTZ011
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday


class ResidentTag(models.Model):
    """A special group a resident belongs to, as recorded by a worker."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(_("special group"), max_length=20, choices=Tag.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("special-group tag")
        verbose_name_plural = _("special-group tags")
        constraints = [
            models.UniqueConstraint(fields=["resident", "tag"], name="residenttag_unique"),
            models.CheckConstraint(
                condition=~Q(tag__in=["aged_60", "infant", "living_alone"]),
                name="residenttag_not_derived",
            ),
        ]

    def __str__(self):
        return self.get_tag_display()


class Verification(models.Model):
    """One check (逐一核实) that a resident's record is true, by a worker, on a date."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="verifications")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"))
    method = models.CharField(_("method"), max_length=20, choices=VerificationMethod.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-verified_at"]
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self):
        return f"{self.resident} {self.verified_at:%Y-%m-%d} {self.get_method_display()}"


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Checking")
    VALIDATED = "validated", _("Checked")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class ImportBatch(models.Model):
    """One uploaded registry sheet: checked row by row, previewed, then imported or dropped."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=200)
    # The sheet itself, kept until it is imported or dropped, so a worker process can read it.
    content = models.BinaryField(editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.VALIDATING
    )
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    # [{"row": 17, "field": "id_number", "message": "..."}], rows numbered as in the sheet.
    errors = models.JSONField(default=list, blank=True)
    file_error = models.CharField(max_length=300, blank=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def error_rows(self) -> int:
        return len({e["row"] for e in self.errors if e.get("row")})
