from django.db import models
from django.utils.translation import gettext_lazy as _


class Force(models.TextChoices):
    """The forces of proposal S2, working from one roster."""

    STAFF = "staff", _("Community staff")
    GRID_WORKER = "grid_worker", _("Grid worker")
    CADRE = "cadre", _("Dispatched cadre")
    PROPERTY = "property", _("Property staff")
    VOLUNTEER = "volunteer", _("Volunteer")
    BUILDING_LEADER = "building_leader", _("Building leader")


class Skill(models.TextChoices):
    DRIVING = "driving", _("Driving")
    MEDICAL = "medical", _("Medical")
    COUNSELLING = "counselling", _("Counselling")
    HEAVY_LIFTING = "heavy_lifting", _("Heavy lifting")
    DIALECT = "dialect", _("Wuhan dialect")
    SIGN_LANGUAGE = "sign_language", _("Sign language")
    DISINFECTION = "disinfection", _("Disinfection")
    DIGITAL_HELP = "digital_help", _("Phone and app help")


class WorkerStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for screening")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class DayPart(models.TextChoices):
    MORNING = "am", _("Morning")
    AFTERNOON = "pm", _("Afternoon")
    EVENING = "ev", _("Evening")


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class PpeKind(models.TextChoices):
    MASK = "mask", _("Masks")
    GLOVES = "gloves", _("Gloves")
    GOWN = "gown", _("Protective gowns")
    DISINFECTANT = "disinfectant", _("Disinfectant")
    GOGGLES = "goggles", _("Goggles")
