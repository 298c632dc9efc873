"""The REST API fuzzed from its own OpenAPI document (schemathesis) on the live server, as a
tenant admin, as a member and with a workspace API key of every scope: no answer is a server
error, and every answer matches the document (status, content type, body schema, headers)."""

from dataclasses import dataclass

import pytest
import schemathesis
import stripe
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from django.urls import set_urlconf
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from billing.simulator import DEMO_SECRET_KEY
from tests.live_fixtures import LIVE_PASSWORD

EXAMPLES = 25  # per operation and role


def _document() -> dict:
    """The document tenant hosts serve at /api/schema/, made in process at collection time."""
    set_urlconf("loginexus.urls_tenant")
    try:
        return SchemaGenerator(urlconf="loginexus.urls_tenant").get_schema(public=True)
    finally:
        set_urlconf(None)


API = schemathesis.openapi.from_dict(_document())


@dataclass(frozen=True)
class FuzzSite:
    base_url: str
    authorizations: dict[str, str]


@pytest.fixture(scope="module")
def fuzz_site(web_server, stripe_simulator, django_db_blocker):
    """One committed tenant with an admin, a member, their tokens and some data; Stripe is the
    simulator. Dropped, with billing data, at the end of the module.

    The tenant also answers on 127.0.0.1 (a second domain), so that every request the fuzzer
    makes, including those it repeats without credentials, reaches it by URL alone."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from billing.stripe.catalog import plans_sync
    from escrows.services import escrow_create
    from loginexus.apikeys.models import Scope
    from loginexus.apikeys.services import api_key_create
    from loginexus.tenancy.models import Domain
    from loginexus.tenancy.services import tenant_provision
    from shipments.services import shipment_create
    from tests.live_fixtures import _purge_billing_data

    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = (
        DEMO_SECRET_KEY, stripe_simulator.url, 0,
    )  # fmt: skip
    with django_db_blocker.unblock():
        stripe_simulator.reset()
        plans_sync()
        tenant = tenant_provision(
            company="Fuzz Freight", slug="fuzz", admin_email="admin@fuzz.example",
            admin_password=LIVE_PASSWORD,
        owner_verified=True,
        )  # fmt: skip
        Domain.objects.create(domain="127.0.0.1", tenant=tenant, is_primary=False)
        with schema_context(tenant.schema_name):
            admin = get_user_model().objects.get(email="admin@fuzz.example")
            member = get_user_model().objects.create_user(
                "member@fuzz.example", LIVE_PASSWORD, role="member"
            )
            shipment = shipment_create(
                reference="FZ-1", origin="A", destination="B", carrier="C", weight_kg="1"
            )
            escrow_create(shipment=shipment, buyer="B", seller="S", amount="10", currency="EUR")
            api_key = api_key_create(name="Fuzz", scopes=list(Scope.values), created_by=admin).key
            authorizations = {
                "admin": f"Token {Token.objects.create(user=admin).key}",
                "member": f"Token {Token.objects.create(user=member).key}",
                "api_key": f"Bearer {api_key}",
            }
        connection.set_schema_to_public()
        port = web_server.rsplit(":", 1)[1]
        with override_settings(
            ALLOWED_HOSTS=[*django_settings.ALLOWED_HOSTS, "127.0.0.1"],
            API_KEY_RATE="100000/m",  # the key's 429 has its own test
        ):
            yield FuzzSite(f"http://127.0.0.1:{port}", authorizations)
        connection.set_schema_to_public()
        tenant.delete(force_drop=True)
        _purge_billing_data()
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@pytest.mark.parametrize("role", ["member", "admin", "api_key"])
@API.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_by_its_document_and_never_with_a_server_error(case, role, fuzz_site):
    response = case.call(
        base_url=fuzz_site.base_url,
        headers={"Authorization": fuzz_site.authorizations[role]},
        timeout=15,
    )
    assert response.status_code < 500, response.text
    # Every check but one: "schema-valid data is accepted" cannot hold where validity depends
    # on data no schema states (a shipment id that exists, a password that matches, a currency
    # that is still in use).
    case.validate_response(response, excluded_checks=[checks.positive_data_acceptance])
