"""Promotion codes end to end: the coupons and codes of definitions.py synced to Stripe once, a
code typed on Stripe's hosted checkout page, the refusals that leave nothing paid, the discounted
invoices for the coupon's three months then full price, and the invoices API's amounts."""

import dataclasses
from decimal import Decimal

import pytest
import requests
import stripe
from django.contrib.auth import get_user_model
from django.core.management import call_command
from djstripe.models import Coupon, Invoice, PromotionCode

from billing.invoices.selectors import invoice_tax
from billing.plans import PRO
from billing.promotions.definitions import PROMOTION_CODES, WELCOME20
from billing.promotions.services import promotions_sync
from billing.selectors import entitlement_get
from loginexus.tenancy.selectors import tenant_host
from tests.billing.helpers import checkout, entitlement_of, settled, subscribe
from tests.conftest import PASSWORD, admin_of, host_client, logged_in, staff_member_remove

WELCOME = PROMOTION_CODES["WELCOME20"]


def pay_with_code(url: str, code: str) -> requests.Response:
    return requests.post(
        url, data={"outcome": "pay", "promotion_code": code}, allow_redirects=False, timeout=10
    )


def invoices_answer(tenant) -> list[dict]:
    client = logged_in(host_client(tenant_host(slug=tenant.slug)), tenant, admin_of(tenant))
    response = client.get("/api/v1/billing/invoices/")
    assert response.status_code == 200
    return response.json()["results"]


@pytest.fixture
def promotions_ready(billing_ready):
    return {synced.code: synced for synced in promotions_sync()}


# -- the sync ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_syncing_twice_makes_one_welcome20_coupon_and_one_code_in_stripe(sim, stripe_module):
    call_command("billing_sync_plans")
    call_command("billing_sync_plans")

    coupons = stripe.Coupon.list().data
    assert [
        (c.percent_off, c.duration, c.duration_in_months, c.metadata["loginexus_coupon"])
        for c in coupons
    ] == [(20.0, "repeating", 3, "welcome20")]
    codes = stripe.PromotionCode.list().data
    assert [(p.code, p.active, p.promotion.coupon) for p in codes] == [
        ("WELCOME20", True, coupons[0].id)
    ]
    assert list(Coupon.objects.values_list("id", flat=True)) == [coupons[0].id]
    assert list(PromotionCode.objects.values_list("id", flat=True)) == [codes[0].id]


@pytest.mark.django_db
def test_a_renamed_coupon_is_updated_in_place(sim, stripe_module):
    first = promotions_sync()[0]
    renamed = dataclasses.replace(WELCOME20, name="Welcome offer")

    again = promotions_sync(coupons=[renamed], promotion_codes=[WELCOME])[0]

    assert again == first
    assert stripe.Coupon.retrieve(first.coupon_id).name == "Welcome offer"
    assert str(Coupon.objects.get(id=first.coupon_id)) == "Welcome offer"


@pytest.mark.django_db
def test_changed_terms_make_a_new_coupon_and_move_the_code_onto_it(sim, stripe_module):
    first = promotions_sync()[0]
    deeper = dataclasses.replace(WELCOME20, percent_off=Decimal("25"))

    moved = promotions_sync(coupons=[deeper], promotion_codes=[WELCOME])[0]

    assert moved.coupon_id != first.coupon_id
    assert [c.id for c in stripe.Coupon.list().data] == [moved.coupon_id]
    assert stripe.Coupon.retrieve(moved.coupon_id).percent_off == 25.0
    old, new = (stripe.PromotionCode.retrieve(p) for p in (first.promotion_code_id,
                                                            moved.promotion_code_id))  # fmt: skip
    assert (old.active, new.active, new.promotion.coupon) == (False, True, moved.coupon_id)
    assert list(Coupon.objects.values_list("id", flat=True)) == [moved.coupon_id]
    assert PromotionCode.objects.get(id=first.promotion_code_id).active is False
    assert promotions_sync(coupons=[deeper], promotion_codes=[WELCOME]) == [moved]


