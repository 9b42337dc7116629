from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    """Why a household gets its order brought to the door (proposal S4: door delivery only
    for the old, weak, sick and disabled; everyone else collects downstairs)."""

    AGED_ALONE = "aged_alone", _("Aged 70+ and living alone")
    DISABLED = "disabled", _("Disabled")
    CHRONIC = "chronic", _("Bedridden or chronically ill")
    PREGNANT = "pregnant", _("Pregnant")
    QUARANTINE = "quarantine", _("Home quarantine")
    STAFF_ADDED = "staff_added", _("Added by staff")


class Mode(models.TextChoices):
    WALK = "walk", _("Walking")
    CYCLE = "cycle", _("Cycling (tricycle or cart)")


class PlanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Planning")
    DONE = "done", _("Planned")
    FAILED = "failed", _("Failed")
    REPLACED = "replaced", _("Replaced by a newer plan")
