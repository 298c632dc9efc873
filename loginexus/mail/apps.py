"""App configuration of the mail app."""

from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "loginexus.mail"
    label = "mail"
    verbose_name = "Email"
    default_auto_field = "django.db.models.BigAutoField"
