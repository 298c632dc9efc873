"""Coupons and promotion codes as Stripe keeps them, with the stripe library as the client: their
shapes, what Stripe refuses to create or change, the codes its hosted checkout page refuses
(nothing paid), and a redeemed code's discount on the subscription's invoices while it lasts."""

from __future__ import annotations

import pytest
import requests
import stripe

from billing.simulator.shapes import missing_fields
from tests.simulator.helpers import create_catalogue


def _coupon(client, **params):
    terms = {"percent_off": 20, "duration": "repeating", "duration_in_months": 3}
    return client.v1.coupons.create(params={**terms, **params})


def _code(client, coupon, **params):
    return client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, **params}
    )


def _session(client, price_id: str, **params):
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "success_url": "http://acme.localhost:8000/billing/success/",
            "allow_promotion_codes": True,
            **params,
        }
    )


def _pay(session, code: str) -> requests.Response:
    return requests.post(
        session.url,
        data={"outcome": "pay", "promotion_code": code},
        allow_redirects=False,
        timeout=10,
    )


@pytest.fixture
def prices(stripe_client):
    return create_catalogue(stripe_client)


def test_a_coupon_and_its_code_carry_stripes_fields(stripe_client):
    coupon = _coupon(stripe_client, name="Welcome", metadata={"loginexus_coupon": "welcome20"})
    assert (coupon.object, coupon.percent_off, coupon.amount_off) == ("coupon", 20.0, None)
    assert (coupon.duration, coupon.duration_in_months) == ("repeating", 3)
    assert (coupon.valid, coupon.times_redeemed) == (True, 0)
    assert missing_fields(coupon.to_dict()) == []

    code = _code(stripe_client, coupon, code="WELCOME20", max_redemptions=5)
    assert code.id.startswith("promo_")
    assert (code.code, code.active, code.times_redeemed, code.max_redemptions) == (
        "WELCOME20",
        True,
        0,
        5,
    )
    assert (code.promotion.type, code.promotion.coupon) == ("coupon", coupon.id)
    assert code.restrictions.first_time_transaction is False
    assert missing_fields(code.to_dict()) == []
    expanded = stripe_client.v1.promotion_codes.retrieve(
        code.id, params={"expand": ["promotion.coupon"]}
    )
    assert expanded.promotion.coupon.name == "Welcome"
    listed = stripe_client.v1.promotion_codes.list(params={"code": "welcome20"})
    assert [p.id for p in listed.data] == [code.id]
    assert [c.id for c in stripe_client.v1.coupons.list().data] == [coupon.id]


def test_only_a_coupons_name_and_metadata_change(stripe_client):
    coupon = _coupon(stripe_client)
    renamed = stripe_client.v1.coupons.update(coupon.id, params={"name": "Spring"})
    assert (renamed.name, renamed.percent_off) == ("Spring", 20.0)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.coupons.update(coupon.id, params={"percent_off": 30})
    assert (refused.value.code, refused.value.param) == ("parameter_unknown", "percent_off")
    assert stripe_client.v1.coupons.retrieve(coupon.id).percent_off == 20.0


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"percent_off": 20, "amount_off": 500, "currency": "usd"}, "percent_off", None),
        ({}, "percent_off", None),
        ({"percent_off": 120}, "percent_off", None),
        ({"amount_off": 500}, "currency", "parameter_missing"),
        ({"percent_off": 20, "duration": "repeating"}, "duration_in_months", "parameter_missing"),
        ({"percent_off": 20, "duration_in_months": 3}, "duration_in_months", None),
    ],
)
def test_stripe_refuses_a_coupon_without_sound_terms(stripe_client, params, param, code):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.coupons.create(params=params)
    error = refused.value
    assert (error.http_status, error.param, error.code) == (400, param, code)
    assert stripe_client.v1.coupons.list().data == []


def test_one_active_code_per_text_and_a_code_needs_a_coupon(stripe_client):
    coupon = _coupon(stripe_client)
    _code(stripe_client, coupon, code="WELCOME20")
    with pytest.raises(stripe.InvalidRequestError) as taken:
        _code(stripe_client, coupon, code="welcome20")
    assert (taken.value.code, taken.value.param) == ("resource_already_exists", "code")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.promotion_codes.create(
            params={"promotion": {"type": "coupon", "coupon": "nope"}}
        )
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert missing.value.param == "promotion[coupon]"
    with pytest.raises(stripe.InvalidRequestError) as unchangeable:
        stripe_client.v1.promotion_codes.update(
            stripe_client.v1.promotion_codes.list().data[0].id, params={"code": "OTHER"}
        )
    assert unchangeable.value.code == "parameter_unknown"
    assert len(stripe_client.v1.promotion_codes.list().data) == 1


def test_a_deleted_coupons_codes_are_switched_off(stripe_client):
    coupon = _coupon(stripe_client)
    code = _code(stripe_client, coupon, code="GONE")
    assert stripe_client.v1.coupons.delete(coupon.id).deleted is True
    assert stripe_client.v1.promotion_codes.retrieve(code.id).active is False
    with pytest.raises(stripe.InvalidRequestError) as gone:
        stripe_client.v1.coupons.retrieve(coupon.id)
    assert gone.value.http_status == 404


