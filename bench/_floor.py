"""The floor of an API create, served by gunicorn beside the product (bench/request_path.py): a
bare Django view that makes the create's INSERT through the ORM (the plan-limit check riding in
it, as in the product) in the schema of the tenant BENCH_FLOOR_SLUG names, with no middleware,
authentication, serializer or audit."""

import json
import os
from decimal import Decimal
from functools import cache

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loginexus.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from loginexus.tenancy.models import Tenant  # noqa: E402
from shipments.models import Shipment  # noqa: E402


@cache
def _tenant() -> Tenant:
    return Tenant.objects.get(slug=os.environ["BENCH_FLOOR_SLUG"])


@csrf_exempt
def shipment_create(request):
    fields = json.loads(request.body)
    connection.set_tenant(_tenant())
    shipment = Shipment(**{**fields, "weight_kg": Decimal(fields["weight_kg"])})
    shipment.save()
    return JsonResponse({"id": shipment.pk}, status=201)


urlpatterns = [path("api/v1/shipments/", shipment_create)]
settings.MIDDLEWARE = []
settings.ROOT_URLCONF = __name__
application = WSGIHandler()
