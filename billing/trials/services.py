"""Writes of trials: start the tenant's one trial of a paid plan, without a card."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context
from djstripe.models import Subscription

from billing.currencies.selectors import tenant_currency_get
from billing.exceptions import PlanNotAvailable, SubscriptionExists
from billing.models import LIVE_STATUSES, Entitlement
from billing.plans import Interval, Plan
from billing.selectors import price_get, subscription_facts_get
from billing.services import customer_ensure, entitlement_and_invoice_refresh
from billing.stripe import boundary
from billing.tax.selectors import tax_location_known
from billing.trials.exceptions import TrialUsed
from loginexus.audit.services import audit_record
from loginexus.tenancy.models import Tenant

TRIAL_DAYS = 14


def trial_start(*, tenant: Tenant, plan: Plan, interval: Interval = Interval.MONTH) -> Entitlement:
    """Start `plan` for TRIAL_DAYS with no payment method: Stripe cancels the subscription at
    the trial's end unless a card was added by then. Once per tenant: the entitlement row is
    locked, and the trial is marked used in the transaction that records the subscription."""
    if plan.is_free:
        raise ValidationError({"plan": [gettext("The Free plan has no trial.")]})
    price = price_get(plan=plan, interval=interval)
    if price is None:
        raise PlanNotAvailable(
            gettext("The %(plan)s plan is not available yet. Please try again later.")
            % {"plan": plan.name}
        )
    customer = customer_ensure(tenant=tenant)
    with transaction.atomic():
        entitlement, _ = Entitlement.objects.select_for_update().get_or_create(tenant=tenant)
        if entitlement.trial_used_at is not None:
            raise TrialUsed(gettext("This workspace has had its trial already."))
        current = subscription_facts_get(tenant=tenant)
        if current and current.status in LIVE_STATUSES:
            raise SubscriptionExists(
                gettext("This workspace already has a subscription; a trial is for new plans.")
            )
        subscription = boundary.subscription_trial_create(
            customer_id=customer.id,
            price_id=price.id,
            trial_days=TRIAL_DAYS,
            metadata={"tenant_id": str(tenant.pk), "tenant_slug": tenant.slug, "plan": plan.code},
            key=f"loginexus-trial-{tenant.pk}",
            currency=tenant_currency_get(tenant=tenant).value,
            automatic_tax=tax_location_known(tenant),
        )
        boundary.synced(Subscription, subscription)
        Entitlement.objects.filter(pk=entitlement.pk).update(trial_used_at=timezone.now())
        refreshed = entitlement_and_invoice_refresh(tenant=tenant)
        with schema_context(tenant.schema_name):
            audit_record(
                action="billing.trial_started",
                object_type="subscription",
                object_id=tenant.slug,
                changes={"plan": [None, plan.code], "interval": [None, str(interval)]},
            )
    return refreshed
