from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    DELIVERY = "delivery", _("Food and supplies delivery")
    MEDICINE = "medicine", _("Medicine delivery")
    CHECK_VISIT = "check_visit", _("Check-on visit")
    ESCORT = "escort", _("Escort / transport")
    DISINFECTION = "disinfection", _("Disinfection round")
    COUNSELLING = "counselling", _("Counselling call")
    STRAY_ANIMAL = "stray_animal", _("Stray animal report")
    PEST = "pest", _("Pest report")
    OTHER = "other", _("Other")


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class Source(models.TextChoices):
    RESIDENT = "resident", _("Resident request")
    WORKER = "worker", _("Worker")
    PLAN = "plan", _("Scheduled plan")
    MODULE = "module", _("Another module")
    SYSTEM = "system", _("System")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    ASSIGNED = "assigned", _("Assigned")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# A task is "live" until it ends; a live task absorbs new requests for the same need (P2).
LIVE = [Status.OPEN, Status.ASSIGNED, Status.ACCEPTED, Status.IN_PROGRESS]
ENDED = [Status.DONE, Status.FAILED, Status.CANCELLED]

# Which states each transition starts from. Anything else is refused with 409.
TRANSITIONS = {
    "assign": {Status.OPEN, Status.ASSIGNED},
    "claim": {Status.OPEN},
    "accept": {Status.ASSIGNED},
    "decline": {Status.ASSIGNED, Status.ACCEPTED},
    "start": {Status.ACCEPTED},
    "complete": {Status.IN_PROGRESS, Status.ACCEPTED},
    "fail": {Status.ACCEPTED, Status.IN_PROGRESS},
    "cancel": {Status.OPEN, Status.ASSIGNED, Status.ACCEPTED, Status.IN_PROGRESS},
    "reopen": {Status.FAILED},
}
TARGET_STATUS = {
    "assign": Status.ASSIGNED,
    "claim": Status.ACCEPTED,
    "accept": Status.ACCEPTED,
    "decline": Status.OPEN,
    "start": Status.IN_PROGRESS,
    "complete": Status.DONE,
    "fail": Status.FAILED,
    "cancel": Status.CANCELLED,
    "reopen": Status.OPEN,
}

# The skill a kind of task needs unless the dispatcher says otherwise.
KIND_SKILL = {TaskKind.ESCORT: "driving", TaskKind.COUNSELLING: "counselling"}
KIND_MINUTES = {
    TaskKind.DELIVERY: 30,
    TaskKind.MEDICINE: 30,
    TaskKind.CHECK_VISIT: 20,
    TaskKind.ESCORT: 120,
    TaskKind.DISINFECTION: 60,
    TaskKind.COUNSELLING: 40,
    TaskKind.STRAY_ANIMAL: 45,
    TaskKind.PEST: 45,
    TaskKind.OTHER: 30,
}

ACTION_LABELS = {
    "assign": _("assign"),
    "claim": _("claim"),
    "accept": _("accept"),
    "decline": _("hand back"),
    "start": _("start"),
    "complete": _("complete"),
    "fail": _("report as failed"),
    "cancel": _("cancel"),
    "reopen": _("reopen"),
}
