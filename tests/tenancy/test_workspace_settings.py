"""Workspace settings (admins): the API and the page, their validation, and the Stripe customer
that carries the billing details onto invoices, with nothing half-done when Stripe is down."""

import json

import pytest
import stripe
from djstripe.models import Customer

from billing.services import customer_ensure
from billing.stripe.catalog import plans_sync
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_host
from loginexus.tenancy.tasks import workspace_customer_sync_task
from tests.billing.helpers import clear_faults, fault
from tests.conftest import admin_of, host_client, logged_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/workspace/"
ADDRESS = {
    "line1": "Hafenstrasse 1",
    "line2": "Halle 4",
    "city": "Hamburg",
    "postal_code": "20457",
    "state": "",
    "country": "DE",
}
EVERYTHING = {
    "name": "Alpha Logistik GmbH",
    "billing_email": "billing@alpha.example",
    "billing_address": ADDRESS,
    "tax_id": {"type": "eu_vat", "value": "DE123456789"},
    "language": "de",
    "time_zone": "Europe/Berlin",
}
DEFAULTS = {
    "name": "Alpha Freight",
    "slug": "alpha",
    "billing_email": "admin@alpha.example",
    "billing_address": dict.fromkeys(ADDRESS, ""),
    "tax_id": None,
    "language": "en",
    "time_zone": "UTC",
}


def patch(client, body):
    return client.patch(URL, json.dumps(body), content_type="application/json")


def row(tenant: Tenant) -> dict:
    return Tenant.objects.filter(pk=tenant.pk).values().get()


@pytest.fixture
def stripe_ready(sim, stripe_module):
    plans_sync()
    return sim


@pytest.fixture
def customer_a(stripe_ready, tenant_a) -> Customer:
    """Tenant A's Stripe customer, made as checkout makes it."""
    return customer_ensure(tenant=tenant_a)


def in_stripe(customer: Customer):
    return stripe.Customer.retrieve(customer.id, expand=["tax_ids"])


def tax_ids_in_stripe(customer: Customer) -> list[tuple[str, str]]:
    return [(t.type, t.value) for t in in_stripe(customer).tax_ids.data]


def test_an_admin_reads_the_workspace_settings(admin_client_a):
    response = admin_client_a.get(URL)
    assert response.status_code == 200
    assert response.json() == DEFAULTS


@pytest.mark.parametrize("setting", sorted(EVERYTHING))
def test_each_setting_is_changed_alone(admin_client_a, setting):
    response = patch(admin_client_a, {setting: EVERYTHING[setting]})
    assert response.status_code == 200, response.content
    assert response.json() == {**DEFAULTS, setting: EVERYTHING[setting]}
    assert admin_client_a.get(URL).json() == response.json()


def test_everything_is_changed_at_once(admin_client_a, tenant_a):
    response = patch(admin_client_a, EVERYTHING)
    assert response.json() == {**EVERYTHING, "slug": "alpha"}
    saved = row(tenant_a)
    assert (saved["billing_address_city"], saved["tax_id_value"]) == ("Hamburg", "DE123456789")


def test_the_slug_cannot_be_changed(admin_client_a, tenant_a):
    response = patch(admin_client_a, {"slug": "hijacked", "name": "Renamed"})
    assert response.status_code == 200
    assert (response.json()["slug"], response.json()["name"]) == ("alpha", "Renamed")
    assert (row(tenant_a)["slug"], row(tenant_a)["schema_name"]) == ("alpha", "t_alpha")


def test_address_parts_not_sent_stay_and_null_clears_the_address(admin_client_a):
    patch(admin_client_a, {"billing_address": ADDRESS})
    response = patch(admin_client_a, {"billing_address": {"line2": "", "city": "Bremen"}})
    assert response.json()["billing_address"] == {**ADDRESS, "line2": "", "city": "Bremen"}
    cleared = patch(admin_client_a, {"billing_address": None})
    assert cleared.json()["billing_address"] == DEFAULTS["billing_address"]


