"""Shipments of a tenant (its schema) and the history of their status changes."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from billing.limits import PlanLimitedManager, PlanLimitedModel
from billing.plans import Resource
from loginexus.models import StatusChange


class ShipmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    BOOKED = "booked", "Booked"
    IN_TRANSIT = "in_transit", "In transit"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


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


class ShipmentManager(PlanLimitedManager):
    """Shipments count against the plan on every insert path (save, create, bulk_create)."""


class Shipment(PlanLimitedModel):
    limited_resource = Resource.SHIPMENTS

    reference = models.CharField(
        max_length=64,
        unique=True,
        error_messages={"unique": "A shipment with this reference already exists."},
    )
    origin = models.CharField(max_length=200)
    destination = models.CharField(max_length=200)
    carrier = models.CharField(max_length=120)
    weight_kg = models.DecimalField(
        max_digits=10,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text="Positive, in kilograms.",
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
