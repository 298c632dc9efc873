"""Pages of a tenant host about shipments; for now the dashboard."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.shortcuts import render


@login_required
def dashboard(request):
    return render(request, "shipments/dashboard.html", {"tenant": connection.tenant})
