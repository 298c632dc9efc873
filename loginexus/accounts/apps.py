"""App configuration of the accounts app."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "loginexus.accounts"
    label = "accounts"
    verbose_name = "Accounts"
