from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Instrument(models.TextChoices):
    PHQ9 = "phq9", _("PHQ-9 (depression)")
    GAD7 = "gad7", _("GAD-7 (anxiety)")


class Band(models.TextChoices):
    MINIMAL = "minimal", _("Minimal")
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    MODERATELY_SEVERE = "moderately_severe", _("Moderately severe")
    SEVERE = "severe", pgettext_lazy("symptom band", "Severe")


class Risk(models.TextChoices):
    HIGH = "high", _("High risk")
    MODERATE = "moderate", _("Moderate risk")
    LOW = "low", _("Low risk")


# How often a counsellor follows a case up, by risk (issue 7: high daily, moderate weekly).
FOLLOW_UP_DAYS = {Risk.HIGH: 1, Risk.MODERATE: 7, Risk.LOW: 14}


class ScreeningSource(models.TextChoices):
    SELF = "self", _("Filled in by the resident")
    COUNSELLOR = "counsellor", _("Asked by a counsellor")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    IMPROVED = "improved", _("Improved")
    STABLE = "stable", _("Stable, no further need")
    REFERRED = "referred", _("Referred on and handed over")
    DECLINED = "declined", _("Declined support")
    MOVED = "moved", _("Moved away")
    DIED = "died", _("Died")


class SessionMode(models.TextChoices):
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")
    VISIT = "visit", _("Visit")


class Referral(models.TextChoices):
    PSYCHIATRY = "psychiatry", _("Hospital psychiatric service")
    HOTLINE = "hotline", _("Psychological assistance hotline")
    OTHER = "other", _("Other service")


class Audience(models.TextChoices):
    BEREAVED = "bereaved", _("The bereaved")
    WORKERS = "workers", _("Frontline workers")
    FAMILIES = "families", _("Families of cases")
    OTHER = "other", _("Other")


class PriorityReason(models.TextChoices):
    """Why a person is on the list of those to offer support (issue 7, problem P5)."""

    CASE = "case", _("Confirmed or suspected case")
    QUARANTINE = "quarantine", _("In quarantine")
    BEREAVED = "bereaved", _("Bereaved")
    ALONE = "alone", _("Elderly, living alone")
    SCREENED = "screened", _("Screened moderate or worse")
    WORKER = "worker", _("Frontline worker over their hour cap")
    STAFF = "staff", _("Added by staff")
