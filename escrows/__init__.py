"""Escrows: payment held for a shipment until it is delivered."""
