from django.db import models
from django.utils.translation import gettext_lazy as _


class SupplierKind(models.TextChoices):
    SUPERMARKET = "supermarket", _("Supermarket")
    FARM = "farm", _("Farm or cooperative")
    WHOLESALER = "wholesaler", _("Wholesaler")
    PHARMACY = "pharmacy", _("Pharmacy")


class TestResult(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class PackageKind(models.TextChoices):
    VEGETABLES = "vegetables", _("Vegetable bundle")
    MEAT = "meat", _("Meat")
    EGGS = "eggs", _("Eggs")
    RICE_OIL = "rice_oil", _("Rice and oil")
    INFANT = "infant", _("Infant package")
    ELDERLY = "elderly", _("Soft food for the elderly")
    MEDICINE = "medicine", _("Medicine kit")
    OTHER = "other", _("Other")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for orders")
    CLOSED = "closed", _("Closed")
    DONE = "done", _("Delivered")


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    CANCELLED = "cancelled", _("Cancelled")
    COLLECTED = "collected", _("Collected")
    DELIVERED = "delivered", _("Delivered to the door")
    NO_SHOW = "no_show", _("Not collected")


class Payment(models.TextChoices):
    ONLINE = "online", _("Paid online")
    CASH = "cash", _("Cash on pickup")
    SUBSIDISED = "subsidised", _("Subsidised / free")


class PlanMethod(models.TextChoices):
    EXACT = "exact", _("Exact (HiGHS)")
    HEURISTIC = "heuristic", _("Heuristic")
