from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.health.choices import (
    ChangeSource,
    HealthStatus,
    LabKind,
    LabOutcome,
    QuarantineKind,
    ReportSource,
)
from linli.health.constants import FEVER_CELSIUS


class HealthRecord(models.Model):
    """A resident's current health status (proposal S3: a complete record of each person's
    health). A resident without a record is healthy. Every change also leaves a
    HealthStatusChange, so the full history is kept."""

    resident = models.OneToOneField(
        "residents.Resident",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="health",
        verbose_name=_("resident"),
    )
    status = models.CharField(
        _("health status"),
        max_length=20,
        choices=HealthStatus.choices,
        default=HealthStatus.HEALTHY,
        db_index=True,
    )
    since = models.DateTimeField(_("since"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("health record")
        verbose_name_plural = _("health records")

    def __str__(self):
        return f"{self.resident} {self.get_status_display()}"


class HealthStatusChange(models.Model):
    """One move of a resident's health status: from, to, who, when and why."""

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.CASCADE, related_name="health_changes"
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=HealthStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=HealthStatus.choices)
    reason = models.CharField(_("reason"), max_length=300)
    source = models.CharField(
        _("source"), max_length=16, choices=ChangeSource.choices, default=ChangeSource.MANUAL
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("health status change")
        verbose_name_plural = _("health status changes")
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="health_change_reason")]

    def __str__(self):
        return f"{self.resident} {self.from_status} → {self.to_status}"


class HealthReport(models.Model):
    """One day's health report for one resident (temperature, symptoms, a note), by the
    resident on a phone or by a worker or building leader for them. One per person per day;
    reporting again the same day corrects it."""

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.CASCADE, related_name="health_reports"
    )
    date = models.DateField(_("date"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    source = models.CharField(
        _("reported"), max_length=10, choices=ReportSource.choices, default=ReportSource.SELF
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"))

    class Meta:
        ordering = ["-date", "resident_id"]
        verbose_name = _("daily health report")
        verbose_name_plural = _("daily health reports")
        constraints = [
            models.UniqueConstraint(fields=["resident", "date"], name="health_report_one_per_day")
        ]
        indexes = [models.Index(fields=["date", "resident"])]

    def __str__(self):
        return f"{self.resident} {self.date} {self.temperature}"

    @property
    def fever(self) -> bool:
        return self.temperature >= FEVER_CELSIUS

    @property
    def unwell(self) -> bool:
        return self.fever or bool(self.symptoms)


class LabResult(models.Model):
    """A PCR or antigen test: when, where, and the outcome. Typed by a worker or imported in
    bulk from a laboratory's sheet; the same person, kind, day and place is one test."""

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.CASCADE, related_name="lab_results"
    )
    kind = models.CharField(_("test"), max_length=10, choices=LabKind.choices)
    outcome = models.CharField(_("result"), max_length=12, choices=LabOutcome.choices)
    sampled_on = models.DateField(_("sampled on"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported = models.BooleanField(_("imported"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sampled_on", "-id"]
        verbose_name = _("test result")
        verbose_name_plural = _("test results")
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "kind", "sampled_on", "place"], name="lab_result_unique"
            )
        ]

    def __str__(self):
        return f"{self.resident} {self.get_kind_display()} {self.sampled_on} {self.outcome}"


class Quarantine(models.Model):
    """A period a resident stays at home or in a quarantine hotel: start, planned end
    (default 14 days, extendable with a reason), daily follow-up, release. At most one is
    in force per person. Households with someone under home quarantine get door delivery."""

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.CASCADE, related_name="quarantines"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=QuarantineKind.choices)
    location = models.CharField(_("where (hotel, ward)"), max_length=120, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("planned end"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_on = models.DateField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    release_note = models.CharField(_("release note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("quarantine")
        verbose_name_plural = _("quarantines")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(released_on__isnull=True),
                name="quarantine_one_in_force",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="quarantine_ends_after_start"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="quarantine_has_reason"),
        ]

    def __str__(self):
        return f"{self.resident} {self.get_kind_display()} {self.starts_on}–{self.ends_on}"

    @property
    def in_force(self) -> bool:
        return self.released_on is None


class QuarantineExtension(models.Model):
    """One extension of a quarantine's planned end, with who, when and why."""

    quarantine = models.ForeignKey(Quarantine, on_delete=models.CASCADE, related_name="extensions")
    old_end = models.DateField(_("old end"))
    new_end = models.DateField(_("new end"))
    reason = models.CharField(_("reason"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("quarantine extension")
        verbose_name_plural = _("quarantine extensions")
        constraints = [
            models.CheckConstraint(
                condition=Q(new_end__gt=models.F("old_end")), name="extension_moves_end_later"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="extension_has_reason"),
        ]

    def __str__(self):
        return f"{self.quarantine_id}: {self.old_end} → {self.new_end}"
