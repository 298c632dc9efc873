"""Outbound webhooks (the Standard Webhooks convention): endpoints a workspace subscribes to its
events, an outbox of events written with the change, and signed deliveries made by Celery."""
