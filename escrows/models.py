"""Escrows of a tenant (its schema): payment held for a shipment until it is delivered."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy

from billing.limits import PlanLimitedManager, PlanLimitedModel
from billing.plans import Resource
from escrows.currencies import CURRENCY_CHOICES
from loginexus.models import StatusChange
from shipments.models import ShipmentStatus


class EscrowStatus(models.TextChoices):
    OPEN = "open", gettext_lazy("Open")
    FUNDED = "funded", gettext_lazy("Funded")
    DISPUTED = "disputed", gettext_lazy("Disputed")
    RELEASED = "released", gettext_lazy("Released")
    REFUNDED = "refunded", gettext_lazy("Refunded")


# open → funded → released or refunded; disputed from funded, resolved to released or refunded.
ESCROW_TRANSITIONS: dict[str, tuple[str, ...]] = {
    EscrowStatus.OPEN: (EscrowStatus.FUNDED,),
    EscrowStatus.FUNDED: (EscrowStatus.RELEASED, EscrowStatus.REFUNDED, EscrowStatus.DISPUTED),
    EscrowStatus.DISPUTED: (EscrowStatus.RELEASED, EscrowStatus.REFUNDED),
    EscrowStatus.RELEASED: (),
    EscrowStatus.REFUNDED: (),
}
# The actions of the API and the buttons of the pages, and the status each one leads to.
ESCROW_ACTIONS: dict[str, str] = {
    "fund": EscrowStatus.FUNDED,
    "release": EscrowStatus.RELEASED,
    "refund": EscrowStatus.REFUNDED,
    "dispute": EscrowStatus.DISPUTED,
}


def escrow_targets(*, current: str, shipment_status: str) -> tuple[str, ...]:
    """The statuses an escrow may move to now: its machine's moves, and release only once its
    shipment is delivered (releasing pays the seller)."""
    targets = ESCROW_TRANSITIONS[current]
    if shipment_status != ShipmentStatus.DELIVERED:
        targets = tuple(target for target in targets if target != EscrowStatus.RELEASED)
    return targets


REFERENCE_PREFIX = "ESC-"


def escrow_reference(pk: int) -> str:
    return f"{REFERENCE_PREFIX}{pk:06d}"


def escrow_pk_of(reference: str) -> int | None:
    """The id a reference such as "ESC-000123" (any case, zeros optional) names, else None."""
    text = reference.strip().upper()
    if not text.startswith(REFERENCE_PREFIX):
        return None
    digits = text.removeprefix(REFERENCE_PREFIX)
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("10000000.00")


class EscrowManager(PlanLimitedManager):
    """Escrows count against the plan on every insert path (save, create, bulk_create)."""


class Escrow(PlanLimitedModel):
    limited_resource = Resource.ESCROWS

    shipment = models.ForeignKey(
        "shipments.Shipment", on_delete=models.PROTECT, related_name="escrows"
    )
    buyer = models.CharField(max_length=200)
    seller = models.CharField(max_length=200)
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(MIN_AMOUNT), MaxValueValidator(MAX_AMOUNT)],
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        max_length=20, choices=EscrowStatus.choices, default=EscrowStatus.OPEN, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EscrowManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="escrow_currency_iso_code"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=MIN_AMOUNT) & models.Q(amount__lte=MAX_AMOUNT),
                name="escrow_amount_positive_and_bounded",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=EscrowStatus.values), name="escrow_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """The escrow's own reference, from its id: ESC-000123 (ids are per workspace)."""
        return escrow_reference(self.pk) if self.pk else ""

    @property
    def allowed_actions(self) -> list[str]:
        """The actions legal now (reads the shipment: select it with the escrow)."""
        allowed = escrow_targets(current=self.status, shipment_status=self.shipment.status)
        return [action for action, target in ESCROW_ACTIONS.items() if target in allowed]

    @property
    def awaits_delivery(self) -> bool:
        """Release is the machine's next move, but the shipment is not delivered yet."""
        return EscrowStatus.RELEASED in ESCROW_TRANSITIONS[self.status] and (
            self.shipment.status != ShipmentStatus.DELIVERED
        )


class EscrowEvent(StatusChange):
    """One status change of an escrow."""

    escrow = models.ForeignKey(Escrow, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=EscrowStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=EscrowStatus.choices)