def test_a_vat_number_is_stored_as_written_on_invoices_and_null_removes_it(admin_client_a):
    written = patch(admin_client_a, {"tax_id": {"type": "eu_vat", "value": " de 123.456-789 "}})
    assert written.json()["tax_id"] == {"type": "eu_vat", "value": "DE123456789"}
    lower_case_country = patch(admin_client_a, {"billing_address": {"country": "fr"}})
    assert lower_case_country.json()["billing_address"]["country"] == "FR"
    assert patch(admin_client_a, {"tax_id": None}).json()["tax_id"] is None


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"billing_address": {"country": "XX"}}, {"billing_address": {"country": ["XX is not"]}}),
        ({"billing_address": {"country": "DEU"}}, {"billing_address": {"country": ["Ensure"]}}),
        ({"billing_address": {"city": "Hamburg"}}, {"billing_address": {"country": ["An addr"]}}),
        ({"tax_id": {"type": "xx_vat", "value": "1"}}, {"tax_id": {"type": ["xx_vat is not"]}}),
        ({"tax_id": {"type": "eu_vat", "value": "DE12345"}}, {"tax_id": {"value": ["DE12345"]}}),
        ({"tax_id": {"type": "eu_vat", "value": "123456789"}}, {"tax_id": {"value": ["12345"]}}),
        ({"tax_id": {"type": "gb_vat", "value": "GB12"}}, {"tax_id": {"value": ["GB12 is not"]}}),
        ({"tax_id": {"type": "us_ein", "value": "12;34"}}, {"tax_id": {"value": ["Enter the"]}}),
        ({"tax_id": {"type": "eu_vat"}}, {"tax_id": {"value": ["This field is required."]}}),
        ({"tax_id": "DE123456789"}, {"tax_id": {"non_field_errors": ["Invalid data."]}}),
        ({"language": "fr"}, {"language": ['"fr" is not a valid choice.']}),
        ({"time_zone": "Mars/Olympus"}, {"time_zone": ["Mars/Olympus is not a time zone"]}),
        ({"billing_email": "not-an-address"}, {"billing_email": ["Enter a valid email"]}),
        ({"name": "  "}, {"name": ["This field may not be blank."]}),
    ],
)
def test_invalid_settings_are_refused_with_field_errors_and_nothing_changes(
    admin_client_a, tenant_a, body, errors
):
    before = row(tenant_a)
    response = patch(admin_client_a, {"name": "Renamed too", **body})
    assert response.status_code == 400
    answer = response.json()

    def starts_as(found, expected):
        if isinstance(expected, dict):
            assert isinstance(found, dict) and set(found) == set(expected), found
            for key in expected:
                starts_as(found[key], expected[key])
        else:
            assert len(found) == len(expected) and all(
                message.startswith(prefix) for message, prefix in zip(found, expected, strict=True)
            ), found

    starts_as(answer, errors)
    assert row(tenant_a) == before


def stranger(tenant: Tenant):
    return host_client(tenant_host(slug=tenant.slug))


def test_members_are_refused_and_strangers_must_log_in(member_client_a, tenant_a):
    client_a = stranger(tenant_a)
    before = row(tenant_a)
    assert member_client_a.get(URL).status_code == 403
    refused = patch(member_client_a, {"name": "Taken over"})
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert client_a.get(URL).status_code == 401
    assert patch(client_a, {"name": "Taken over"}).status_code == 401
    assert row(tenant_a) == before


# -- the Stripe customer ----------------------------------------------------------------------


def test_a_change_reaches_the_stripe_customer_and_the_invoices_made_afterwards(
    admin_client_a, customer_a
):
    assert patch(admin_client_a, EVERYTHING).status_code == 200
    customer = in_stripe(customer_a)
    assert (customer.name, customer.email) == ("Alpha Logistik GmbH", "billing@alpha.example")
    assert customer.address.to_dict() == {**ADDRESS, "state": None}
    assert tax_ids_in_stripe(customer_a) == [("eu_vat", "DE123456789")]

    price = stripe.Price.list(lookup_keys=["pro_monthly"]).data[0]
    subscription = stripe.Subscription.create(
        customer=customer_a.id, items=[{"price": price.id}], default_payment_method="pm_card_visa"
    )
    invoice = stripe.Invoice.retrieve(subscription.latest_invoice)
    assert invoice.customer_name == "Alpha Logistik GmbH"
    assert invoice.customer_email == "billing@alpha.example"
    assert invoice.customer_address.city == "Hamburg"
    assert [t.to_dict() for t in invoice.customer_tax_ids] == [
        {"type": "eu_vat", "value": "DE123456789"}
    ]


