"""App configuration of the accounts app."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "loginexus.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from loginexus.accounts import signals  # noqa: F401  (login attempts are logged)
