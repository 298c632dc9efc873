"""Idempotency-Key on API POSTs: a replay answers the first answer again (status, body) and
creates and counts nothing; another body is a 409; keys are per credential and kept 24 hours;
5xx answers are not kept; concurrent requests with one key run once; every view that takes
POST carries it."""

import json
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django.urls import URLPattern, get_resolver
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView

from billing.models import UsageCounter
from escrows.models import Escrow
from loginexus.accounts.models import Invitation
from loginexus.idempotency.api import Idempotent
from loginexus.idempotency.models import IdempotentRequest
from loginexus.idempotency.services import idempotent_requests_purge
from loginexus.tenancy.selectors import tenant_host
from shipments.models import Shipment
from tests.billing.helpers import clear_faults, fault
from tests.conftest import admin_of, make_escrow
from tests.integrators.conftest import key_client, new_key

SHIPMENT = {"reference": "IDEM-1", "origin": "Rotterdam", "destination": "Hamburg",
            "carrier": "DHL", "weight_kg": "12.500"}  # fmt: skip


def post(client, path, body=None, key="key-1", **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        path, json.dumps(body or {}), content_type="application/json", **headers, **extra
    )


def shipments_of(tenant, **lookup) -> int:
    with schema_context(tenant.schema_name):
        return Shipment.objects.filter(**lookup).count()


def shipments_counted(tenant) -> int:
    return sum(
        UsageCounter.objects.filter(tenant=tenant, resource="shipments").values_list(
            "used", flat=True
        )
    )


@pytest.mark.django_db
def test_a_replay_answers_the_first_answer_and_creates_nothing(admin_client_a, tenant_a):
    first = post(admin_client_a, "/api/v1/shipments/", SHIPMENT)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    counted = shipments_counted(tenant_a)
    again = post(admin_client_a, "/api/v1/shipments/", SHIPMENT)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"]
    assert again.content == first.content
    assert shipments_of(tenant_a, reference="IDEM-1") == 1
    assert shipments_counted(tenant_a) == counted
    # Without the header, the same body is a new request (and a duplicate reference).
    assert post(admin_client_a, "/api/v1/shipments/", SHIPMENT, key=None).status_code == 400


@pytest.mark.django_db
def test_the_same_data_in_another_order_or_spacing_is_the_same_request(admin_client_a, tenant_a):
    post(admin_client_a, "/api/v1/shipments/", SHIPMENT)
    reordered = json.dumps(dict(reversed(list(SHIPMENT.items()))), indent=2)
    again = admin_client_a.post(
        "/api/v1/shipments/",
        reordered,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_the_same_key_with_another_body_or_path_answers_409(admin_client_a, tenant_a):
    assert post(admin_client_a, "/api/v1/shipments/", SHIPMENT).status_code == 201
    for path, body in [
        ("/api/v1/shipments/", {**SHIPMENT, "reference": "IDEM-2"}),
        ("/api/v1/invitations/", {"email": "someone@alpha.example"}),
    ]:
        reused = post(admin_client_a, path, body)
        assert reused.status_code == 409
        assert reused.json()["code"] == "idempotency_key_reused"
    assert shipments_of(tenant_a, reference="IDEM-2") == 0
    with schema_context(tenant_a.schema_name):
        assert not Invitation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "k" * 256, "tab\there"])
