"""Forms shape the widgets; the rules live in services (one place for pages and the API)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.places.models import Building, Grid
from linli.supplies.choices import Payment
from linli.supplies.models import Package, Supplier, SupplierStaff

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        **kwargs,
    )


class ApplicationErrorsMixin:
    """Shows a service's refusal on the field it names, or on the form."""

    def add_application_error(self, exc) -> None:
        for name, messages in (exc.fields or {}).items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        if not exc.fields:
            self.add_error(None, exc.message)


class SupplierForm(ApplicationErrorsMixin, forms.ModelForm):
    class Meta:
        model = Supplier
        fields = ["name", "kind", "contact", "phone", "active"]


class SupplierStaffForm(ApplicationErrorsMixin, forms.ModelForm):
    tested_at = _datetime_field(_("Latest test"), required=False)

    class Meta:
        model = SupplierStaff
        fields = ["name", "phone", "tested_at", "test_result", "active"]


def _fen(value) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def _yuan(fen) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


class PackageForm(ApplicationErrorsMixin, forms.ModelForm):
    """Prices are typed in yuan and kept in fen."""

    price = forms.DecimalField(
        label=_("Price (¥)"), min_value=Decimal("0"), max_digits=9, decimal_places=2
    )
    subsidised_price = forms.DecimalField(
        label=_("Subsidised price (¥)"),
        min_value=Decimal("0"),
        max_digits=9,
        decimal_places=2,
        required=False,
        help_text=_("The government-subsidised price residents pay, where one applies."),
    )

    class Meta:
        model = Package
        fields = ["kind", "name", "contents", "active"]
        widgets = {"contents": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["price"] = _yuan(self.instance.price_fen)
            self.initial["subsidised_price"] = _yuan(self.instance.subsidised_price_fen)

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            **{f: data[f] for f in self.Meta.fields},
            "price_fen": _fen(data["price"]),
            "subsidised_price_fen": _fen(data.get("subsidised_price")),
        }

    def add_application_error(self, exc) -> None:
        renamed = {"price_fen": "price", "subsidised_price_fen": "subsidised_price"}
        exc.fields = {renamed.get(k, k): v for k, v in (exc.fields or {}).items()}
        super().add_application_error(exc)


class RoundForm(ApplicationErrorsMixin, forms.Form):
    """A new round for one supplier: times, slots, limits, buildings and, per package of the
    supplier's catalogue, the stock offered (empty or 0: not offered) and a household limit."""

    title = forms.CharField(label=_("Title"), max_length=100)
    opens_at = _datetime_field(_("Opens"))
    closes_at = _datetime_field(_("Closes"))
    pickup_starts_at = _datetime_field(_("Pickup starts"))
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=5, initial=15)
    slot_capacity = forms.IntegerField(
        label=_("Households per point per slot"), min_value=1, initial=10
    )
    household_limit = forms.IntegerField(
        label=_("Packages per household"), min_value=1, max_value=100, initial=5
    )
    all_buildings = forms.BooleanField(label=_("Every building of the community"), required=False)
    grids = forms.ModelMultipleChoiceField(
        label=_("Whole grids"),
        queryset=Grid.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings"),
        queryset=Building.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, supplier: Supplier, packages, **kwargs):
        super().__init__(*args, **kwargs)
        self.supplier = supplier
        self.packages = list(packages)
        community = supplier.community_id
        self.fields["grids"].queryset = Grid.objects.filter(community_id=community)
        self.fields["buildings"].queryset = Building.objects.filter(
            community_id=community
        ).order_by("grid__number", "number")
        self.fields["buildings"].label_from_instance = lambda b: b.number
        for p in self.packages:
            self.fields[f"stock_{p.pk}"] = forms.IntegerField(
                label=_("Stock"), min_value=0, required=False
            )
            self.fields[f"limit_{p.pk}"] = forms.IntegerField(
                label=_("Limit per household"), min_value=1, max_value=100, initial=2
            )

    def package_rows(self):
        return [(p, self[f"stock_{p.pk}"], self[f"limit_{p.pk}"]) for p in self.packages]

    def chosen_buildings(self) -> list[Building]:
        data = self.cleaned_data
        qs = self.fields["buildings"].queryset
        if data.get("all_buildings"):
            return list(qs)
        grid_ids = [g.pk for g in data.get("grids") or []]
        picked = {b.pk for b in data.get("buildings") or []}
        return [b for b in qs if b.grid_id in grid_ids or b.pk in picked]

    def item_specs(self):
        from linli.supplies.services import ItemSpec

        return [
            ItemSpec(
                package=p,
                stock=self.cleaned_data.get(f"stock_{p.pk}") or 0,
                per_household=self.cleaned_data.get(f"limit_{p.pk}") or 1,
            )
            for p in self.packages
            if self.cleaned_data.get(f"stock_{p.pk}")
        ]


class OrderForm(ApplicationErrorsMixin, forms.Form):
    """A household's order: one number per package (drawn as a big −/+ stepper), how it is
    paid, and the idempotency key made when the form was drawn (a double tap is one order)."""

    payment = forms.ChoiceField(
        label=_("Payment"),
        choices=Payment.choices,
        initial=Payment.CASH,
        widget=forms.RadioSelect,
    )
    idempotency_key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"qty_{item.pk}"] = forms.IntegerField(
                label=item.package.name,
                min_value=0,
                max_value=item.per_household,
                required=False,
                initial=0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty", "size": 3}),
            )

    def item_rows(self):
        return [(item, self[f"qty_{item.pk}"]) for item in self.items]

    def lines(self) -> dict[int, int]:
        return {
            item.pk: self.cleaned_data[f"qty_{item.pk}"]
            for item in self.items
            if self.cleaned_data.get(f"qty_{item.pk}")
        }
