"""Which workspace a host names, looked up once a second per process instead of on every request
(the domain lookup was a query of every page, API call and Stripe webhook).

A change is seen within TENANT_HOST_CACHE_SECONDS (1 s) by every process, and at once by the
process that made it (a saved or deleted tenant or domain empties its cache). Unknown hosts are
not remembered, so a workspace is reachable the moment its domain is committed. Each request gets
its own copy of the tenant, so nothing one request sets on it reaches another.
"""

import copy
import threading
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django_tenants.middleware.main import TenantMainMiddleware

SIZE = 4096


class TenantsByHost:
    def __init__(self, ttl: float | None = None, size: int = SIZE, clock=time.monotonic) -> None:
        self._ttl, self.size, self.clock = ttl, size, clock
        self._entries: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    @property
    def ttl(self) -> float:
        return settings.TENANT_HOST_CACHE_SECONDS if self._ttl is None else self._ttl

    def get(self, hostname: str, load):
        now = self.clock()
        with self._lock:
            entry = self._entries.get(hostname)
        if entry is None or now - entry[0] >= self.ttl:
            tenant = load(hostname)  # raises DoesNotExist for an unknown host: not kept
            with self._lock:
                if len(self._entries) >= self.size:
                    self._entries.clear()
                self._entries[hostname] = (now, tenant)
        else:
            tenant = entry[1]
        return copy.copy(tenant)

    def clear(self, **_) -> None:
        with self._lock:
            self._entries.clear()


tenants_by_host = TenantsByHost()


class CachedTenantMainMiddleware(TenantMainMiddleware):
    """django-tenants' middleware, with the host's tenant from `tenants_by_host`."""

    def get_tenant(self, domain_model, hostname):
        load = super().get_tenant
        return tenants_by_host.get(hostname, lambda host: load(domain_model, host))


def _connect() -> None:
    from loginexus.tenancy.models import Domain, Tenant

    for model in (Tenant, Domain):
        post_save.connect(tenants_by_host.clear, sender=model, dispatch_uid=f"hosts-{model}-s")
        post_delete.connect(tenants_by_host.clear, sender=model, dispatch_uid=f"hosts-{model}-d")
