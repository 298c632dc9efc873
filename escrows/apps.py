"""App configuration of the escrows app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscrowsConfig(AppConfig):
    name = "escrows"
    verbose_name = _("Escrows")
