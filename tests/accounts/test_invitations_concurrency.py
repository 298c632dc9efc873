"""16 admins invite at once on real PostgreSQL connections at a Free tenant's seat boundary:
pending invitations hold seats, and the seat check lets exactly the free seats through."""

import threading

from django.db import connections
from django_tenants.utils import schema_context

from billing.exceptions import PlanLimitExceeded
from loginexus.accounts.invitations import invitation_create
from loginexus.accounts.models import Invitation, Role
from tests.conftest import admin_of

INVITERS = 16


def test_concurrent_invitations_at_the_seat_boundary_never_pass_it(committed_tenant):
    """Free: 3 seats, the admin holds one; 16 admins' invitations at once leave exactly two."""
    admin = admin_of(committed_tenant)
    barrier = threading.Barrier(INVITERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def send(number: int) -> None:
        try:
            barrier.wait()
            with schema_context(committed_tenant.schema_name):
                invitation_create(
                    email=f"race-{number}@firm.example", role=Role.MEMBER, invited_by=admin
                )
            outcome = "invited"
        except PlanLimitExceeded:
            outcome = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(INVITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("invited") == 2
    assert outcomes.count("refused") == INVITERS - 2
    with schema_context(committed_tenant.schema_name):
        assert Invitation.objects.count() == 2
