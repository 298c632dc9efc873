"""The platform admin's home and sidebar in the order staff work: workspaces (tenants),
billing (Stripe's webhooks and the platform metrics), people, then dj-stripe's synced copies
in one read-only section at the bottom, instead of Django's alphabetical list with Stripe's
forty models first."""

from types import MethodType

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Sections in the order shown; an app not named here comes before the Stripe section.
SECTIONS = (
    ("tenancy", _("Workspaces")),  # not "Tenants": the model row below has that name
    ("billing", _("Billing")),
    ("accounts", _("People and sign-in")),
    ("djstripe", _("Stripe (synced copies, read-only)")),
)
# Apps whose models are listed in the accounts section ("People and sign-in").
PEOPLE_APPS = ("auth", "account", "mfa", "socialaccount")


def _metrics_row() -> dict:
    return {
        "name": _("Platform metrics"),
        "object_name": "PlatformMetrics",
        "admin_url": reverse("platform-metrics"),
        "add_url": None,
        "view_only": True,
        "perms": {"view": True},
    }


def ordered_app_list(site: AdminSite, request, app_label=None) -> list[dict]:
    """Django's list for one app's page; for the home and the sidebar, the sections above."""
    if app_label is not None:
        return AdminSite.get_app_list(site, request, app_label)
    apps = {app["app_label"]: app for app in AdminSite.get_app_list(site, request)}
    people = apps.get("accounts")
    for label in PEOPLE_APPS:
        app = apps.get(label)
        if app is None:
            continue
        if people is None:
            people = apps["accounts"] = {**app, "app_label": "accounts"}
        else:
            people["models"] = [*people["models"], *app["models"]]
        del apps[label]
    if request.user.is_active and request.user.is_staff:
        billing = apps.get("billing")
        if billing is None:
            apps["billing"] = {
                "name": "",
                "app_label": "billing",
                "app_url": reverse("platform-metrics"),
                "has_module_perms": True,
                "models": [_metrics_row()],
            }
        else:
            billing["models"] = [*billing["models"], _metrics_row()]
    if "tenancy" in apps:  # the tenants before their domains
        apps["tenancy"]["models"].sort(key=lambda row: row["object_name"] != "Tenant")
    ordered = []
    names = dict(SECTIONS)
    for label, _name in SECTIONS[:-1]:
        if label in apps:
            ordered.append({**apps.pop(label), "name": names[label]})
    stripe = apps.pop("djstripe", None)
    ordered.extend(apps.values())
    if stripe is not None:
        ordered.append({**stripe, "name": names["djstripe"]})
    return ordered


def install(site: AdminSite = admin.site) -> None:
    site.get_app_list = MethodType(ordered_app_list, site)
