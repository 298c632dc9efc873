"""App configuration of the shipments app."""

from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "shipments"
    verbose_name = "Shipments"
