"""Everything a tenant owns, as rows: to tell whether a request changed anything of it."""

from django.apps import apps
from django.conf import settings
from django_tenants.utils import schema_context
from djstripe.models import Customer, Invoice, Subscription

from loginexus.accounts.models import Session
from loginexus.tenancy.models import Domain, Tenant


def _rows(queryset) -> list[dict]:
    return list(queryset.order_by("pk").values())


def state_of(tenant: Tenant) -> dict[str, list]:
    """Everything of the tenant: every row of its schema (its sessions: those that log someone
    in), and its rows in the public schema."""
    state = {}
    with schema_context(tenant.schema_name):
        for config in apps.get_app_configs():
            if config.name not in settings.TENANT_APPS:
                continue
            for model in config.get_models(include_auto_created=True):
                if model is not Session:
                    state[model._meta.label] = _rows(model.objects.all())
        state["sessions"] = sorted(
            (session.session_key, session.get_decoded().get("_auth_user_id"))
            for session in Session.objects.all()
            if "_auth_user_id" in session.get_decoded()
        )
    state["tenant"] = _rows(Tenant.objects.filter(pk=tenant.pk))
    state["domains"] = _rows(Domain.objects.filter(tenant=tenant))
    for model in apps.get_app_config("billing").get_models():
        if any(model_field.name == "tenant" for model_field in model._meta.fields):
            state[model._meta.label] = _rows(model.objects.filter(tenant=tenant))
    state["customers"] = _rows(Customer.objects.filter(subscriber=tenant))
    state["subscriptions"] = _rows(Subscription.objects.filter(customer__subscriber=tenant))
    state["invoices"] = _rows(Invoice.objects.filter(customer__subscriber=tenant))
    return state
