from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from linli.delivery.choices import Mode, PlanStatus


class DoorDeliveryOverride(models.Model):
    """Staff's decision to add a household to door delivery, or take it off, against what the
    registry says, with the reason on record. One override per household is in force; a new
    one, or clearing it, ends the one before (kept for the record)."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(
        "places.Household",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("household"),
    )
    include = models.BooleanField(_("door delivery"))
    reason = models.CharField(_("reason"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(_("why it ended"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("door-delivery override")
        verbose_name_plural = _("door-delivery overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(ended_at__isnull=True),
                name="door_override_one_in_force",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="door_override_has_reason"),
        ]

    def __str__(self):
        return f"{self.household} {'+' if self.include else '−'} {self.reason[:40]}"


class DeliveryPreference(models.Model):
    """When a household would like its delivery (optional): a resident sets it for their own
    home, a worker for them. Planning keeps it inside the round's delivery window."""

    household = models.OneToOneField("places.Household", on_delete=models.CASCADE, related_name="+")
    earliest = models.TimeField(_("from"))
    latest = models.TimeField(_("until"))
    note = models.CharField(_("note for the volunteer"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("delivery time preference")
        verbose_name_plural = _("delivery time preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(latest__gt=F("earliest")), name="delivery_pref_window_sane"
            )
        ]

    def __str__(self):
        return f"{self.household_id} {self.earliest:%H:%M}-{self.latest:%H:%M}"


class RoutePlan(models.Model):
    """One run of "Plan door-delivery routes" for a round: the inputs staff chose, and what
    came out (routes, or the orders that could not fit)."""

    round = models.ForeignKey("supplies.Round", on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.QUEUED
    )
    start_place = models.ForeignKey(
        "places.PublicPlace",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("start"),
    )
    start_x = models.FloatField()
    start_y = models.FloatField()
    mode = models.CharField(_("on foot or cycling"), max_length=8, choices=Mode.choices)
    speed_mps = models.FloatField(_("speed (m/s)"))
    capacity = models.PositiveSmallIntegerField(_("bags per trip"))
    shift_minutes = models.PositiveSmallIntegerField(_("shift (minutes)"))
    window_start = models.DateTimeField(_("deliveries from"))
    window_end = models.DateTimeField(_("deliveries until"))
    seconds = models.PositiveSmallIntegerField(_("time limit (s)"))
    # The volunteers on shift, in the order routes go to them: [worker id, ...].
    worker_ids = models.JSONField(default=list)
    # Results.
    distance_m = models.FloatField(null=True, blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)
    orders = models.PositiveIntegerField(default=0)
    unplanned = models.JSONField(default=list, blank=True)  # order ids that did not fit
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("door-delivery plan")
        verbose_name_plural = _("door-delivery plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="route_plan_window_sane"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="route_plan_capacity"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.round_id}"


class Route(models.Model):
    """One volunteer's walk (or ride) through a plan: ONE task in the pool."""

    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="routes")
    number = models.PositiveSmallIntegerField(_("route"))
    worker = models.ForeignKey(
        "workforce.Worker", on_delete=models.PROTECT, related_name="+", verbose_name=_("volunteer")
    )
    task = models.OneToOneField(
        "taskpool.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    distance_m = models.FloatField(_("distance (m)"))
    starts_at = models.DateTimeField(_("leaves"))
    ends_at = models.DateTimeField(_("back"))
    bags = models.PositiveIntegerField(_("bags"))
    trips = models.PositiveSmallIntegerField(_("trips"), default=1)

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("delivery route")
        verbose_name_plural = _("delivery routes")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="route_number_once"),
            models.CheckConstraint(condition=Q(ends_at__gte=F("starts_at")), name="route_times"),
        ]

    def __str__(self):
        return _("Door delivery route %(n)d") % {"n": self.number}


class RouteStop(models.Model):
    """One door on a route, in walking order: an order brought to a household."""

    plan = models.ForeignKey(RoutePlan, on_delete=models.CASCADE, related_name="+")
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveSmallIntegerField(_("stop"))
    trip = models.PositiveSmallIntegerField(_("trip"), default=1)
    order = models.ForeignKey("supplies.Order", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="+")
    bags = models.PositiveSmallIntegerField(_("bags"))
    arrives_at = models.DateTimeField(_("expected"))
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))

    class Meta:
        ordering = ["route", "sequence"]
        verbose_name = _("route stop")
        verbose_name_plural = _("route stops")
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"], name="route_stop_sequence_once"),
            # Every order is visited once in a plan.
            models.UniqueConstraint(fields=["plan", "order"], name="route_stop_order_once"),
        ]

    def __str__(self):
        return f"{self.route} · {self.sequence}"
