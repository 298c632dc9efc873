"""CSV export: memory stays flat however many rows are exported. In one run, on one fresh
database: a workspace with BENCH_EXPORT_ROWS shipments (default 100,000); the API export read to
the end through Django's test client for a tenth of them and for all of them, with the peak of
Python's allocations (tracemalloc) and the time of each, side by side; then the same rows built
into one list by the ORM, the way a non-streamed export would, for comparison."""

import os
import time
import tracemalloc
from datetime import timedelta

from _broker import purge_queued_tasks_at_exit
from _database import use_fresh_database

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "100000"))
PASSWORD = "a-long-enough-passphrase"

use_fresh_database("bench_csv_export")
purge_queued_tasks_at_exit()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from billing.models import Entitlement  # noqa: E402
from loginexus.tenancy.services import public_tenant_ensure, tenant_provision  # noqa: E402
from shipments.models import Shipment  # noqa: E402


def read(client: Client, path: str) -> int:
    response = client.get(path)
    return sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1


def exported(client: Client, path: str) -> tuple[int, float, float]:
    """Rows read, seconds (untraced), and the peak MiB allocated in a second, traced read."""
    started = time.perf_counter()
    rows = read(client, path)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    read(client, path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, seconds, peak / 2**20


def main() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=quiet)
    public_tenant_ensure()
    tenant = tenant_provision(
        company="Export", slug="export", admin_email="a@export.example",
        admin_password=PASSWORD, owner_verified=True,
    )  # fmt: skip
    now = timezone.now()
    Entitlement.objects.create(  # Enterprise: no limit on shipments
        tenant=tenant, subscribed_plan="enterprise", status="active", interval="month",
        period_start=now - timedelta(days=3), period_end=now + timedelta(days=27),
        stripe_customer_id="cus_bench", stripe_subscription_id="sub_bench",
    )  # fmt: skip
    with schema_context(tenant.schema_name):
        Shipment.objects.bulk_create(
            (
                Shipment(reference=f"EXP-{n:06d}", origin="Rotterdam", destination="Hamburg",
                         carrier="Maersk", weight_kg="120.000")
                for n in range(ROWS)
            ),
            batch_size=5000,
        )  # fmt: skip
        client = Client(HTTP_HOST="export.localhost")
        client.force_login(get_user_model().objects.get(email="a@export.example"))
    connection.set_schema_to_public()
    read(client, "/api/v1/shipments/export/?search=none")  # warm: imports, URL conf, caches
    tenth = exported(client, "/api/v1/shipments/export/?search=EXP-00")  # 10,000 of 100,000
    whole = exported(client, "/api/v1/shipments/export/")
    with schema_context(tenant.schema_name):
        tracemalloc.start()
        built = list(Shipment.objects.values_list("id", "reference", "origin", "destination"))
        _, list_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        list_peak /= 2**20
    print(f"CSV export of shipments: {whole[0]:,} rows in the workspace")
    print(f"  {'':32} {'rows':>9} {'peak MiB':>9} {'seconds':>8}")
    for label, (rows, seconds, peak) in (("streamed, a part", tenth), ("streamed, all", whole)):
        print(f"  {label:32} {rows:>9,} {peak:>9.1f} {seconds:>8.2f}")
    print(f"  {'one list of 4 columns (ORM)':32} {len(built):>9,} {list_peak:>9.1f}")
    print(
        f"  peak memory, all / part: {whole[2] / tenth[2]:.2f}x for "
        f"{whole[0] / max(tenth[0], 1):.1f}x the rows (flat: goal about 1x); the list would "
        f"take {list_peak / whole[2]:.0f}x the streamed peak"
    )


if __name__ == "__main__":
    main()
