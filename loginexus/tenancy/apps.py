"""App configuration of the tenancy app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "loginexus.tenancy"
    label = "tenancy"
    verbose_name = _("Workspaces")

    def ready(self) -> None:
        from loginexus.tenancy import resolution

        resolution._connect()
