"""The workspace a host names, kept a second per process (loginexus/tenancy/resolution.py): one
lookup for many requests, a change seen within the second, and at once where it was made."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loginexus.tenancy.models import Domain, Tenant
from loginexus.tenancy.resolution import TenantsByHost, tenants_by_host

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def domain_lookups(queries) -> int:
    return sum('FROM "tenancy_domain"' in query["sql"] for query in queries.captured_queries)


@pytest.fixture
def kept_a_second(settings):
    settings.TENANT_HOST_CACHE_SECONDS = 1.0
    tenants_by_host.clear()
    yield
    tenants_by_host.clear()


def test_many_requests_to_a_host_look_it_up_once(kept_a_second, client_a):
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert client_a.get("/healthz/").status_code == 200
    assert domain_lookups(queries) == 1


def test_a_change_is_seen_within_the_second_and_unknown_hosts_are_not_kept(tenant_a):
    clock = Clock()
    hosts = TenantsByHost(ttl=1.0, clock=clock)
    host = Domain.objects.filter(tenant=tenant_a).first().domain

    def load(hostname):
        return Domain.objects.select_related("tenant").get(domain=hostname).tenant

    assert hosts.get(host, load).name == tenant_a.name
    Tenant.objects.filter(pk=tenant_a.pk).update(name="Renamed")  # no signal: another process
    clock.now += 0.5
    assert hosts.get(host, load).name == tenant_a.name
    clock.now += 0.6
    assert hosts.get(host, load).name == "Renamed"
    with pytest.raises(Domain.DoesNotExist):
        hosts.get("nobody.localhost", load)
    assert "nobody.localhost" not in hosts._entries


def test_a_deleted_domain_is_gone_at_once_in_the_process_that_deleted_it(
    kept_a_second, client_a, tenant_a
):
    assert client_a.get("/healthz/").status_code == 200
    Domain.objects.filter(tenant=tenant_a).delete()
    assert client_a.get("/healthz/").status_code == 404


def test_each_request_gets_its_own_copy_of_the_tenant(kept_a_second, tenant_a):
    host = Domain.objects.filter(tenant=tenant_a).first().domain

    def load(hostname):
        return Domain.objects.select_related("tenant").get(domain=hostname).tenant

    first = tenants_by_host.get(host, load)
    first.name = "Changed by one request"
    assert tenants_by_host.get(host, load).name == tenant_a.name