def test_a_new_tax_id_replaces_the_old_one_and_removing_it_removes_it_in_stripe(
    admin_client_a, customer_a
):
    patch(admin_client_a, {"tax_id": {"type": "eu_vat", "value": "DE123456789"}})
    patch(admin_client_a, {"tax_id": {"type": "eu_vat", "value": "FRAB123456789"}})
    assert tax_ids_in_stripe(customer_a) == [("eu_vat", "FRAB123456789")]
    patch(admin_client_a, {"tax_id": None, "billing_address": None})
    assert tax_ids_in_stripe(customer_a) == []
    assert in_stripe(customer_a).address is None


def test_a_tax_id_stripe_refuses_is_a_field_error_and_nothing_changes(
    admin_client_a, tenant_a, customer_a
):
    patch(admin_client_a, {"tax_id": {"type": "eu_vat", "value": "DE123456789"}})
    before = row(tenant_a)
    # Our check lets any us_ein through; Stripe knows its format.
    response = patch(
        admin_client_a, {"name": "Renamed", "tax_id": {"type": "us_ein", "value": "12345"}}
    )
    assert response.status_code == 400
    assert response.json() == {"tax_id": {"value": ["Invalid value for us_ein."]}}
    assert row(tenant_a) == before
    assert in_stripe(customer_a).name == "Alpha Freight"
    assert tax_ids_in_stripe(customer_a) == [("eu_vat", "DE123456789")]


@pytest.mark.parametrize("mode", ["500", "reset"])
def test_when_stripe_is_down_the_change_answers_503_and_nothing_is_changed(
    admin_client_a, tenant_a, customer_a, stripe_ready, mode, django_capture_on_commit_callbacks
):
    patch(admin_client_a, {"tax_id": {"type": "eu_vat", "value": "DE123456789"}})
    before, stripe_before = row(tenant_a), in_stripe(customer_a).to_dict()
    fault(stripe_ready, mode, count=None)
    try:
        with django_capture_on_commit_callbacks() as repairs:
            response = patch(admin_client_a, {**EVERYTHING, "language": "en"})
    finally:
        clear_faults(stripe_ready)
    assert response.status_code == 503
    assert response.json()["code"] == "stripe_unavailable"
    assert row(tenant_a) == before
    assert in_stripe(customer_a).to_dict() == stripe_before
    assert len(repairs) == 1  # a repair is queued, in case Stripe did part of it after all


def test_when_stripe_fails_between_its_calls_the_customer_is_put_back_in_line_later(
    admin_client_a, tenant_a, customer_a, stripe_ready, django_capture_on_commit_callbacks
):
    patch(admin_client_a, {"tax_id": {"type": "eu_vat", "value": "DE123456789"}})
    before = row(tenant_a)
    # Listing the tax IDs and creating the new one succeed, setting the name fails.
    fault(stripe_ready, "500", count=None, after=2)
    try:
        with django_capture_on_commit_callbacks() as repairs:
            response = patch(
                admin_client_a,
                {"name": "Renamed", "tax_id": {"type": "eu_vat", "value": "FRAB123456789"}},
            )
    finally:
        clear_faults(stripe_ready)
    assert response.status_code == 503
    assert row(tenant_a) == before
    # Stripe was left with both tax IDs, and the old name: invoices still carry the saved one.
    assert sorted(tax_ids_in_stripe(customer_a)) == [
        ("eu_vat", "DE123456789"),
        ("eu_vat", "FRAB123456789"),
    ]
    assert len(repairs) == 1
    workspace_customer_sync_task.run(tenant_a.pk)  # what the queued task does, Stripe back
    assert tax_ids_in_stripe(customer_a) == [("eu_vat", "DE123456789")]
    assert in_stripe(customer_a).name == "Alpha Freight"


