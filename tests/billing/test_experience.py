"""What tenant admins and staff see of billing: one money format (in English and German),
counts and dates formatted, cancelling confirmed first and undone by resuming, the interval
toggle's choice not shown by colour alone, and a staff admin with the business first."""

import re

import pytest
from django.utils import timezone, translation

from billing.models import Entitlement, StripeWebhook
from billing.selectors import entitlement_get, usage_period
from loginexus.i18n.formatting import day_long
from tests.billing.test_limits import fill_escrows
from tests.security.subscriptions import paying

pytestmark = pytest.mark.django_db

TENANTS = "/admin/tenancy/tenant/"


@pytest.fixture
def paying_alpha(tenant_a, sim, stripe_module):
    """Alpha on Pro monthly ($49), with its first invoice paid."""
    return paying(tenant_a)


def body_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# 1. Money: one format, never cents as units.


def test_the_staff_tenant_page_shows_a_49_dollar_invoice_as_money_not_cents(
    superuser_client, tenant_a, paying_alpha
):
    body = body_of(superuser_client.get(f"{TENANTS}{tenant_a.pk}/change/"))
    invoices = body[body.index("<h3>Invoices</h3>") : body.index("<h3>Recent webhooks</h3>")]
    assert "$49.00" in invoices
    assert "4900" not in invoices and "USD" not in invoices
    assert "Paid" in invoices  # the status in words, not "paid"
    assert "<th>MRR</th><td>$49.00</td>" in body


def test_stripe_invoice_list_in_the_admin_shows_amounts_as_money(superuser_client, paying_alpha):
    body = body_of(superuser_client.get("/admin/djstripe/invoice/"))
    rows = body[body.index("<tbody>") : body.index("</tbody>")]
    assert "$49.00" in rows and "4900" not in rows
    from djstripe.models import Invoice

    invoice = Invoice.objects.get(id=paying_alpha["invoice"])
    page = body_of(superuser_client.get(f"/admin/djstripe/invoice/{invoice.pk}/change/"))
    total = page[page.index("field-total") :]
    assert "$49.00" in total[: total.index("</div>", total.index("readonly"))]


def test_the_staff_tenant_list_shows_revenue_as_money(superuser_client, tenant_a, paying_alpha):
    body = body_of(superuser_client.get(TENANTS))
    row = body[body.index(">alpha</a>") :]
    row = row[: row.index("</tr>")]
    assert "$49.00" in row and "USD" not in row


def test_pricing_overview_and_preview_show_money_in_one_format(
    admin_client_a, tenant_a, paying_alpha
):
    pricing = body_of(admin_client_a.get("/billing/pricing/?interval=month"))
    assert "$49" in pricing and "$199" in pricing
    overview = body_of(admin_client_a.get("/billing/"))
    assert "<td>$49.00</td>" in overview
    preview = body_of(admin_client_a.get("/billing/change/?plan=enterprise&interval=month"))
    assert re.search(r'Due now</dt><dd class="price"><strong>\$[\d,]+\.\d\d</strong>', preview)
    for page in (pricing, overview, preview):
        assert "USD" not in page and "4900" not in page


def test_german_billing_pages_format_money_the_german_way(admin_client_a, tenant_a, paying_alpha):
    overview = body_of(admin_client_a.get("/billing/", HTTP_ACCEPT_LANGUAGE="de"))
    assert "49,00\xa0$" in overview
    pricing = body_of(admin_client_a.get("/billing/pricing/", HTTP_ACCEPT_LANGUAGE="de"))
    assert "49\xa0$" in pricing and "2.000" in pricing
    # The words come from the German catalogue.
    assert "Rechnungen" in overview
    assert "Preise zzgl. Steuern" in pricing


def test_platform_metrics_show_money_with_grouping(public_client, tenant_a):
    from tests.conftest import on_plan, staff_member

    on_plan(tenant_a, "enterprise", interval="year")
    public_client.force_login(staff_member())
    body = body_of(public_client.get("/admin/metrics/"))
    assert '<th scope="row">MRR</th><td>$165.83</td>' in body
    assert '<th scope="row">ARR</th><td>$1,989.96</td>' in body


# 2. Cancelling a subscription: confirmed with what follows, undone by resuming.


def test_cancel_asks_first_saying_until_when_the_plan_lasts_and_what_free_allows(
    admin_client_a, tenant_a, paying_alpha
):
    overview = body_of(admin_client_a.get("/billing/"))
    assert 'href="/billing/cancel/"' in overview
    assert 'action="/billing/cancel/"' not in overview  # no one-click cancel

    period_end = entitlement_get(tenant=tenant_a).period_end
    page = body_of(admin_client_a.get("/billing/cancel/"))
    assert "Cancel your Pro subscription?" in page
    assert f"You keep your current plan until {day_long(period_end)}." in page
    assert "50 shipments a period" in page and "3 users" in page
    assert 'action="/billing/cancel/"' in page
    assert not Entitlement.objects.get(tenant=tenant_a).cancel_at_period_end  # nothing yet

    answer = admin_client_a.post("/billing/cancel/", follow=True)
    assert Entitlement.objects.get(tenant=tenant_a).cancel_at_period_end
    after = answer.content.decode()
    assert f"Your subscription ends on {day_long(period_end)}" in after
    assert 'action="/billing/resume/"' in after  # the undo

    admin_client_a.post("/billing/resume/")
    assert not Entitlement.objects.get(tenant=tenant_a).cancel_at_period_end


def test_the_cancel_page_of_a_workspace_without_a_subscription_goes_back_to_billing(
    admin_client_a,
):
    answer = admin_client_a.get("/billing/cancel/")
    assert (answer.status_code, answer["Location"]) == (302, "/billing/")


