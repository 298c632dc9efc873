"""EU VAT through Stripe Tax, end to end: checkout with automatic tax, the invoice's tax as
dj-stripe stores it, the reverse charge on the billing page, and the address and tax ID the
customer entered in Checkout written back to the workspace."""

import requests
import stripe
from djstripe.models import Invoice, LineItem

from billing.plans import PRO
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_host
from tests.billing.helpers import checkout, pay, settled
from tests.conftest import admin_of, host_client, logged_in

GERMANY = {"line1": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}
FRANCE = {"line1": "1 rue de Rivoli", "postal_code": "75001", "city": "Paris", "country": "FR"}
USA = {"line1": "1 Main St", "postal_code": "10001", "city": "New York", "country": "US"}
REVERSE_CHARGE = "Reverse charge: VAT to be accounted for by the recipient"


def _located(tenant, address, tax_id=None):
    fields = {f"billing_address_{part}": value for part, value in address.items()}
    if tax_id:
        fields |= {"tax_id_type": tax_id[0], "tax_id_value": tax_id[1]}
    Tenant.objects.filter(pk=tenant.pk).update(**fields)
    return Tenant.objects.get(pk=tenant.pk)


def _admin(tenant):
    return logged_in(host_client(tenant_host(slug=tenant.slug)), tenant, admin_of(tenant))


def _invoice_of(tenant) -> Invoice:
    return Invoice.objects.get(customer__subscriber=tenant)


def test_a_german_consumer_pays_19_percent_on_45_euros(billing_ready, sim, committed_tenant):
    tenant = _located(committed_tenant, GERMANY)
    url, session_id = checkout(tenant, PRO)
    session = stripe.checkout.Session.retrieve(session_id)
    assert (session.currency, session.automatic_tax.enabled) == ("eur", True)
    assert session.billing_address_collection is None  # the workspace has an address
    assert pay(url).status_code == 303
    settled(sim)

    data = _invoice_of(tenant).stripe_data
    assert (data["currency"], data["subtotal"], data["total"], data["amount_paid"]) == (
        "eur",
        4500,
        5355,
        5355,
    )
    assert [(t["amount"], t["taxability_reason"]) for t in data["total_taxes"]] == [
        (855, "standard_rated")
    ]
    assert data["automatic_tax"]["status"] == "complete"
    [line] = data["lines"]["data"]
    assert [(t["amount"], t["taxable_amount"]) for t in line["taxes"]] == [(855, 4500)]
    stored = LineItem.objects.get(id=line["id"])
    assert stored.stripe_data["taxes"] == line["taxes"]
    page = _admin(committed_tenant).get("/billing/").content.decode()
    assert "€53.55" in page
    assert REVERSE_CHARGE not in page


def test_a_french_business_with_a_vat_id_pays_no_vat_and_is_told_of_the_reverse_charge(
    billing_ready, sim, committed_tenant
):
    tenant = _located(committed_tenant, FRANCE, tax_id=("eu_vat", "FRAB123456789"))
    url, session_id = checkout(tenant, PRO)
    session = stripe.checkout.Session.retrieve(session_id)
    assert session.tax_id_collection.enabled is False  # the workspace has its tax ID
    assert pay(url).status_code == 303
    settled(sim)

    data = _invoice_of(tenant).stripe_data
    assert (data["subtotal"], data["total"], data["amount_paid"]) == (4500, 4500, 4500)
    assert [(t["amount"], t["taxability_reason"]) for t in data["total_taxes"]] == [
        (0, "reverse_charge")
    ]
    assert data["customer_tax_ids"] == [{"type": "eu_vat", "value": "FRAB123456789"}]
    page = _admin(committed_tenant).get("/billing/").content.decode()
    assert REVERSE_CHARGE in page
    assert "€45.00" in page
    german = _admin(committed_tenant).get("/billing/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Steuerschuldnerschaft des Leistungsempfängers" in german


def test_a_customer_in_the_united_states_pays_no_tax(billing_ready, sim, committed_tenant):
    tenant = _located(committed_tenant, USA)
    url, _ = checkout(tenant, PRO)
    assert pay(url).status_code == 303
    settled(sim)

    data = _invoice_of(tenant).stripe_data
    assert (data["currency"], data["subtotal"], data["total"]) == ("usd", 4900, 4900)
    assert [(t["amount"], t["taxability_reason"]) for t in data["total_taxes"]] == [
        (0, "not_collecting")
    ]


def test_the_address_and_vat_id_entered_in_checkout_become_the_workspaces(
    billing_ready, sim, committed_tenant
):
    assert not committed_tenant.has_billing_address and committed_tenant.tax_id is None
    url, session_id = checkout(committed_tenant, PRO)
    session = stripe.checkout.Session.retrieve(session_id)
    assert session.billing_address_collection == "required"
    assert session.tax_id_collection.enabled is True
    assert session.currency == "usd"  # nothing says where the workspace is yet
    answer = requests.post(
        url,
        data={"outcome": "pay", **GERMANY, "tax_id_type": "eu_vat", "tax_id_value": "DE123456789"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    settled(sim)

    tenant = Tenant.objects.get(pk=committed_tenant.pk)
    assert tenant.billing_address == {
        "line1": "Hauptstraße 1",
        "line2": "",
        "city": "Berlin",
        "postal_code": "10115",
        "state": "",
        "country": "DE",
    }
    assert tenant.tax_id == {"type": "eu_vat", "value": "DE123456789"}
    customer = stripe.Customer.retrieve(session.customer, expand=["tax_ids"])
    assert customer.address.city == "Berlin"
    assert [t.value for t in customer.tax_ids.data] == ["DE123456789"]
    data = _invoice_of(tenant).stripe_data
    assert data["total_taxes"][0]["taxability_reason"] == "reverse_charge"


def test_what_the_workspace_has_already_is_not_replaced_by_checkout(
    billing_ready, sim, committed_tenant
):
    tenant = _located(committed_tenant, FRANCE)
    url, _ = checkout(tenant, PRO)
    answer = requests.post(
        url,
        data={"outcome": "pay", "tax_id_type": "eu_vat", "tax_id_value": "FRAB123456789"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    settled(sim)

    tenant = Tenant.objects.get(pk=tenant.pk)
    assert tenant.billing_address_city == "Paris"
    assert tenant.tax_id == {"type": "eu_vat", "value": "FRAB123456789"}
