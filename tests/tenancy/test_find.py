"""Find my workspace (public host): always the same answer, and the list goes only to the address
asked about, naming the workspaces where it has an active account."""

import json

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from loginexus.mail.models import OutgoingEmail
from loginexus.tenancy.services import workspaces_find_send
from tests.conftest import tenant_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks(settings):
    from loginexus.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def find(client, email: str, **extra):
    return client.post(
        "/api/v1/workspaces/find/",
        json.dumps({"email": email}),
        content_type="application/json",
        **extra,
    )


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(
    public_client, tenant_a, eager_tasks, django_capture_on_commit_callbacks
):
    tenant_user(tenant_a, email="known@firm.example")
    with django_capture_on_commit_callbacks(execute=True):
        known = find(public_client, "known@firm.example")
        unknown = find(public_client, "nobody@firm.example")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    # Only the known address gets an email; the unknown one gets nothing at all.
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [["known@firm.example"]]


def test_the_email_lists_every_workspace_where_the_address_is_active(
    db, tenant_a, tenant_b, mailbox
):
    tenant_user(tenant_a, email="both@firm.example")
    gone = tenant_user(tenant_b, email="both@firm.example")
    assert workspaces_find_send(email="Both@Firm.example") is True
    (email,) = OutgoingEmail.objects.all()
    assert "Alpha Freight: http://alpha.localhost:8000/accounts/login/" in email.text
    assert "Bravo Freight" in email.text

    OutgoingEmail.objects.all().delete()
    with schema_context(tenant_b.schema_name):
        get_user_model().objects.filter(pk=gone.pk).update(is_active=False)
    assert workspaces_find_send(email="both@firm.example") is True
    (email,) = OutgoingEmail.objects.all()
    assert "Alpha Freight" in email.text
    assert "Bravo Freight" not in email.text


def test_an_address_with_no_active_account_is_sent_nothing(db, tenant_a):
    assert workspaces_find_send(email="stranger@firm.example") is False
    assert not OutgoingEmail.objects.exists()


def test_a_bad_address_is_a_field_error(public_client):
    answer = find(public_client, "not-an-address")
    assert answer.status_code == 400
    assert list(answer.json()) == ["email"]


def test_asking_is_throttled_per_address_asked_about_and_per_client(public_client, settings):
    settings.FIND_RATE_PER_EMAIL = "2/h"
    answers = [
        find(public_client, "flood@firm.example", REMOTE_ADDR=f"10.5.0.{n}") for n in (1, 2, 3)
    ]
    assert [answer.status_code for answer in answers] == [202, 202, 429]
    settings.FIND_RATE_PER_IP = "2/h"
    answers = [
        find(public_client, f"other-{n}@firm.example", REMOTE_ADDR="10.5.1.1") for n in (1, 2, 3)
    ]
    assert [answer.status_code for answer in answers] == [202, 202, 429]


def test_the_find_page_says_where_the_list_went(public_client, tenant_a):
    assert public_client.get("/find/").status_code == 200
    page = public_client.post("/find/", {"email": "known@firm.example"})
    assert page.status_code == 202
    assert "we have emailed it the list of its workspaces" in page.content.decode()
