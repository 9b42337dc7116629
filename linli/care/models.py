from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.care.choices import (
    Audience,
    Band,
    CaseStatus,
    Instrument,
    Outcome,
    Referral,
    Risk,
    ScreeningSource,
    SessionMode,
)


class PriorityFlag(models.Model):
    """A person staff put on the list of those to offer support, with the reason (a neighbour
    worried about him, a death in the family outside the community…). Ends when removed."""

    resident = models.ForeignKey("residents.Resident", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-added_at"]
        verbose_name = _("support priority flag")
        verbose_name_plural = _("support priority flags")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(ended_at__isnull=True), name="care_flag_one_open"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="care_flag_has_reason"),
        ]

    def __str__(self):
        return f"{self.resident_id}: {self.reason[:40]}"


class Screening(models.Model):
    """One filled-in PHQ-9 or GAD-7 with its score and band: by the resident on a phone, or by
    a counsellor on a call. The answers are kept (0-3 per item) so the score can be checked."""

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.CASCADE, related_name="screenings"
    )
    instrument = models.CharField(_("questionnaire"), max_length=8, choices=Instrument.choices)
    answers = models.JSONField(_("answers"))
    total = models.PositiveSmallIntegerField(_("score"))
    band = models.CharField(_("band"), max_length=20, choices=Band.choices)
    self_harm = models.BooleanField(_("thoughts of self-harm"), default=False)
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices)
    source = models.CharField(_("filled in"), max_length=12, choices=ScreeningSource.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"), db_index=True)
    case = models.ForeignKey(
        "CareCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="screenings"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        constraints = [
            models.CheckConstraint(
                condition=Q(instrument="phq9", total__lte=27) | Q(instrument="gad7", total__lte=21),
                name="screening_total_in_range",
            )
        ]

    def __str__(self):
        return f"{self.resident_id} {self.instrument} {self.total}"


class CareCase(models.Model):
    """Psychological support for one person: the counsellor, the risk, sessions, the follow-up
    plan (high risk daily, moderate weekly), a referral, and closure with an outcome. At most
    one case is open per person."""

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.CASCADE, related_name="care_cases"
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_cases",
        verbose_name=_("counsellor"),
    )
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    reason = models.CharField(_("why support"), max_length=300)
    follow_up_days = models.PositiveSmallIntegerField(_("follow up every (days)"), default=7)
    next_due = models.DateField(_("next follow-up"), null=True, blank=True, db_index=True)
    referral = models.CharField(
        _("referred to"), max_length=12, choices=Referral.choices, blank=True
    )
    referral_note = models.CharField(_("referral note"), max_length=300, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["next_due", "-opened_at"]
        verbose_name = _("support case")
        verbose_name_plural = _("support cases")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(status="open"), name="care_case_one_open"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(outcome=""), name="care_case_closed_has_outcome"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.resident_id} {self.risk}"


class CareSession(models.Model):
    """One conversation of a case: when, how, how long, and the notes. The notes are the most
    sensitive data in Linli: stored encrypted, read only by the case's counsellor and the care
    supervisor, and every read is an audit event."""

    case = models.ForeignKey(CareCase, on_delete=models.CASCADE, related_name="sessions")
    at = models.DateTimeField(_("when"))
    mode = models.CharField(_("how"), max_length=8, choices=SessionMode.choices)
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    notes_encrypted = models.TextField(blank=True, editable=False)
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("counselling session")
        verbose_name_plural = _("counselling sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=480), name="care_session_minutes"
            )
        ]

    def __str__(self):
        return f"{self.case_id} {self.at:%Y-%m-%d} {self.mode}"


class GroupSession(models.Model):
    """A group meeting (for the bereaved, for frontline workers) with its attendance."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    audience = models.CharField(_("for"), max_length=10, choices=Audience.choices)
    at = models.DateTimeField(_("when"))
    mode = models.CharField(_("how"), max_length=8, choices=SessionMode.choices)
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("group session")
        verbose_name_plural = _("group sessions")

    def __str__(self):
        return self.title


class GroupAttendance(models.Model):
    """Who was invited to a group session, and who came."""

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="attendance")
    resident = models.ForeignKey("residents.Resident", on_delete=models.CASCADE, related_name="+")
    attended = models.BooleanField(_("came"), default=False)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "resident"], name="care_attendance_once")
        ]

    def __str__(self):
        return f"{self.session_id}:{self.resident_id}"