# -- checkout with a code --------------------------------------------------------------------


def test_checkout_lets_the_customer_type_a_code(promotions_ready, committed_tenant):
    url, session_id = checkout(committed_tenant, PRO)
    assert stripe.checkout.Session.retrieve(session_id).allow_promotion_codes is True
    page = requests.get(url, timeout=10).text
    assert "name='promotion_code'" in page


def test_welcome20_takes_20_percent_off_the_first_invoice(promotions_ready, committed_tenant, sim):
    url, session_id = checkout(committed_tenant, PRO)
    assert pay_with_code(url, "welcome20").status_code == 303  # Stripe ignores a code's case
    settled(sim)

    entitlement = entitlement_of(committed_tenant)
    assert (entitlement.subscribed_plan, entitlement.status) == ("pro", "active")
    session = stripe.checkout.Session.retrieve(session_id)
    assert (session.amount_total, session.total_details.amount_discount) == (3920, 980)
    promotion_code = promotions_ready["WELCOME20"].promotion_code_id
    assert stripe.PromotionCode.retrieve(promotion_code).times_redeemed == 1
    subscription = stripe.Subscription.retrieve(entitlement.stripe_subscription_id)
    assert len(subscription.discounts) == 1
    [invoice] = invoices_answer(committed_tenant)
    assert {key: invoice[key] for key in ("subtotal", "discount", "tax", "total")} == {
        "subtotal": 4900,
        "discount": 980,
        "tax": 0,
        "total": 3920,
    }
    assert invoice["amount_paid"] == 3920
    assert invoice["lines"] == [
        {
            "description": "1 \N{MULTIPLICATION SIGN} LogiNexus Pro (at $49.00 / month)",
            "quantity": 1,
            "amount": 4900,
        }
    ]


@pytest.mark.parametrize("code", ["NOTACODE", "SPRING"])
def test_an_unknown_or_inactive_code_is_refused_and_nothing_is_paid(
    promotions_ready, committed_tenant, sim, code
):
    coupon = promotions_ready["WELCOME20"].coupon_id
    stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon}, code="SPRING",
                                active=False)  # fmt: skip
    url, session_id = checkout(committed_tenant, PRO)

    answer = pay_with_code(url, code)

    assert answer.status_code == 400
    assert "This code is invalid." in answer.text
    session = stripe.checkout.Session.retrieve(session_id)
    assert (session.status, session.subscription, session.invoice) == ("open", None, None)
    settled(sim)
    assert entitlement_get(tenant=committed_tenant).subscribed_plan == "free"
    assert not Invoice.objects.exists()
    promotion_code = promotions_ready["WELCOME20"].promotion_code_id
    assert stripe.PromotionCode.retrieve(promotion_code).times_redeemed == 0


def test_the_discount_lasts_three_months_then_the_invoice_is_full_price(
    promotions_ready, committed_tenant, sim
):
    url, _ = checkout(committed_tenant, PRO)
    assert pay_with_code(url, "WELCOME20").status_code == 303
    settled(sim)

    for _ in range(3):
        sim.advance(days=32, payment="succeed")
        settled(sim)

    invoices = invoices_answer(committed_tenant)
    assert [(i["subtotal"], i["discount"], i["total"], i["status"]) for i in invoices] == [
        (4900, 0, 4900, "paid"),
        (4900, 980, 3920, "paid"),
        (4900, 980, 3920, "paid"),
        (4900, 980, 3920, "paid"),
    ]
    subscription = stripe.Subscription.retrieve(
        entitlement_of(committed_tenant).stripe_subscription_id
    )
    assert subscription.discounts == []


