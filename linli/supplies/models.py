from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.supplies.choices import (
    OrderStatus,
    PackageKind,
    Payment,
    PlanMethod,
    RoundStatus,
    SupplierKind,
    TestResult,
)


class Supplier(models.Model):
    """A supermarket, farm or wholesaler that supplies the community (proposal S4, S8)."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=SupplierKind.choices)
    contact = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self):
        return self.name


class SupplierStaff(models.Model):
    """A supplier's delivery person, with their latest test: no recent negative test, no round."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="staff")
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    tested_at = models.DateTimeField(_("last test"), null=True, blank=True)
    test_result = models.CharField(
        _("result"), max_length=10, choices=TestResult.choices, blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["supplier", "name"]
        verbose_name = _("supplier staff member")
        verbose_name_plural = _("supplier staff")

    def __str__(self):
        return self.name


class Package(models.Model):
    """A package in the catalogue: what is in it and what it costs (money in fen)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="packages")
    kind = models.CharField(_("kind"), max_length=20, choices=PackageKind.choices)
    name = models.CharField(_("name"), max_length=100)
    contents = models.CharField(_("contents"), max_length=500, blank=True)
    price_fen = models.PositiveIntegerField(_("price (fen)"))
    # The government-subsidised price (S8), where one applies: what residents actually pay.
    subsidised_price_fen = models.PositiveIntegerField(
        _("subsidised price (fen)"), null=True, blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["supplier", "kind", "name"]
        verbose_name = _("package")
        verbose_name_plural = _("catalogue")
        constraints = [
            models.CheckConstraint(
                condition=Q(subsidised_price_fen__isnull=True)
                | Q(subsidised_price_fen__lte=models.F("price_fen")),
                name="package_subsidy_not_above_price",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def resident_price_fen(self) -> int:
        return (
            self.subsidised_price_fen if self.subsidised_price_fen is not None else self.price_fen
        )


class PickupPoint(models.Model):
    """A fixed place where a building or cluster of buildings collects its orders (S4)."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    place = models.ForeignKey(
        "places.PublicPlace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    building = models.ForeignKey(
        "places.Building", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    x = models.FloatField()
    y = models.FloatField()
    capacity = models.PositiveIntegerField(_("households it can serve"), null=True, blank=True)

    class Meta:
        ordering = ["community", "name"]
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")

    def __str__(self):
        return self.name


class PickupPlan(models.Model):
    """A computed choice of pickup points and which building collects where."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    k = models.PositiveSmallIntegerField(_("number of points"))
    # Total household walking distance in metres, the method, and the optimality gap (0 = proven).
    cost = models.FloatField()
    method = models.CharField(max_length=16, choices=PlanMethod.choices)
    gap = models.FloatField(default=0)
    seconds = models.FloatField(default=0)
    pinned = models.JSONField(default=list, blank=True)
    forbidden = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pickup plan")
        verbose_name_plural = _("pickup plans")

    def __str__(self):
        return f"#{self.pk} k={self.k}"


class PickupAssignment(models.Model):
    plan = models.ForeignKey(PickupPlan, on_delete=models.CASCADE, related_name="assignments")
    building = models.ForeignKey("places.Building", on_delete=models.CASCADE, related_name="+")
    point = models.ForeignKey(PickupPoint, on_delete=models.CASCADE, related_name="+")
    distance_m = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "building"], name="pickup_one_point_per_building"
            )
        ]

    def __str__(self):
        return f"{self.building_id} → {self.point_id}"


class Round(models.Model):
    """A group-purchase round (团购): opens and closes at set times for a set of buildings."""

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField(_("title"), max_length=100)
    buildings = models.ManyToManyField(
        "places.Building", related_name="+", verbose_name=_("buildings")
    )
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    pickup_starts_at = models.DateTimeField(_("pickup starts"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15)
    slot_capacity = models.PositiveSmallIntegerField(_("households per point per slot"), default=10)
    # Most packages one household may order in this round, over all packages.
    household_limit = models.PositiveSmallIntegerField(_("packages per household"), default=5)
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    pickup_plan = models.ForeignKey(
        PickupPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("order round")
        verbose_name_plural = _("order rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_capacity__gte=1), name="round_slots_sane"
            ),
        ]

    def __str__(self):
        return self.title


class RoundItem(models.Model):
    """A package offered in a round, with the stock left and a per-household limit."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="items")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="+")
    price_fen = models.PositiveIntegerField(_("price paid (fen)"))
    stock = models.PositiveIntegerField(_("stock left"))
    per_household = models.PositiveSmallIntegerField(_("limit per household"), default=2)

    class Meta:
        ordering = ["round", "package__kind"]
        constraints = [
            models.UniqueConstraint(fields=["round", "package"], name="round_item_once"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="round_item_stock_not_negative"),
        ]

    def __str__(self):
        return f"{self.package} ({self.stock})"


class Order(models.Model):
    """One household's order in a round: at most one live order per household and round."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="orders")
    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The client's Idempotency-Key: the same key twice is the same order and the same answer.
    idempotency_key = models.CharField(max_length=80, blank=True)
    payment = models.CharField(
        _("payment"), max_length=12, choices=Payment.choices, default=Payment.CASH
    )
    total_fen = models.PositiveIntegerField(_("total (fen)"), default=0)
    pickup_point = models.ForeignKey(
        PickupPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    slot_start = models.DateTimeField(_("pickup slot"), null=True, blank=True)
    pickup_code = models.CharField(_("pickup code"), max_length=6, blank=True)
    door_delivery = models.BooleanField(_("door delivery"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["round", "household"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "household"],
                condition=~Q(status="cancelled"),
                name="order_one_live_per_household",
            ),
            models.UniqueConstraint(
                fields=["round", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="order_idempotency_key_once",
            ),
            models.UniqueConstraint(
                fields=["round", "pickup_code"],
                condition=~Q(pickup_code=""),
                name="order_pickup_code_unique",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.household}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(RoundItem, on_delete=models.PROTECT, related_name="lines")
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    price_fen = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "item"], name="order_line_once"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="order_line_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.item} × {self.quantity}"


class IdempotentResponse(models.Model):
    """The answer given to an Idempotency-Key, replayed verbatim when the key comes again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=80)
    scope = models.CharField(max_length=80)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="idempotent_response_once"
            )
        ]

    def __str__(self):
        return f"{self.scope} {self.key}"
