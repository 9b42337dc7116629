from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.health.choices import HealthStatus
from linli.tracing.choices import (
    CheckInSource,
    ContactKind,
    CrossCheckStatus,
    ListKind,
    Review,
    RunStatus,
)


class CheckIn(models.Model):
    """One visit of a resident to a public place (scan of the place's QR code on entry, or
    recorded by a worker for someone without a phone). The exit is recorded when known;
    otherwise the default stay is assumed. A person's check-ins are their trajectory."""

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.CASCADE, related_name="checkins"
    )
    place = models.ForeignKey("places.PublicPlace", on_delete=models.CASCADE, related_name="+")
    entered_at = models.DateTimeField(_("entered"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=CheckInSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-entered_at", "-id"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        indexes = [
            models.Index(fields=["resident", "entered_at"]),
            models.Index(fields=["place", "entered_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("entered_at")),
                name="checkin_leaves_after_entering",
            )
        ]

    def __str__(self):
        return f"{self.resident} @ {self.place} {self.entered_at:%Y-%m-%d %H:%M}"


class DirectContact(models.Model):
    """A contact between two residents that no check-in shows (a visit, a shared car),
    recorded by a worker during an epidemiological interview."""

    resident = models.ForeignKey("residents.Resident", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("residents.Resident", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("when"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("direct contact")
        verbose_name_plural = _("direct contacts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(resident=models.F("other")), name="direct_contact_two_people"
            )
        ]

    def __str__(self):
        return f"{self.resident_id} ↔ {self.other_id} {self.at:%Y-%m-%d}"


class TracingRun(models.Model):
    """One contact-tracing computation: index cases, a period, the rules; its contacts wait
    for review, and a confirmed contact changes status and gets follow-up tasks."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    index_cases = models.ManyToManyField(
        "residents.Resident", related_name="+", verbose_name=_("index cases")
    )
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    buffer_minutes = models.PositiveSmallIntegerField(_("buffer (minutes)"), default=15)
    second_hop = models.BooleanField(_("include secondary contacts"), default=False)
    second_hop_cap = models.PositiveIntegerField(_("secondary contacts at most"), default=500)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checkins_scanned = models.PositiveIntegerField(default=0)
    contacts_found = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("tracing run")
        verbose_name_plural = _("tracing runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")), name="tracing_period_order"
            )
        ]

    def __str__(self):
        return f"#{self.pk} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"


class TraceContact(models.Model):
    """One person a tracing run found, with how they were exposed: the first (earliest)
    exposure names the source and place; `encounters` keeps every meeting found
    [{kind, source_id, place_id, start, end, overlap_seconds}] (times ISO)."""

    run = models.ForeignKey(TracingRun, on_delete=models.CASCADE, related_name="contacts")
    resident = models.ForeignKey("residents.Resident", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(
        "residents.Resident", on_delete=models.CASCADE, related_name="+", verbose_name=_("via")
    )
    hop = models.PositiveSmallIntegerField(_("hop"), default=1)
    kind = models.CharField(_("how"), max_length=10, choices=ContactKind.choices)
    place = models.ForeignKey(
        "places.PublicPlace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    exposure_at = models.DateTimeField(_("exposed at"))
    overlap_seconds = models.PositiveIntegerField(_("time together (s)"), default=0)
    encounters = models.JSONField(default=list, blank=True)
    proposed_status = models.CharField(
        _("proposed status"), max_length=20, choices=HealthStatus.choices
    )
    review = models.CharField(
        _("review"), max_length=10, choices=Review.choices, default=Review.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["hop", "exposure_at", "id"]
        verbose_name = _("traced contact")
        verbose_name_plural = _("traced contacts")
        constraints = [
            models.UniqueConstraint(fields=["run", "resident"], name="trace_contact_once_per_run")
        ]

    def __str__(self):
        return f"{self.resident} ← {self.source} ({self.hop})"


class CrossCheck(models.Model):
    """An external list (a city's confirmed cases, a railway's passengers, a hospital's
    discharges) uploaded by staff, its columns mapped to registry fields, then linked to the
    registry with probabilistic record linkage (大数据核对, proposal S3)."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    list_kind = models.CharField(_("what the list is"), max_length=20, choices=ListKind.choices)
    filename = models.CharField(_("file name"), max_length=200)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    headers = models.JSONField(default=list, blank=True)
    # {"name": "姓名", "id_number": "证件号码", ...}: registry field -> the list's column.
    mapping = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CrossCheckStatus.choices,
        default=CrossCheckStatus.UPLOADED,
    )
    threshold = models.FloatField(_("match probability at least"), default=0.9)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    matched_rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("external list cross-check")
        verbose_name_plural = _("external list cross-checks")

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"


class CrossCheckRow(models.Model):
    """One row of the uploaded list, as read (the list's own column names as keys)."""

    crosscheck = models.ForeignKey(CrossCheck, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(_("row"))
    data = models.JSONField(default=dict)
    matched = models.BooleanField(default=False)

    class Meta:
        ordering = ["crosscheck_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["crosscheck", "number"], name="crosscheck_row_unique")
        ]

    def __str__(self):
        return f"{self.crosscheck_id}:{self.number}"


class CrossCheckMatch(models.Model):
    """A registry resident the linkage believes a list row describes, with the probability
    and the evidence per field; staff accept or reject it."""

    crosscheck = models.ForeignKey(CrossCheck, on_delete=models.CASCADE, related_name="matches")
    row = models.ForeignKey(CrossCheckRow, on_delete=models.CASCADE, related_name="matches")
    resident = models.ForeignKey("residents.Resident", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(_("probability"))
    # {"name": "same pinyin", "id_number": "1-2 typos", ...}
    evidence = models.JSONField(default=dict, blank=True)
    review = models.CharField(
        _("review"), max_length=10, choices=Review.choices, default=Review.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-probability", "id"]
        verbose_name = _("cross-check match")
        verbose_name_plural = _("cross-check matches")
        constraints = [
            models.UniqueConstraint(fields=["row", "resident"], name="crosscheck_match_unique")
        ]

    def __str__(self):
        return f"{self.row} ≈ {self.resident} ({self.probability:.2f})"
