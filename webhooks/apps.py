"""App configuration of the outbound webhooks app: it listens to the shipment and escrow
signals and writes their events to the outbox in the sender's transaction."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Outbound webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from webhooks import events

        events.connect()
