"""What a person sees on the shipment pages: a weight out of bounds as an error on the weight,
confirmations before what cannot be undone, the plan's limit shown before the work, refusals in
people's words leading back to their object, weights and dates formatted, German pages."""

import json
from datetime import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from billing.exceptions import PlanLimitExceeded
from billing.models import UsageCounter
from billing.plans import Resource
from billing.selectors import entitlement_get, usage_period
from loginexus.i18n.formatting import day_long
from loginexus.middleware import ApplicationErrorMiddleware
from shipments.models import Shipment
from shipments.services import shipment_create
from tests.conftest import logged_in, make_escrow, make_shipment, tenant_user

pytestmark = pytest.mark.django_db

FORM = {
    "reference": "WEB-7",
    "origin": "Antwerp",
    "destination": "Lyon",
    "carrier": "DSV",
    "weight_kg": "80",
}
TOO_HEAVY = "Weight must be more than 0 and at most 1,000,000\u00a0kg."


def field_error_of(html: str, field: str) -> str:
    block = html[html.index(f'id="id_{field}"') :]
    return block[: block.index("</div>")]


def at_the_limit(tenant, resource: Resource = Resource.SHIPMENTS) -> datetime:
    """Use up the tenant's (Free) limit of `resource` this period; returns when it resets."""
    entitlement = entitlement_get(tenant=tenant)
    start, end = usage_period(entitlement=entitlement, now=timezone.now())
    limit = entitlement.effective_plan(timezone.now()).limit(resource)
    UsageCounter.objects.update_or_create(
        tenant=tenant,
        resource=str(resource),
        period_start=start,
        defaults={"period_end": end, "used": limit},
    )
    return end


# 4. Internal wording


def test_a_weight_of_two_million_is_an_error_on_the_weight_not_a_constraint(admin_client_a):
    response = admin_client_a.post("/shipments/new/", {**FORM, "weight_kg": "2000000"})
    assert response.status_code == 400
    html = response.content.decode()
    assert TOO_HEAVY in field_error_of(html, "weight_kg")
    assert html.count('class="field has-error"') == 1
    assert "Constraint" not in html and "shipment_weight_positive_and_bounded" not in html


def test_the_api_answers_a_weight_of_two_million_with_a_field_error(admin_client_a):
    body = {**FORM, "weight_kg": "2000000"}
    response = admin_client_a.post(
        "/api/v1/shipments/", json.dumps(body), content_type="application/json"
    )
    assert (response.status_code, response.json()) == (400, {"weight_kg": [TOO_HEAVY]})


def test_the_service_refuses_the_weight_as_a_field_error_too(tenant_a):
    with schema_context(tenant_a.schema_name), pytest.raises(ValidationError) as refused:
        shipment_create(**{**FORM, "weight_kg": "2000000"})
    assert refused.value.message_dict == {"weight_kg": [TOO_HEAVY]}


