"""App configuration of the tenancy app."""

from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "loginexus.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"
