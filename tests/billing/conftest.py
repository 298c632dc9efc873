"""Billing fixtures: plans in Stripe, the webhook endpoint on the live server, a real worker."""

import pytest

from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure


@pytest.fixture
def billing_ready(committed_db, sim, stripe_module, web_server, celery_worker):
    """Plans in the simulator and dj-stripe; Stripe's webhooks reach the live web server."""
    plans_sync()
    return webhook_endpoint_ensure(base_url=web_server)
