"""bench/topology.py's Locust workload: each simulated user is a tenant's admin (one tenant each,
round robin) listing shipments, creating them, moving them along their statuses, opening the
billing page, and changing its Stripe customer in the simulator, which sends the webhook to the
balancer. Every request is written, one JSON line each, to BENCH_TOPOLOGY_REQUESTS; every
answered create to BENCH_TOPOLOGY_CREATES, for the invariants."""

import itertools
import json
import os
import time
import uuid

from locust import HttpUser, constant_throughput, events, task

TENANTS = json.loads(open(os.environ["BENCH_TOPOLOGY_TENANTS"]).read())  # noqa: SIM115
SIMULATOR = os.environ["BENCH_TOPOLOGY_SIMULATOR"]
STRIPE_KEY = os.environ["BENCH_TOPOLOGY_STRIPE_KEY"]
REQUESTS_PER_USER_SECOND = float(os.environ.get("BENCH_TOPOLOGY_USER_RATE", "1"))
NEXT_STATUS = {"draft": "booked", "booked": "in_transit", "in_transit": "delivered"}
# Answers that are the product working: a plan's limit reached (402).
EXPECTED = {402}

_requests = open(os.environ["BENCH_TOPOLOGY_REQUESTS"], "a", buffering=1)  # noqa: SIM115
_creates = open(os.environ["BENCH_TOPOLOGY_CREATES"], "a", buffering=1)  # noqa: SIM115
_next_tenant = itertools.cycle(TENANTS)


@events.request.add_listener
def _record(request_type, name, response_time, response, exception, start_time=None, **_kw):
    status = getattr(response, "status_code", 0) or 0
    line = {"at": start_time or time.time(), "name": name, "ms": response_time, "status": status,
            "error": exception is not None}  # fmt: skip
    _requests.write(json.dumps(line) + "\n")


class TenantAdmin(HttpUser):
    wait_time = constant_throughput(REQUESTS_PER_USER_SECOND)

    def on_start(self) -> None:
        self.tenant = next(_next_tenant)
        self.api = {"Host": self.tenant["host"], "Authorization": f"Token {self.tenant['token']}"}
        self.shipments: dict[int, str] = {}

    def _checked(self, answer, *ok: int) -> None:
        if answer.status_code in ok or answer.status_code in EXPECTED:
            answer.success()
        else:
            answer.failure(f"{answer.status_code}: {answer.text[:200]}")

    @task(4)
    def shipments_list(self) -> None:
        with self.client.get(
            "/api/v1/shipments/", headers=self.api, name="list shipments", catch_response=True
        ) as answer:
            self._checked(answer, 200)

    @task(3)
    def shipment_create(self) -> None:
        key = str(uuid.uuid4())
        body = {"reference": key[:12], "origin": "Hamburg", "destination": "Lyon",
                "carrier": "Rail", "weight_kg": "12.5"}  # fmt: skip
        headers = {**self.api, "Idempotency-Key": key}
        with self.client.post(
            "/api/v1/shipments/", json=body, headers=headers, name="create shipment",
            catch_response=True,
        ) as answer:  # fmt: skip
            self._checked(answer, 201)
            if answer.status_code == 201:
                shipment = answer.json()
                self.shipments[shipment["id"]] = shipment["status"]
                line = {"schema": self.tenant["schema"], "id": shipment["id"], "key": key}
                _creates.write(json.dumps(line) + "\n")

    @task(2)
    def shipment_transition(self) -> None:
        movable = [pk for pk, status in self.shipments.items() if status in NEXT_STATUS]
        if not movable:
            return
        pk = movable[0]
        to_status = NEXT_STATUS[self.shipments[pk]]
        # With the key the balancer may repeat the change on another node when the one that
        # had it died: setting a status twice is refused (409), never applied twice.
        headers = {**self.api, "Idempotency-Key": str(uuid.uuid4())}
        with self.client.patch(
            f"/api/v1/shipments/{pk}/", json={"status": to_status}, headers=headers,
            name="change shipment status", catch_response=True,
        ) as answer:  # fmt: skip
            self._checked(answer, 200)
            if answer.status_code == 200:
                self.shipments[pk] = to_status

    @task(1)
    def billing_page(self) -> None:
        with self.client.get(
            "/billing/", headers={"Host": self.tenant["host"]},
            cookies={"sessionid": self.tenant["session"]}, name="billing page",
            catch_response=True, allow_redirects=False,
        ) as answer:  # fmt: skip
            self._checked(answer, 200)

    @task(1)
    def stripe_customer_change(self) -> None:
        """A change in Stripe (the simulator), whose customer.updated webhook it delivers."""
        with self.client.post(
            f"{SIMULATOR}/v1/customers/{self.tenant['customer']}",
            data={"metadata[bench_change]": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {STRIPE_KEY}"},
            name="Stripe customer change", catch_response=True,
        ) as answer:  # fmt: skip
            self._checked(answer, 200)