def test_a_redeemed_code_discounts_three_monthly_invoices(sim, stripe_client, prices):
    coupon = _coupon(stripe_client)
    code = _code(stripe_client, coupon, code="WELCOME20")
    session = _session(stripe_client, prices["pro_monthly"].id)
    assert "name='promotion_code'" in requests.get(session.url, timeout=10).text

    assert _pay(session, "WELCOME20").status_code == 303

    session = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert session.discounts[0].promotion_code == code.id
    assert (session.amount_subtotal, session.amount_total) == (4900, 3920)
    subscription = stripe_client.v1.subscriptions.retrieve(
        session.subscription, params={"expand": ["discounts"]}
    )
    [discount] = subscription.discounts
    assert (discount.object, discount.promotion_code, discount.source.coupon) == (
        "discount",
        code.id,
        coupon.id,
    )
    assert discount.subscription == subscription.id and discount.end > discount.start
    assert missing_fields(discount.to_dict()) == []
    invoice = stripe_client.v1.invoices.retrieve(
        session.invoice, params={"expand": ["total_discount_amounts.discount"]}
    )
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (4900, 3920, 3920)
    assert invoice.discounts == [discount.id]
    assert invoice.total_discount_amounts[0].amount == 980
    assert invoice.total_discount_amounts[0].discount.id == discount.id
    line = invoice.lines.data[0]
    assert (line.amount, line.discount_amounts[0].amount) == (4900, 980)
    assert stripe_client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1
    assert stripe_client.v1.coupons.retrieve(coupon.id).times_redeemed == 1

    totals = []
    for _ in range(3):
        sim.advance(days=32, payment="succeed")
        latest = stripe_client.v1.subscriptions.retrieve(session.subscription).latest_invoice
        totals.append(stripe_client.v1.invoices.retrieve(latest).total)
    assert totals == [3920, 3920, 4900]
    assert stripe_client.v1.subscriptions.retrieve(session.subscription).discounts == []


def _refused(sim, client, session, code: str, message: str) -> None:
    answer = _pay(session, code)
    assert answer.status_code == 400
    assert message in answer.text
    session = client.v1.checkout.sessions.retrieve(session.id)
    assert (session.status, session.subscription, session.payment_status) == (
        "open",
        None,
        "unpaid",
    )
    assert client.v1.invoices.list().data == []


def test_an_unknown_or_inactive_code_is_invalid(sim, stripe_client, prices):
    coupon = _coupon(stripe_client)
    _code(stripe_client, coupon, code="PAUSED", active=False)
    session = _session(stripe_client, prices["pro_monthly"].id)
    _refused(sim, stripe_client, session, "NOPE", "This code is invalid.")
    _refused(sim, stripe_client, session, "PAUSED", "This code is invalid.")


def test_an_expired_code_is_refused(sim, stripe_client, prices):
    coupon = _coupon(stripe_client)
    now = stripe_client.v1.coupons.retrieve(coupon.id).created
    code = _code(stripe_client, coupon, code="SOON", expires_at=now + 3600)
    sim.advance(days=1)
    session = _session(stripe_client, prices["pro_monthly"].id)
    _refused(sim, stripe_client, session, "SOON", "This code has expired.")
    assert stripe_client.v1.promotion_codes.retrieve(code.id).times_redeemed == 0


def test_a_code_past_its_max_redemptions_is_refused(sim, stripe_client, prices):
    coupon = _coupon(stripe_client)
    code = _code(stripe_client, coupon, code="ONCE", max_redemptions=1)
    first = _session(stripe_client, prices["pro_monthly"].id)
    assert _pay(first, "ONCE").status_code == 303
    second = _session(stripe_client, prices["pro_monthly"].id)

    answer = _pay(second, "ONCE")

    assert answer.status_code == 400
    assert "maximum number of redemptions" in answer.text
    assert stripe_client.v1.checkout.sessions.retrieve(second.id).status == "open"
    assert stripe_client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1


def test_a_first_time_code_is_refused_to_a_customer_who_has_paid(sim, stripe_client, prices):
    coupon = _coupon(stripe_client)
    _code(stripe_client, coupon, code="NEWONLY", restrictions={"first_time_transaction": True})
    paid = _session(stripe_client, prices["pro_monthly"].id)
    assert _pay(paid, "").status_code == 303
    customer = stripe_client.v1.checkout.sessions.retrieve(paid.id).customer
    again = _session(stripe_client, prices["enterprise_monthly"].id, customer=customer)

    answer = _pay(again, "NEWONLY")

    assert answer.status_code == 400
    assert "only valid for first-time customers" in answer.text
    assert stripe_client.v1.checkout.sessions.retrieve(again.id).subscription is None
    newcomer = _session(stripe_client, prices["pro_monthly"].id)
    assert _pay(newcomer, "NEWONLY").status_code == 303


def test_a_session_without_allow_promotion_codes_has_no_code_field(stripe_client, prices):
    session = _session(stripe_client, prices["pro_monthly"].id, allow_promotion_codes=False)
    assert "promotion_code" not in requests.get(session.url, timeout=10).text


def test_a_declined_card_redeems_nothing(stripe_client, prices):
    code = _code(stripe_client, _coupon(stripe_client), code="WELCOME20")
    session = _session(stripe_client, prices["pro_monthly"].id)

    answer = requests.post(
        session.url,
        data={"outcome": "decline", "promotion_code": "WELCOME20"},
        allow_redirects=False,
        timeout=10,
    )

    assert answer.status_code == 402
    assert "Your card was declined." in answer.text
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert stripe_client.v1.promotion_codes.retrieve(code.id).times_redeemed == 0
