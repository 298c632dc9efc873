"""Billing URLs of a tenant host: pages under /billing/, API under /api/v1/billing/."""

from django.urls import path

from billing import api, views
from billing.overage import views as overage_views
from billing.plan_changes import api as plan_changes_api
from billing.trials import api as trials_api
from billing.trials import views as trials_views

app_name = "billing"

urlpatterns = [
    path("", views.billing_overview, name="overview"),
    path("pricing/", views.pricing, name="pricing"),
    path("checkout/", views.checkout, name="checkout"),
    path("change/", views.change_plan, name="change"),
    path("cancel/", views.cancel, name="cancel"),
    path("resume/", views.resume, name="resume"),
    path("portal/", views.portal, name="portal"),
    path("success/", views.success, name="success"),
    path("canceled/", views.canceled, name="canceled"),
    path("trial/", trials_views.trial, name="trial"),
    path("overage/", overage_views.overage, name="overage"),
]

api_urlpatterns = [
    path("", api.BillingStateApi.as_view(), name="api-billing"),
    path("plans/", api.PlansApi.as_view(), name="api-billing-plans"),
    path("checkout/", api.CheckoutApi.as_view(), name="api-billing-checkout"),
    path("change-plan/", plan_changes_api.ChangePlanApi.as_view(), name="api-billing-change-plan"),
    path(
        "change-plan/preview/",
        plan_changes_api.ChangePlanPreviewApi.as_view(),
        name="api-billing-change-plan-preview",
    ),
    path("cancel/", api.CancelApi.as_view(), name="api-billing-cancel"),
    path("resume/", api.ResumeApi.as_view(), name="api-billing-resume"),
    path("portal/", api.PortalApi.as_view(), name="api-billing-portal"),
    path("invoices/", api.InvoicesApi.as_view(), name="api-billing-invoices"),
    path("trial/", trials_api.TrialApi.as_view(), name="api-billing-trial"),
]
