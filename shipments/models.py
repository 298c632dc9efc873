"""Shipments of a tenant (its schema) and the history of their status changes."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

from billing.limits import PlanLimitedManager, PlanLimitedModel
from billing.plans import Resource
from loginexus.i18n.formatting import weight
from loginexus.models import StatusChange


class ShipmentStatus(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    BOOKED = "booked", gettext_lazy("Booked")
    IN_TRANSIT = "in_transit", gettext_lazy("In transit")
    DELIVERED = "delivered", gettext_lazy("Delivered")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")


# draft → booked → in_transit → delivered, or cancelled from any state before delivered.
SHIPMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ShipmentStatus.DRAFT: (ShipmentStatus.BOOKED, ShipmentStatus.CANCELLED),
    ShipmentStatus.BOOKED: (ShipmentStatus.IN_TRANSIT, ShipmentStatus.CANCELLED),
    ShipmentStatus.IN_TRANSIT: (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED),
    ShipmentStatus.DELIVERED: (),
    ShipmentStatus.CANCELLED: (),
}
# Details can be corrected until the goods are on their way.
EDITABLE_STATUSES = (ShipmentStatus.DRAFT, ShipmentStatus.BOOKED)
# Only a shipment that never left, or never will, may be deleted.
DELETABLE_STATUSES = (ShipmentStatus.DRAFT, ShipmentStatus.CANCELLED)
MAX_WEIGHT_KG = Decimal("1000000")


def weight_bounds_message() -> str:
    """The one wording of a weight out of bounds (the check constraint's rule), for the pages
    and the API alike."""
    return gettext("Weight must be more than 0 and at most %(max)s.") % {
        "max": weight(MAX_WEIGHT_KG)
    }


weight_bounds_message_lazy = lazy(weight_bounds_message, str)


@deconstructible
class WeightBounds:
    """More than 0 and at most MAX_WEIGHT_KG: the check constraint's rule, as a field error."""

    code = "weight_out_of_bounds"

    def __call__(self, value: Decimal) -> None:
        if not (0 < value <= MAX_WEIGHT_KG):
            raise ValidationError(weight_bounds_message(), code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WeightBounds)


class ShipmentManager(PlanLimitedManager):
    """Shipments count against the plan on every insert path (save, create, bulk_create)."""


class Shipment(PlanLimitedModel):
    limited_resource = Resource.SHIPMENTS

    reference = models.CharField(
        max_length=64,
        unique=True,
        error_messages={"unique": gettext_lazy("A shipment with this reference already exists.")},
    )
    origin = models.CharField(max_length=200)
    destination = models.CharField(max_length=200)
    carrier = models.CharField(max_length=120)
    weight_kg = models.DecimalField(
        max_digits=10,
        decimal_places=3,
        validators=[WeightBounds()],
        help_text=gettext_lazy("Positive, in kilograms."),
    )
    expected_delivery = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShipmentManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__gt=0) & models.Q(weight_kg__lte=MAX_WEIGHT_KG),
                name="shipment_weight_positive_and_bounded",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ShipmentStatus.values), name="shipment_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def allowed_statuses(self) -> tuple[str, ...]:
        return SHIPMENT_TRANSITIONS[self.status]

    @property
    def allowed_choices(self) -> list[tuple[str, str]]:
        """The legal next statuses with their labels, for the status buttons."""
        return [(status, ShipmentStatus(status).label) for status in self.allowed_statuses]

    @property
    def is_final(self) -> bool:
        """Delivered or cancelled: its status cannot change any more."""
        return not self.allowed_statuses

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_deletable(self) -> bool:
        return self.status in DELETABLE_STATUSES


class ShipmentEvent(StatusChange):
    """One status change of a shipment."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=ShipmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ShipmentStatus.choices)