# 7. Counts, statuses and dates formatted.


def test_plan_cards_count_with_grouping_and_singular_or_plural(admin_client_a):
    body = body_of(admin_client_a.get("/billing/pricing/"))
    assert "2,000 shipments a period" in body
    assert "200 escrows a period" in body and "25 users" in body
    assert "Unlimited shipments" in body
    with translation.override("en"):
        from billing.plans import Resource, plan_allowance

        assert plan_allowance(Resource.USERS, 1) == "1 user"


def test_invoice_statuses_read_as_words(admin_client_a, paying_alpha):
    body = body_of(admin_client_a.get("/billing/"))
    assert "<td>Paid</td>" in body and "<td>paid</td>" not in body


# 3 (part). Usage warnings and bars say when the count resets.


def test_usage_warning_and_bars_say_when_the_count_resets(admin_client_a, tenant_a):
    fill_escrows(tenant_a, 4)
    _, period_end = usage_period(entitlement=entitlement_get(tenant=tenant_a), now=timezone.now())
    for path in ("/", "/billing/"):
        body = body_of(admin_client_a.get(path))
        assert "You have used 4 of 5 escrows this period (80 %)." in body
        assert f"The count resets on {day_long(period_end)}." in body
    assert f"Resets on {day_long(period_end)}" in body_of(admin_client_a.get("/billing/"))


# 10 (part). The interval toggle.


def test_the_interval_toggle_says_which_interval_is_chosen_without_colour(admin_client_a):
    body = body_of(admin_client_a.get("/billing/pricing/?interval=year"))
    toggle = body[body.index('<nav class="toggle"') : body.index("</nav>", body.index("toggle"))]
    assert re.search(r'href="\?interval=year(&amp;currency=usd)?"[^>]*aria-pressed="true"', toggle)
    assert re.search(
        r'href="\?interval=month(&amp;currency=usd)?"[^>]*aria-pressed="false"', toggle
    )
    assert "✓" in toggle.split("interval=year")[1]


# 9. The staff admin: the business first, Stripe's copies read-only, healthy rows look healthy.


def test_the_admin_home_lists_the_business_first_and_stripe_last_without_add_links(
    superuser_client,
):
    body = body_of(superuser_client.get("/admin/"))
    content = body[body.index('id="content-main"') :]
    order = [content.index(f'class="app-{label} module') for label in ("tenancy", "billing")]
    order += [content.index('class="app-accounts module'), content.index('class="app-djstripe')]
    assert order == sorted(order)
    stripe = content[order[-1] :]
    assert "Stripe (synced copies, read-only)" in stripe
    assert "addlink" not in stripe and "changelink" not in stripe
    assert '<a href="/admin/metrics/">Platform metrics</a>' in content
    assert content.index("Platform metrics") < order[2]  # metrics before people
    assert content.index('href="/admin/tenancy/tenant/"') < content.index("/admin/tenancy/domain/")


def test_staff_cannot_add_change_or_delete_stripe_copies(superuser_client, paying_alpha):
    from djstripe.models import Customer

    assert superuser_client.get("/admin/djstripe/customer/add/").status_code == 403
    customer = Customer.objects.get(id=paying_alpha["customer"])
    assert superuser_client.get(f"/admin/djstripe/customer/{customer.pk}/delete/").status_code in (
        403,
        302,
    )
    listing = body_of(superuser_client.get("/admin/djstripe/customer/"))
    assert "_resync_instances" not in listing and "delete_selected" not in listing
    page = body_of(superuser_client.get(f"/admin/djstripe/customer/{customer.pk}/change/"))
    assert 'name="_save"' not in page


def test_a_healthy_webhook_row_shows_its_status_in_words_without_a_red_mark(superuser_client):
    body = '{"id": "evt_healthy_1", "object": "event", "type": "customer.updated"}'
    StripeWebhook.objects.create(
        remote_ip="127.0.0.1", headers={}, body=body, valid=True, processed=True
    )
    listed = body_of(superuser_client.get("/admin/billing/stripewebhook/"))
    row = listed[listed.rindex("<tr", 0, listed.index("evt_healthy_1")) :]
    row = row[: row.index("</tr>")]
    assert "Processed" in row
    assert "icon-no" not in row and "icon-yes" not in row


def test_the_tenant_list_fits_seven_columns(superuser_client, tenant_a):
    body = body_of(superuser_client.get(TENANTS))
    head = body[body.index("<thead>") : body.index("</thead>")]
    columns = re.findall(r'<th scope="col" class="([^"]*)"', head)
    assert len([c for c in columns if "action-checkbox-column" not in c]) <= 7
    row = body[body.index(">alpha</a>") :]
    assert "Shipments: 0 / 50<br>Escrows: 0 / 5<br>Users: 1 / 3" in row[: row.index("</tr>")]


def test_the_usage_warning_email_formats_its_counts_and_says_when_the_count_resets(
    tenant_a, django_capture_on_commit_callbacks, settings
):
    from django.core import mail

    from billing.plans import Resource
    from billing.services import usage_warning_send
    from loginexus.celery import app

    fill_escrows(tenant_a, 4)
    _, period_end = usage_period(entitlement=entitlement_get(tenant=tenant_a), now=timezone.now())
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            usage_warning_send(tenant=tenant_a, resource=Resource.ESCROWS, threshold=80)
    finally:
        app.conf.task_always_eager = False
    (message,) = mail.outbox
    assert message.subject == "LogiNexus: Alpha Freight has used 80 % of its Free escrows"
    assert "4 of 5 escrows are used this period." in message.body
    with translation.override("en"):
        assert f"The count resets on {day_long(period_end)}." in message.body
