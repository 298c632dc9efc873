"""Email: every message the product sends, rendered from templates, kept in an outbox row
written with the change that caused it, and delivered by Celery after the commit."""
