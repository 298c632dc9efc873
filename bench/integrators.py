"""Integrators: what an API create costs with a workspace API key and an Idempotency-Key, next to
a plain create with a user's token.

In one run, on one fresh database (migrated as in production), on an Enterprise tenant: N
shipments created through the REST API (Django's test client) each way, in pairs whose order
alternates, so both ways meet the same database and process state: (a) `Authorization: Bearer
<API key>` with a new `Idempotency-Key` on each create (authentication by key, its rate limit
in Redis, the key claimed and the answer stored in the create's transaction), (b) `Authorization:
Token <token>` without the header. Then N replays of (a)'s keys, which create nothing.
BENCH_INTEGRATOR_CREATES (default 300) sets N.
"""

import gc
import json
import os
import statistics
import time
import uuid

from _broker import purge_queued_tasks_at_exit
from _database import use_fresh_database

N = int(os.environ.get("BENCH_INTEGRATOR_CREATES", "300"))

use_fresh_database("bench_integrators")
purge_queued_tasks_at_exit()

from _tenants import bench_tenant  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from loginexus.apikeys.models import Scope  # noqa: E402
from loginexus.apikeys.services import api_key_create  # noqa: E402
from loginexus.tenancy.services import public_tenant_ensure  # noqa: E402
from shipments.models import Shipment  # noqa: E402

BODY = {"origin": "A", "destination": "B", "carrier": "C", "weight_kg": "1"}


def clients(tenant) -> tuple[Client, Client]:
    with tenant_context(tenant):
        admin = get_user_model().objects.get()
        token = Token.objects.create(user=admin).key
        key = api_key_create(name="Bench", scopes=list(Scope.values), created_by=admin).key
    host = f"{tenant.slug}.localhost"
    return (
        Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {key}"),
        Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}"),
    )


def create(client: Client, reference: str, **headers) -> float:
    body = json.dumps({**BODY, "reference": reference})
    started = time.perf_counter()
    response = client.post("/api/v1/shipments/", body, content_type="application/json", **headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.content
    return elapsed


def paired(by_key: Client, by_token: Client) -> tuple[list[float], list[float], list[str]]:
    keyed, plain, keys = [], [], []
    gc.collect()
    gc.disable()
    try:
        for number in range(N):
            key = str(uuid.uuid4())
            keys.append(key)
            runs = [
                (keyed, by_key, f"K{number}", {"HTTP_IDEMPOTENCY_KEY": key}),
                (plain, by_token, f"T{number}", {}),
            ]
            for times, client, reference, headers in runs if number % 2 == 0 else reversed(runs):
                times.append(create(client, reference, **headers))
    finally:
        gc.enable()
    return keyed, plain, keys


def replays(by_key: Client, keys: list[str]) -> list[float]:
    return [
        create(by_key, f"K{number}", HTTP_IDEMPOTENCY_KEY=key) for number, key in enumerate(keys)
    ]


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=quiet)
    public_tenant_ensure()
    tenant = bench_tenant("bench-keys", plan="enterprise")
    by_key, by_token = clients(tenant)
    with override_settings(API_KEY_RATE=f"{10 * N}/m"):
        create(by_key, "WARM-K", HTTP_IDEMPOTENCY_KEY="warm")
        create(by_token, "WARM-T")
        keyed, plain, keys = paired(by_key, by_token)
        replayed = replays(by_key, keys)
    with tenant_context(tenant):
        assert Shipment.objects.count() == 2 * N + 2  # the replays created nothing

    ratio = statistics.median(keyed) / statistics.median(plain)
    print(f"integrators: {N} API creates each way, one database")
    print(f"  API create, API key + Idempotency-Key / token:  {ms(keyed):.3f} / {ms(plain):.3f} ms,"
          f" ratio {ratio:.2f} (goal <= 1.10); the key and the header add"
          f" {ms(keyed) - ms(plain):.3f} ms")  # fmt: skip
    print(f"  replay of a create (same key and body):          {ms(replayed):.3f} ms"
          " (creates nothing)")  # fmt: skip


if __name__ == "__main__":
    main()
