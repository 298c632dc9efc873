"""App configuration of the billing app."""

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing.staff import admin  # noqa: F401  (staff screens: registered with the admin)
        from billing.stripe import boundary

        boundary.configure()
