"""Shipment pages and the dashboard: lists, forms with errors next to their fields, buttons for
the legal transitions only, CSRF, and isolation between tenants."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shipments.models import Shipment
from tests.conftest import admin_of, host_client, logged_in, make_escrow, make_shipment, tenant_user

pytestmark = pytest.mark.django_db

FORM = {
    "reference": "WEB-1",
    "origin": "Antwerp",
    "destination": "Lyon",
    "carrier": "DSV",
    "weight_kg": "80",
}


def field_errors(html: str) -> int:
    return html.count('class="field has-error"')


def test_new_shipment_form_creates_the_shipment_and_shows_it(admin_client_a, tenant_a):
    form = admin_client_a.get("/shipments/new/").content.decode()
    assert 'name="reference"' in form and 'name="csrfmiddlewaretoken"' in form
    response = admin_client_a.post("/shipments/new/", FORM)
    assert response.status_code == 302
    with schema_context(tenant_a.schema_name):
        shipment = Shipment.objects.get(reference="WEB-1")
    assert response["Location"] == f"/shipments/{shipment.pk}/"
    detail = admin_client_a.get(response["Location"]).content.decode()
    assert "Shipment WEB-1 created." in detail
    assert "Antwerp → Lyon" in detail
    assert "Mark booked" in detail and "Cancel shipment" in detail
    assert "Mark delivered" not in detail and "Mark in transit" not in detail
    assert "Created as Draft" in detail
    assert shipment.status == "draft"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"weight_kg": "-2"}, "weight_kg", "Weight must be more than 0 and at most 1,000,000"),
        ({"weight_kg": "heavy"}, "weight_kg", "Enter a number."),
        ({"origin": ""}, "origin", "This field is required."),
        ({"reference": "R" * 65}, "reference", "Ensure this value has at most 64 characters"),
        ({"expected_delivery": "soon"}, "expected_delivery", "Enter a valid date."),
    ],
)
def test_form_errors_appear_next_to_their_fields(admin_client_a, changes, field, message):
    response = admin_client_a.post("/shipments/new/", {**FORM, **changes})
    assert response.status_code == 400
    html = response.content.decode()
    assert field_errors(html) == 1
    error_block = html[html.index(f'id="id_{field}"') :]
    assert message in error_block[: error_block.index("</div>")]


def test_a_taken_reference_is_an_error_on_the_reference(admin_client_a, tenant_a):
    make_shipment(tenant_a, reference="WEB-1")
    response = admin_client_a.post("/shipments/new/", FORM)
    assert response.status_code == 400
    assert "A shipment with this reference already exists." in response.content.decode()
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.filter(reference="WEB-1").count() == 1


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        ("draft", ["booked", "cancelled"]),
        ("booked", ["in_transit", "cancelled"]),
        ("in_transit", ["delivered", "cancelled"]),
        ("delivered", []),
        ("cancelled", []),
    ],
)
def test_detail_shows_buttons_for_the_legal_transitions_only(
    admin_client_a, tenant_a, status, buttons
):
    shipment = make_shipment(tenant_a, status=status)
    html = admin_client_a.get(f"/shipments/{shipment.pk}/").content.decode()
    offered = [value for value in ("draft", "booked", "in_transit", "delivered", "cancelled")
               if f'name="status" value="{value}"' in html]  # fmt: skip
    assert offered == buttons


def test_transition_buttons_move_the_shipment_and_history_shows_it(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    response = admin_client_a.post(f"/shipments/{shipment.pk}/status/", {"status": "booked"})
    assert response.status_code == 302
    detail = admin_client_a.get(f"/shipments/{shipment.pk}/").content.decode()
    assert f"Shipment {shipment.reference} is now booked." in detail
    assert "Draft → Booked" in detail and "by admin@alpha.example" in detail
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.get(pk=shipment.pk).status == "booked"


def test_an_illegal_transition_shows_the_allowed_ones_not_an_error_page(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, status="booked")
    refused = admin_client_a.post(f"/shipments/{shipment.pk}/status/", {"status": "delivered"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "That cannot be done now" in html
    assert "This shipment is Booked; it can only become: In transit, Cancelled." in html
    assert "in_transit" not in html.split("<main")[1]
    assert f'href="/shipments/{shipment.pk}/">Back to the shipment</a>' in html
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.get(pk=shipment.pk).status == "booked"


def test_list_filters_searches_and_paginates(admin_client_a, tenant_a):
    for number in range(22):
        make_shipment(
            tenant_a, reference=f"LIST-{number:02d}", origin="Oslo" if number == 5 else "Rome"
        )
    make_shipment(tenant_a, reference="GONE-1", status="cancelled")
    first = admin_client_a.get("/shipments/").content.decode()
    assert "Page 1 of 2" in first and "LIST-22" not in first
    second = admin_client_a.get("/shipments/", {"page": 2}).content.decode()
    assert "Page 2 of 2" in second and "LIST-00" in second
    searched = admin_client_a.get("/shipments/", {"q": "oslo"}).content.decode()
    assert "LIST-05" in searched and "LIST-06" not in searched
    cancelled = admin_client_a.get("/shipments/", {"status": "cancelled"}).content.decode()
    assert "GONE-1" in cancelled and "LIST-01" not in cancelled
    none = admin_client_a.get("/shipments/", {"status": "delivered"}).content.decode()
    assert "No shipments match." in none


def test_list_pages_keep_the_filters_in_their_links(admin_client_a, tenant_a):
    for number in range(21):
        make_shipment(tenant_a, reference=f"KEEP-{number:02d}", status="booked")
    html = admin_client_a.get("/shipments/", {"status": "booked"}).content.decode()
    assert 'href="?status=booked&amp;page=2"' in html


def test_list_page_queries_do_not_grow_with_the_rows(admin_client_a, tenant_a):
    make_shipment(tenant_a)
    with CaptureQueriesContext(connection) as one:
        admin_client_a.get("/shipments/")
    for _ in range(19):
        make_shipment(tenant_a)
    with CaptureQueriesContext(connection) as twenty:
        admin_client_a.get("/shipments/")
    assert len(one) == len(twenty)


def test_edit_form_changes_details_while_editable(admin_client_a, tenant_a):
    shipment = make_shipment(tenant_a, status="booked")
    form = admin_client_a.get(f"/shipments/{shipment.pk}/edit/").content.decode()
    assert f'value="{shipment.reference}"' in form
    saved = admin_client_a.post(
        f"/shipments/{shipment.pk}/edit/",
        {**FORM, "reference": shipment.reference, "carrier": "GLS"},
    )
    assert saved.status_code == 302
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.get(pk=shipment.pk).carrier == "GLS"
    refused = admin_client_a.post(
        f"/shipments/{shipment.pk}/edit/", {**FORM, "reference": shipment.reference, "carrier": ""}
    )
    assert refused.status_code == 400
    assert field_errors(refused.content.decode()) == 1


def test_a_travelling_shipment_cannot_be_edited(admin_client_a, tenant_a):
    moving = make_shipment(tenant_a, status="in_transit", carrier="DHL")
    page = admin_client_a.get(f"/shipments/{moving.pk}/edit/", follow=True).content.decode()
    assert "can no longer be edited" in page
    admin_client_a.post(f"/shipments/{moving.pk}/edit/", {**FORM, "reference": moving.reference})
    with schema_context(tenant_a.schema_name):
        assert Shipment.objects.get(pk=moving.pk).carrier == "DHL"


def test_delete_button_removes_a_draft_and_refuses_a_booked_one(admin_client_a, tenant_a):
    draft = make_shipment(tenant_a)
    assert admin_client_a.post(f"/shipments/{draft.pk}/delete/").status_code == 302
    booked = make_shipment(tenant_a, status="booked")
    refused = admin_client_a.post(f"/shipments/{booked.pk}/delete/")
    assert refused.status_code == 409
    assert "only draft and cancelled shipments can" in refused.content.decode()
    with schema_context(tenant_a.schema_name):
        assert list(Shipment.objects.values_list("pk", flat=True)) == [booked.pk]


def test_pages_need_a_login(client_a, tenant_a):
    shipment = make_shipment(tenant_a)
    for path in ("/", "/shipments/", "/shipments/new/", f"/shipments/{shipment.pk}/"):
        response = client_a.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_forms_refuse_posts_without_the_csrf_token(tenant_a):
    browser = host_client("alpha.localhost", enforce_csrf_checks=True)
    with schema_context(tenant_a.schema_name):
        browser.force_login(admin_of(tenant_a))
    assert browser.post("/shipments/new/", FORM).status_code == 403
    with schema_context(tenant_a.schema_name):
        assert not Shipment.objects.filter(reference="WEB-1").exists()


def test_pages_of_another_tenants_shipment_are_404(admin_client_a, tenant_b):
    theirs = make_shipment(tenant_b)
    for path in (f"/shipments/{theirs.pk}/", f"/shipments/{theirs.pk}/edit/"):
        assert admin_client_a.get(path).status_code == 404
    refused = admin_client_a.post(f"/shipments/{theirs.pk}/status/", {"status": "booked"})
    assert refused.status_code == 404
    with schema_context(tenant_b.schema_name):
        assert Shipment.objects.get(pk=theirs.pk).status == "draft"


def test_dashboard_counts_by_status_and_lists_the_latest(admin_client_a, tenant_a):
    make_shipment(tenant_a, status="booked")
    make_shipment(tenant_a, status="booked")
    make_escrow(tenant_a, status="funded")
    for number in range(6):
        make_shipment(tenant_a, reference=f"NEW-{number}")
    html = admin_client_a.get("/").content.decode()
    assert "<strong>2</strong> Booked" in html
    assert "<strong>7</strong> Draft" in html
    assert "<strong>1</strong> Funded" in html and "<strong>0</strong> Open" in html
    assert 'href="/shipments/?status=booked"' in html
    assert "NEW-5" in html and "NEW-1" in html and "NEW-0" not in html


def test_navigation_shows_the_team_to_admins_only(tenant_a):
    admin = logged_in(host_client("alpha.localhost"), tenant_a, admin_of(tenant_a))
    assert 'href="/team/"' in admin.get("/").content.decode()
    member = logged_in(host_client("alpha.localhost"), tenant_a, tenant_user(tenant_a))
    member_page = member.get("/").content.decode()
    assert 'href="/team/"' not in member_page
    assert 'href="/shipments/"' in member_page and 'href="/escrows/"' in member_page