def test_the_409_page_names_statuses_and_leads_back_to_the_shipment(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, status="in_transit")
    refused = admin_client_a.post(f"/shipments/{shipment.pk}/status/", {"status": "booked"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "This shipment is In transit; it can only become: Delivered, Cancelled." in html
    assert f'<a href="/shipments/{shipment.pk}/">Back to the shipment</a>' in html
    assert "Back to the dashboard" not in html


def test_a_locked_shipment_is_named_by_its_status_label(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, status="in_transit")
    refused = admin_client_a.post(f"/shipments/{shipment.pk}/delete/")
    assert refused.status_code == 409
    assert (
        "A shipment with status “In transit” cannot be deleted; only draft and cancelled "
        "shipments can." in refused.content.decode()
    )


# 2. Destructive actions


def test_cancelling_is_confirmed_first_and_the_post_still_cancels(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    make_escrow(tenant_a, shipment=shipment)
    detail = admin_client_a.get(f"/shipments/{shipment.pk}/").content.decode()
    # The detail page's Cancel button asks first (a GET); Mark booked does it (a POST).
    cancel_form = detail[: detail.index('value="cancelled"')].rsplit("<form", 1)[1]
    assert 'method="get"' in cancel_form and "csrfmiddlewaretoken" not in cancel_form
    booking_form = detail[: detail.index('value="booked"')].rsplit("<form", 1)[1]
    assert 'method="post"' in booking_form

    asked = admin_client_a.get(f"/shipments/{shipment.pk}/status/", {"status": "cancelled"})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert f"Cancel shipment {shipment.reference}?" in page
    assert "it can no longer be booked, sent or delivered" in page
    assert "It secures 1 escrow, which stays as it is" in page
    assert "This cannot be undone." in page
    assert f'action="/shipments/{shipment.pk}/status/"' in page
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.get(pk=shipment.pk).status == "draft"  # asking changed nothing

    done = admin_client_a.post(f"/shipments/{shipment.pk}/status/", {"status": "cancelled"})
    assert done.status_code == 302
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.get(pk=shipment.pk).status == "cancelled"


def test_in_transit_and_delivered_are_confirmed_and_an_illegal_ask_goes_back(
    admin_client_a, tenant_a
):
    shipment = make_shipment(tenant_a, status="in_transit")
    page = admin_client_a.get(
        f"/shipments/{shipment.pk}/status/", {"status": "delivered"}
    ).content.decode()
    assert f"Mark shipment {shipment.reference} delivered?" in page
    assert "the escrows it secures can then be released" in page
    assert "This cannot be undone." in page
    booked = make_shipment(tenant_a, status="booked")
    page = admin_client_a.get(
        f"/shipments/{booked.pk}/status/", {"status": "in_transit"}
    ).content.decode()
    assert f"Mark shipment {booked.reference} in transit?" in page
    assert "weight and expected delivery can no longer be edited" in page
    back = admin_client_a.get(f"/shipments/{shipment.pk}/status/", {"status": "draft"})
    assert back["Location"] == f"/shipments/{shipment.pk}/"


def test_deleting_is_confirmed_first_and_the_post_still_deletes(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    detail = admin_client_a.get(f"/shipments/{shipment.pk}/").content.decode()
    assert f'<a class="button danger" href="/shipments/{shipment.pk}/delete/">' in detail
    asked = admin_client_a.get(f"/shipments/{shipment.pk}/delete/")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert f"Delete shipment {shipment.reference}?" in page
    assert "It still counts towards this period's shipments on your plan." in page
    assert "This cannot be undone." in page
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.filter(pk=shipment.pk).exists()
    assert admin_client_a.post(f"/shipments/{shipment.pk}/delete/").status_code == 302
    with schema_context(tenant_a.schema_name):
        assert not Shipment.objects.filter(pk=shipment.pk).exists()


# 3. Limits before the work


def test_at_the_limit_the_new_shipment_buttons_are_off_with_the_reason(admin_client_a, tenant_a):
    resets = at_the_limit(tenant_a)
    reason = (
        "Your Free plan's 50 shipments for this period are used; the count starts again on "
        f"{day_long(resets)}."
    )
    for path in ("/shipments/", "/"):
        html = admin_client_a.get(path).content.decode()
        assert 'href="/shipments/new/"' not in html, path
        assert 'aria-disabled="true" aria-describedby="limit-shipments">New shipment' in html
        assert reason in html, path
        assert 'href="/billing/pricing/"' in html, path
    form = admin_client_a.get("/shipments/new/").content.decode()
    assert reason in form


def test_below_the_limit_the_button_is_a_link(admin_client_a):
    html = admin_client_a.get("/shipments/").content.decode()
    assert '<a class="button primary" href="/shipments/new/">New shipment</a>' in html
    assert "aria-disabled" not in html


def test_a_member_at_the_limit_is_told_who_can_lift_it(client_a, tenant_a):
    at_the_limit(tenant_a)
    member = logged_in(client_a, tenant_a, tenant_user(tenant_a))
    html = member.get("/shipments/").content.decode()
    assert "An administrator of this workspace can choose a bigger plan." in html
    assert 'href="/billing/pricing/"' not in html


def test_a_refused_create_keeps_what_was_typed_and_says_when_the_count_resets(
    admin_client_a, tenant_a
):
    resets = at_the_limit(tenant_a)
    response = admin_client_a.post("/shipments/new/", FORM)
    assert response.status_code == 402
    html = response.content.decode()
    assert "Your Free plan allows 50 shipments per period; 50 are used." in html
    assert f"The count starts again on {day_long(resets)}. What you typed is kept below." in html
    assert 'href="http://alpha.localhost:8000/billing/pricing/">See plans</a>' in html
    for value in FORM.values():
        assert f'value="{value}"' in html
    with schema_context(tenant_a.schema_name):
        assert not Shipment.objects.filter(reference="WEB-7").exists()


def test_the_402_page_says_when_the_count_resets(tenant_a):
    request = RequestFactory().post("/team/")
    request.user = AnonymousUser()
    refusal = PlanLimitExceeded(
        "Your Free plan allows 3 users; 3 are used.",
        extra={"period_end": "2027-01-01T00:00:00Z", "upgrade_url": "/billing/pricing/"},
    )
    with translation.override("en"), timezone.override("UTC"):
        response = ApplicationErrorMiddleware(lambda r: None).process_exception(request, refusal)
    html = response.content.decode()
    assert response.status_code == 402
    assert "The count starts again on January 1, 2027." in html
    assert '<a class="button primary" href="/billing/pricing/">See plans</a>' in html


# 7. Formatting


def test_weights_dates_and_statuses_are_formatted(admin_client_a, tenant_a):
    shipment = make_shipment(
        tenant_a, weight_kg="18000.000", expected_delivery="2026-12-24", status="in_transit"
    )
    listed = admin_client_a.get("/shipments/").content.decode()
    assert "18,000\u00a0kg" in listed and "18000.000" not in listed
    detail = admin_client_a.get(f"/shipments/{shipment.pk}/").content.decode()
    assert "18,000\u00a0kg" in detail
    assert "Dec 24, 2026" in detail
    assert "In transit" in detail
    assert "Booked → In transit" in detail
    assert " UTC</time>" in detail  # history times name their zone


# Languages


def test_the_shipment_list_in_german(client_a, tenant_a):
    make_shipment(tenant_a, weight_kg="12.500")
    client = logged_in(client_a, tenant_a, tenant_user(tenant_a))
    html = client.get("/shipments/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "12,5\u00a0kg" in html  # Babel's German numbers
    # These need the German catalogue (msgids "New shipment", "Shipments", "Draft").
    assert "Neue Sendung" in html
    assert "Sendungen" in html
    assert "Entwurf" in html


def test_a_member_refused_at_the_limit_keeps_the_form_and_is_told_who_can_lift_it(
    client_a, tenant_a
):
    at_the_limit(tenant_a)
    member = logged_in(client_a, tenant_a, tenant_user(tenant_a))
    refused = member.post("/shipments/new/", FORM)
    assert refused.status_code == 402
    html = refused.content.decode()
    assert 'value="WEB-7"' in html
    assert "An administrator of this workspace can choose a bigger plan." in html
    assert "/billing/pricing/" not in html
