from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckInSource(models.TextChoices):
    SCAN = "scan", _("Scanned the place's QR code")
    WORKER = "worker", _("Recorded by a worker")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ContactKind(models.TextChoices):
    PLACE = "place", _("Same place, same time")
    HOUSEHOLD = "household", _("Household member")
    DIRECT = "direct", _("Recorded direct contact")


class Review(models.TextChoices):
    PENDING = "pending", _("To review")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class ListKind(models.TextChoices):
    """What an external list is; it decides the status an accepted match proposes."""

    CONFIRMED_CASES = "confirmed_cases", _("Confirmed-case list")
    CLOSE_CONTACTS = "close_contacts", _("Close-contact list")
    TRAVELLERS = "travellers", _("Passenger or traveller list")
    DISCHARGED = "discharged", _("Hospital discharge list")
    OTHER = "other", _("Other list")


class CrossCheckStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded: map the columns")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Linking")
    DONE = "done", _("Ready for review")
    FAILED = "failed", _("Failed")


class MatchField(models.TextChoices):
    """The registry fields an external list's columns can be mapped to."""

    NAME = "name", _("Name")
    ID_NUMBER = "id_number", _("ID number")
    PHONE = "phone", _("Phone")
    BIRTH_DATE = "birth_date", _("Birth date")
    SEX = "sex", _("Sex")