def test_a_key_that_is_empty_too_long_or_unprintable_answers_400(admin_client_a, tenant_a, key):
    response = post(admin_client_a, "/api/v1/shipments/", SHIPMENT, key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert shipments_of(tenant_a, reference="IDEM-1") == 0


@pytest.mark.django_db
def test_a_key_of_255_characters_is_fine(admin_client_a):
    assert post(admin_client_a, "/api/v1/shipments/", SHIPMENT, key="k" * 255).status_code == 201


@pytest.mark.django_db
def test_error_answers_are_kept_too(admin_client_a, tenant_a):
    invalid = {**SHIPMENT, "weight_kg": "0"}
    first = post(admin_client_a, "/api/v1/shipments/", invalid)
    assert first.status_code == 400
    again = post(admin_client_a, "/api/v1/shipments/", invalid)
    assert again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


@pytest.mark.django_db
def test_an_escrow_action_replayed_moves_the_escrow_once(admin_client_a, tenant_a):
    escrow = make_escrow(tenant_a)
    path = f"/api/v1/escrows/{escrow.pk}/fund/"
    first = post(admin_client_a, path, key="fund-1")
    assert first.status_code == 200
    again = post(admin_client_a, path, key="fund-1")
    assert (again.status_code, again.json()) == (200, first.json())
    assert post(admin_client_a, path, key="fund-2").status_code == 409  # a new request: illegal
    with schema_context(tenant_a.schema_name):
        assert Escrow.objects.get(pk=escrow.pk).events.count() == 2  # opened, funded


@pytest.mark.django_db
def test_an_invitation_replayed_is_sent_once(admin_client_a, tenant_a, mailbox):
    body = {"email": "colleague@firm.example"}
    assert post(admin_client_a, "/api/v1/invitations/", body).status_code == 201
    assert post(admin_client_a, "/api/v1/invitations/", body).status_code == 201
    with schema_context(tenant_a.schema_name):
        assert Invitation.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_credential_and_shared_by_a_users_session_and_token(admin_client_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        token = Token.objects.get_or_create(user=admin_of(tenant_a))[0].key
    by_token = Client(
        HTTP_HOST=tenant_host(slug=tenant_a.slug), HTTP_AUTHORIZATION=f"Token {token}"
    )
    _, api_key = new_key(tenant_a)
    by_key = key_client(tenant_a, api_key)

    assert post(admin_client_a, "/api/v1/shipments/", SHIPMENT).status_code == 201
    assert post(by_token, "/api/v1/shipments/", SHIPMENT)["Idempotent-Replayed"] == "true"
    other = {**SHIPMENT, "reference": "IDEM-KEY"}
    by_api_key = post(by_key, "/api/v1/shipments/", other)
    assert by_api_key.status_code == 201  # the same Idempotency-Key, another credential
    assert "Idempotent-Replayed" not in by_api_key
    assert post(by_key, "/api/v1/shipments/", other)["Idempotent-Replayed"] == "true"
    assert shipments_of(tenant_a, reference__startswith="IDEM") == 2


@pytest.mark.django_db
def test_keys_are_per_workspace(admin_client_a, tenant_a, tenant_b, client_b):
    from tests.conftest import logged_in

    admin_b = logged_in(client_b, tenant_b, admin_of(tenant_b))
    assert admin_of(tenant_a).pk == admin_of(tenant_b).pk  # the same credential name in each
    assert post(admin_client_a, "/api/v1/shipments/", SHIPMENT).status_code == 201
    on_b = post(admin_b, "/api/v1/shipments/", {**SHIPMENT, "reference": "IDEM-B"})
    assert on_b.status_code == 201
    assert "Idempotent-Replayed" not in on_b


@pytest.mark.django_db
def test_a_key_is_kept_24_hours(admin_client_a, tenant_a):
    assert post(admin_client_a, "/api/v1/shipments/", SHIPMENT).status_code == 201
    with schema_context(tenant_a.schema_name):
        IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    fresh = post(admin_client_a, "/api/v1/shipments/", {**SHIPMENT, "reference": "IDEM-LATER"})
    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh
    with schema_context(tenant_a.schema_name):
        IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
        assert idempotent_requests_purge() == 1
        assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_anonymous_requests_are_not_kept(client_a, tenant_a):
    response = post(client_a, "/api/v1/shipments/", SHIPMENT)
    assert response.status_code == 401
    with schema_context(tenant_a.schema_name):
        assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_a_server_error_is_not_kept_so_the_client_may_retry(
    admin_client_a, tenant_a, sim, stripe_module
):
    from billing.stripe.catalog import plans_sync

    plans_sync()
    body = {"plan": "pro", "interval": "month"}
    fault(sim, "500")
    try:
        down = post(admin_client_a, "/api/v1/billing/checkout/", body, key="checkout-1")
    finally:
        clear_faults(sim)
    assert down.status_code == 503
    with schema_context(tenant_a.schema_name):
        assert not IdempotentRequest.objects.exists()
    retried = post(admin_client_a, "/api/v1/billing/checkout/", body, key="checkout-1")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    again = post(admin_client_a, "/api/v1/billing/checkout/", body, key="checkout-1")
    assert (again.status_code, again.json()) == (201, retried.json())


def test_every_view_that_takes_post_carries_idempotency():
    """A new POST endpoint without the mixin fails here (the token endpoint reads no
    credential: there is nobody to keep a key for)."""

    def views(patterns):
        for entry in patterns:
            if isinstance(entry, URLPattern):
                yield entry
            else:
                yield from views(entry.url_patterns)

    missing = []
    for entry in views(get_resolver("loginexus.urls_tenant").url_patterns):
        view_class = getattr(entry.callback, "cls", None)
        if view_class is None or not issubclass(view_class, APIView):
            continue
        actions = getattr(entry.callback, "actions", None)
        takes_post = "post" in actions if actions else hasattr(view_class, "post")
        if (
            takes_post
            and view_class.authentication_classes
            and not issubclass(view_class, Idempotent)
        ):
            missing.append(f"{entry.pattern} ({view_class.__name__})")
    assert not missing, missing


def test_concurrent_requests_with_one_key_create_one_shipment(committed_tenant):
    """Eight clients send one create with one key at once, on real connections: one runs, the
    others wait for it and answer its answer."""
    with schema_context(committed_tenant.schema_name):
        token = Token.objects.create(user=get_user_model().objects.get()).key
    host = tenant_host(slug=committed_tenant.slug)
    senders = 8
    barrier = threading.Barrier(senders)
    answers: list[tuple[int, bytes, bool]] = []
    lock = threading.Lock()

    def send() -> None:
        client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            response = post(client, "/api/v1/shipments/", SHIPMENT, key="race")
            with lock:
                answers.append(
                    (response.status_code, response.content, "Idempotent-Replayed" in response)
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == senders
    assert {status for status, _, _ in answers} == {201}
    assert len({content for _, content, _ in answers}) == 1
    assert sum(not replayed for _, _, replayed in answers) == 1
    assert shipments_of(committed_tenant) == 1
    assert shipments_counted(committed_tenant) == 1
