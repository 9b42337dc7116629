from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF = "staff", _("Community staff")
    GRID_WORKER = "grid_worker", _("Grid worker")
    CADRE = "cadre", _("Dispatched cadre")
    PROPERTY = "property", _("Property staff")
    VOLUNTEER = "volunteer", _("Volunteer")
    BUILDING_LEADER = "building_leader", _("Building leader")
    RESIDENT = "resident", _("Resident")
    COUNSELLOR = "counsellor", _("Counsellor")
    # Reads counselling notes of every case in the area (issue 7): the counsellors' supervisor.
    CARE_SUPERVISOR = "care_supervisor", _("Care supervisor")
    DOCTOR = "doctor", _("Doctor")
    DRIVER = "driver", _("Driver")
    SUPERVISOR = "supervisor", _("Supervisor (street office)")
    ADMIN = "admin", _("Administrator")