def test_language_and_time_zone_need_no_stripe(admin_client_a, tenant_a, customer_a, stripe_ready):
    fault(stripe_ready, "500", count=None)
    try:
        response = patch(admin_client_a, {"language": "de", "time_zone": "Europe/Vienna"})
    finally:
        clear_faults(stripe_ready)
    assert response.status_code == 200
    assert (row(tenant_a)["language"], row(tenant_a)["time_zone"]) == ("de", "Europe/Vienna")


def test_without_a_customer_the_settings_are_stored_and_the_customer_is_created_with_them(
    admin_client_a, tenant_a, stripe_ready
):
    assert patch(admin_client_a, EVERYTHING).status_code == 200
    assert stripe.Customer.list().data == []
    started = admin_client_a.post(
        "/api/v1/billing/checkout/",
        json.dumps({"plan": "pro", "interval": "month"}),
        content_type="application/json",
    )
    assert started.status_code == 201, started.content
    customer = Customer.objects.get(subscriber=tenant_a)
    created = in_stripe(customer)
    assert (created.name, created.email) == ("Alpha Logistik GmbH", "billing@alpha.example")
    assert created.address.postal_code == "20457"
    assert tax_ids_in_stripe(customer) == [("eu_vat", "DE123456789")]


# -- the page ---------------------------------------------------------------------------------

PAGE = "/settings/"
FORM = {
    "name": "Alpha Logistik GmbH",
    "billing_email": "billing@alpha.example",
    "billing_address_line1": "Hafenstrasse 1",
    "billing_address_line2": "Halle 4",
    "billing_address_city": "Hamburg",
    "billing_address_postal_code": "20457",
    "billing_address_state": "",
    "billing_address_country": "DE",
    "tax_id_type": "eu_vat",
    "tax_id_value": "DE123456789",
    "language": "de",
    "time_zone": "Europe/Berlin",
}


def test_the_page_shows_the_settings_and_saves_them(admin_client_a, tenant_a):
    page = admin_client_a.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="Alpha Freight"' in body
    assert 'value="admin@alpha.example"' in body
    assert '<option value="eu_vat">EU VAT</option>' in body
    assert "alpha" in body
    saved = admin_client_a.post(PAGE, FORM)
    assert (saved.status_code, saved["Location"]) == (302, PAGE)
    assert admin_client_a.get(URL).json() == {**EVERYTHING, "slug": "alpha"}
    assert "The workspace&#x27;s settings are saved." in admin_client_a.get(PAGE).content.decode()


def test_the_page_shows_what_is_wrong_and_saves_nothing(admin_client_a, tenant_a):
    before = row(tenant_a)
    page = admin_client_a.post(PAGE, {**FORM, "tax_id_value": "DE12"})
    assert page.status_code == 400
    assert "DE12 is not a VAT number" in page.content.decode()
    unnamed = admin_client_a.post(PAGE, {**FORM, "billing_address_country": ""})
    assert "An address names its country." in unnamed.content.decode()
    assert row(tenant_a) == before


def test_the_page_keeps_the_form_when_stripe_is_down(
    admin_client_a, tenant_a, customer_a, stripe_ready
):
    before = row(tenant_a)
    fault(stripe_ready, "500", count=None)
    try:
        page = admin_client_a.post(PAGE, FORM)
    finally:
        clear_faults(stripe_ready)
    assert page.status_code == 503
    body = page.content.decode()
    assert "nothing was changed" in body
    assert 'value="Alpha Logistik GmbH"' in body
    assert row(tenant_a) == before


def test_only_admins_open_the_page_and_see_it_in_the_navigation(member_client_a, tenant_a):
    admin = logged_in(stranger(tenant_a), tenant_a, admin_of(tenant_a))
    assert 'href="/settings/"' in admin.get("/").content.decode()
    assert 'href="/settings/"' not in member_client_a.get("/").content.decode()
    assert member_client_a.get(PAGE).status_code == 403
    assert member_client_a.post(PAGE, FORM).status_code == 403
    assert stranger(tenant_a).get(PAGE)["Location"].startswith("/accounts/login/")
