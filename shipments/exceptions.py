"""Errors of shipments."""

from loginexus.exceptions import Conflict


class ShipmentLocked(Conflict):
    """The shipment's details or existence can no longer change in its status."""

    code = "shipment_locked"
