"""Errors of escrows."""

from loginexus.exceptions import Conflict


class ShipmentNotDelivered(Conflict):
    """Releasing an escrow pays the seller: only once its shipment is delivered."""

    code = "shipment_not_delivered"
