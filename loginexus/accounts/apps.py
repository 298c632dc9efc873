"""App configuration of the accounts app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "loginexus.accounts"
    label = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from loginexus.accounts import signals  # noqa: F401  (login attempts are logged)
