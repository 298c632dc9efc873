"""App configuration of the escrows app."""

from django.apps import AppConfig


class EscrowsConfig(AppConfig):
    name = "escrows"
    verbose_name = "Escrows"
