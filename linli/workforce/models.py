from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.workforce.choices import Force, PpeKind, WorkerStatus

# Default weekly hour caps (worker care, proposal S13): volunteers give spare time.
DEFAULT_CAP = {Force.VOLUNTEER: 20, Force.BUILDING_LEADER: 15}


class Worker(models.Model):
    """One person on the community's single roster, of any force (proposal S2): community
    staff, grid workers, dispatched cadres, property staff, volunteers and building leaders."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worker"
    )
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="workers"
    )
    force = models.CharField(_("force"), max_length=20, choices=Force.choices)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    # Home unit of a cadre, company of property staff, organisation of a volunteer.
    organisation = models.CharField(_("unit / company / organisation"), max_length=100, blank=True)
    home_building = models.ForeignKey(
        "places.Building",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("home building"),
    )
    # The room given at sign-up, so screening can compare it with the registry's household.
    home_room = models.CharField(_("room"), max_length=20, blank=True)
    grid = models.ForeignKey(
        "places.Grid",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("grid worked in"),
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    # ["mon-am", "mon-pm", ...]: the half-days the worker can usually work.
    availability = models.JSONField(_("availability"), default=list, blank=True)
    weekly_hour_cap = models.PositiveSmallIntegerField(_("weekly hour cap"), default=40)
    status = models.CharField(
        _("status"), max_length=16, choices=WorkerStatus.choices, default=WorkerStatus.APPROVED
    )
    # Volunteer screening (S11): identity against the registry, a recent negative test, training.
    resident = models.ForeignKey(
        "residents.Resident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("registry record"),
    )
    identity_checked_at = models.DateTimeField(_("identity checked at"), null=True, blank=True)
    test_date = models.DateField(_("date of last negative test"), null=True, blank=True)
    training_acknowledged_at = models.DateTimeField(
        _("training acknowledged at"), null=True, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["force", "name"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekly_hour_cap__lte=84), name="worker_cap_at_most_84"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="worker_rejection_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_force_display()})"

    @property
    def can_take_tasks(self) -> bool:
        return self.status == WorkerStatus.APPROVED and self.user.is_active


class HoursEntry(models.Model):
    """Hours a worker gave on one day: from a finished task, or entered by staff."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="hours")
    day = models.DateField(_("day"), db_index=True)
    minutes = models.PositiveIntegerField(_("minutes"))
    task = models.OneToOneField(
        "taskpool.Task",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hours_entry",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("hours entry")
        verbose_name_plural = _("hours ledger")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0, minutes__lte=24 * 60), name="hours_within_a_day"
            )
        ]

    def __str__(self):
        return f"{self.worker} {self.day} {self.minutes} min"


class PpeItem(models.Model):
    """A kind of protective equipment the community keeps in stock (S13)."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=PpeKind.choices)
    unit = models.CharField(_("unit"), max_length=20, default="个")
    stock = models.IntegerField(_("in stock"), default=0)
    low_threshold = models.PositiveIntegerField(_("alert below"), default=50)

    class Meta:
        ordering = ["community", "kind"]
        verbose_name = _("protective equipment")
        verbose_name_plural = _("protective equipment")
        constraints = [
            models.UniqueConstraint(fields=["community", "kind"], name="ppe_one_per_kind"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="ppe_stock_not_negative"),
        ]

    def __str__(self):
        return self.get_kind_display()

    @property
    def low(self) -> bool:
        return self.stock < self.low_threshold


class PpeMovement(models.Model):
    """Stock received (positive) or issued to a worker (negative)."""

    item = models.ForeignKey(PpeItem, on_delete=models.CASCADE, related_name="movements")
    worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="ppe_issued"
    )
    quantity = models.IntegerField(_("quantity"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("equipment movement")
        verbose_name_plural = _("equipment ledger")
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="ppe_movement_not_zero"),
        ]

    def __str__(self):
        return f"{self.item} {self.quantity:+d}"