def test_the_billing_page_shows_the_discount_column(promotions_ready, committed_tenant, sim):
    url, _ = checkout(committed_tenant, PRO)
    assert pay_with_code(url, "WELCOME20").status_code == 303
    settled(sim)
    client = logged_in(
        host_client(tenant_host(slug=committed_tenant.slug)),
        committed_tenant,
        admin_of(committed_tenant),
    )

    page = client.get("/billing/").content.decode()

    table = page[page.index("<table") : page.index("</table>")]
    assert "<th>Discount</th>" in table and "<th>Tax</th>" not in table
    assert "<td>\N{MINUS SIGN}$9.80</td>" in table and "<td>$39.20</td>" in table


def test_a_workspace_that_paid_before_is_refused_welcome20(promotions_ready, committed_tenant, sim):
    first = subscribe(sim, committed_tenant, PRO)
    stripe.Subscription.cancel(first.stripe_subscription_id)
    settled(sim)
    url, session_id = checkout(committed_tenant, PRO)

    answer = pay_with_code(url, "WELCOME20")

    assert answer.status_code == 400
    assert "This code is only valid for first-time customers." in answer.text
    assert stripe.checkout.Session.retrieve(session_id).status == "open"
    settled(sim)
    assert entitlement_of(committed_tenant).status == "canceled"
    assert [invoice["total"] for invoice in invoices_answer(committed_tenant)] == [4900]


@pytest.mark.parametrize(
    ("fields", "tax"),
    [
        ({"total_taxes": [{"amount": 931}, {"amount": 10}]}, 941),  # API 2025 on
        ({"total_tax_amounts": [{"amount": 784}]}, 784),  # earlier versions
        ({"tax": 500}, 500),  # before total_tax_amounts
        ({}, 0),
    ],
)
def test_tax_is_read_from_whichever_field_the_api_version_has(fields, tax):
    assert invoice_tax({"subtotal": 4900, "total": 4900, **fields}) == tax


# -- staff ---------------------------------------------------------------------------------


@pytest.fixture
def staff_client(committed_db):
    """The public host's admin as a superuser, committed like the live tenant."""
    root = get_user_model().objects.create_superuser("root@loginexus.example", PASSWORD)
    client = host_client("localhost")
    client.force_login(root)
    yield client
    staff_member_remove(root)


def test_staff_see_the_tenants_discount_and_who_redeemed_the_code(
    promotions_ready, committed_tenant, sim, staff_client
):
    url, _ = checkout(committed_tenant, PRO)
    assert pay_with_code(url, "WELCOME20").status_code == 303
    settled(sim)

    page = staff_client.get(f"/admin/tenancy/tenant/{committed_tenant.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    discount = body[body.index("<h3>Discount</h3>") : body.index("<h3>Invoices</h3>")]
    assert "Welcome: 20% off for 3 months (code WELCOME20)" in discount
    assert "20 % off" in discount and "until " in discount

    promotion_code = PromotionCode.objects.get(id=promotions_ready["WELCOME20"].promotion_code_id)
    listed = staff_client.get("/admin/djstripe/promotioncode/").content.decode()
    assert "WELCOME20" in listed
    page = staff_client.get(f"/admin/djstripe/promotioncode/{promotion_code.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    redeemed_by = body[body.index("Redeemed by") :]
    assert f'/admin/tenancy/tenant/{committed_tenant.pk}/change/">{committed_tenant.name}</a>' in (
        redeemed_by
    )
    assert "Times redeemed" in body


def test_staff_refresh_a_codes_times_redeemed_from_stripe(
    promotions_ready, committed_tenant, sim, staff_client
):
    url, _ = checkout(committed_tenant, PRO)
    assert pay_with_code(url, "WELCOME20").status_code == 303
    settled(sim)
    promotion_code = PromotionCode.objects.get(id=promotions_ready["WELCOME20"].promotion_code_id)
    assert promotion_code.times_redeemed == 0  # synced before the checkout

    answer = staff_client.post(
        "/admin/djstripe/promotioncode/",
        {"action": "refresh", "_selected_action": [promotion_code.pk]},
        follow=True,
    )

    assert answer.status_code == 200
    assert "1 promotion code refreshed from Stripe." in answer.content.decode()
    promotion_code.refresh_from_db()
    assert promotion_code.times_redeemed == 1
