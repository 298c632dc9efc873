"""Writes of overage: the tenant's choice (and the subscription's metered item in Stripe), and
reporting extra shipments from the outbox to Stripe's meter."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context
from djstripe.models import Price, Subscription

from billing.exceptions import NoSubscription, PlanNotAvailable, StripeUnavailable
from billing.models import Entitlement
from billing.overage.exceptions import OverageNotAvailable
from billing.overage.models import OverageEvent
from billing.overage.rules import (
    METER_EVENT_NAME,
    is_overage_lookup_key,
    overage_available,
    overage_lookup_key,
)
from billing.selectors import entitlement_get, subscription_facts_get
from billing.stripe import boundary
from loginexus.audit.services import audit_record
from loginexus.tenancy.models import Tenant

logger = logging.getLogger(__name__)

_CHOSEN_FIELDS = ("overage_enabled", "overage_cap")
_NOT_CHOSEN_FIELDS = [f.name for f in Entitlement._meta.fields if f.name not in _CHOSEN_FIELDS]


def overage_choose(*, tenant: Tenant, enabled: bool, cap: int | None = None) -> Entitlement:
    """Turn overage on (with its cap) or off. Each limit check compares its copy of the row in
    its own statement, so the change applies to the next create in every process. Turning it
    off is always allowed; turning it on only where overage is available, and the first time
    adds the metered price to the subscription in Stripe (Stripe unreachable: nothing changes)."""
    if enabled:
        if not overage_available(entitlement=entitlement_get(tenant=tenant), now=timezone.now()):
            raise OverageNotAvailable(
                gettext("Overage is available on the Pro plan with a paid subscription.")
            )
        _metered_item_ensure(tenant=tenant)
    return _choice_save(tenant=tenant, enabled=enabled, cap=cap)


def _metered_item_ensure(*, tenant: Tenant) -> None:
    """The subscription carries the metered price of its interval and currency (once)."""
    facts = subscription_facts_get(tenant=tenant)
    if facts is None or facts.interval is None:
        raise NoSubscription(gettext("This workspace has no subscription to add overage to."))
    subscription = Subscription.objects.get(id=facts.id)
    items = (subscription.stripe_data.get("items") or {}).get("data") or []
    if any(is_overage_lookup_key((item.get("price") or {}).get("lookup_key")) for item in items):
        return
    lookup_key = overage_lookup_key(facts.interval, facts.currency)
    price = Price.objects.filter(lookup_key=lookup_key, active=True).first()
    if price is None:
        raise PlanNotAvailable(gettext("Overage is not available yet; please try again later."))
    boundary.subscription_item_create(
        subscription_id=facts.id,
        price_id=price.id,
        idempotency_key=f"overage-item-{facts.id}-{price.id}",
    )
    boundary.synced(Subscription, boundary.subscription_retrieve(subscription_id=facts.id))


@transaction.atomic
def _choice_save(*, tenant: Tenant, enabled: bool, cap: int | None) -> Entitlement:
    entitlement, _ = Entitlement.objects.select_for_update().get_or_create(tenant=tenant)
    before = (entitlement.overage_enabled, entitlement.overage_cap)
    entitlement.overage_enabled = enabled
    if cap is not None:
        entitlement.overage_cap = cap
    entitlement.full_clean(exclude=_NOT_CHOSEN_FIELDS, validate_unique=False)
    entitlement.save(update_fields=["overage_enabled", "overage_cap", "updated_at"])
    with schema_context(tenant.schema_name):
        audit_record(
            action="billing.overage_changed",
            object_type="subscription",
            object_id=tenant.slug,
            changes={
                "overage_enabled": [before[0], enabled],
                "overage_cap": [before[1], entitlement.overage_cap],
            },
        )
    return entitlement


def overage_events_send(*, batch_size: int) -> int:
    """Report up to `batch_size` unsent extra shipments to Stripe's meter, oldest first, each as
    one meter event of value 1 at the moment it was created (so it lands in its period's
    invoice). Returns how many were reported.

    Rows are claimed with SKIP LOCKED, so concurrent runs share the work. An event Stripe already
    has (the same identifier: a resend after a lost answer) counts as reported. When Stripe is
    unavailable the batch stops, what was reported is marked, and the error goes to the task to
    retry later: an outage delays events, it neither loses nor doubles them."""
    reported: list[int] = []
    failure: StripeUnavailable | None = None
    with transaction.atomic():
        events = list(
            OverageEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sent_at__isnull=True)
            .select_related("tenant__entitlement")
            .order_by("created_at", "id")[:batch_size]
        )
        for event in events:
            customer_id = event.tenant.entitlement.stripe_customer_id
            if not customer_id:
                logger.warning("Overage of tenant %s has no Stripe customer", event.tenant_id)
                continue
            try:
                boundary.meter_event_create(
                    event_name=METER_EVENT_NAME,
                    customer_id=customer_id,
                    value=1,
                    identifier=event.identifier,
                    timestamp=int(event.created_at.timestamp()),
                )
            except StripeUnavailable as error:
                failure = error
                break
            reported.append(event.pk)
        OverageEvent.objects.filter(pk__in=reported).update(sent_at=timezone.now())
    if failure is not None:
        raise failure
    return len(reported)
