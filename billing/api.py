"""REST API of billing on a tenant host (`/api/v1/billing/…`): state, plans, checkout, changes,
portal and invoices. Every answer is built from our own tables; only the writes call Stripe."""

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import services
from billing.currencies.selectors import tenant_currency_get
from billing.invoices.selectors import invoice_summary, invoices_list
from billing.overage.api import BillingChangeSerializer, OverageSerializer, overage_data
from billing.overage.selectors import overage_get
from billing.overage.services import overage_choose
from billing.plan_changes.selectors import scheduled_change_get
from billing.plans import CURRENCY_CHOICES, PAID_PLANS, PLANS, Currency, Interval, plan_by_code
from billing.selectors import billing_state_get, entitlement_get
from loginexus.accounts.permissions import IsTenantAdmin
from loginexus.api import ERROR_RESPONSES
from loginexus.apikeys.permissions import HasApiKeyScope, IsApiKey, read_scopes
from loginexus.idempotency.api import Idempotent
from loginexus.tenancy.selectors import tenant_url

ERRORS = {
    **ERROR_RESPONSES,
    503: OpenApiResponse(description="Stripe unreachable; nothing was changed"),
}


class UsageSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True)


class ScheduledChangeSerializer(serializers.Serializer):
    plan = serializers.CharField()
    interval = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()


class BillingStateSerializer(serializers.Serializer):
    plan = serializers.CharField()
    status = serializers.CharField()
    interval = serializers.CharField(allow_null=True)
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    grace_until = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    trial_end = serializers.DateTimeField(
        allow_null=True, help_text=_("When the trial ends; null when not trialing.")
    )
    comp_until = serializers.DateTimeField(
        allow_null=True, help_text=_("Set while the plan is complimentary (given by LogiNexus).")
    )
    usage = serializers.DictField(child=UsageSerializer())
    scheduled_change = ScheduledChangeSerializer(
        allow_null=True,
        help_text=_("The plan the subscription changes to at its period's end, if any."),
    )
    overage = OverageSerializer(
        help_text=_("Shipments past the plan's limit, billed each (Pro); off by default.")
    )


def billing_state_data(tenant) -> dict:
    now = timezone.now()
    state = billing_state_get(tenant=tenant, now=now)
    entitlement = state.entitlement
    scheduled = scheduled_change_get(tenant=tenant)
    return BillingStateSerializer(
        {
            "plan": state.plan.code,
            "status": entitlement.status,
            "interval": entitlement.interval or None,
            "period_start": state.period_start,
            "period_end": state.period_end,
            "grace_until": entitlement.grace_until if state.in_grace else None,
            "cancel_at_period_end": entitlement.cancel_at_period_end,
            "trial_end": entitlement.trial_end,
            "comp_until": entitlement.comp_until if state.on_comp else None,
            "usage": {
                str(resource): {"used": usage.used, "limit": usage.limit}
                for resource, usage in state.usage.items()
            },
            "scheduled_change": scheduled
            and {"plan": scheduled.plan.code, "interval": scheduled.interval, "at": scheduled.at},
            "overage": overage_data(overage_get(tenant=tenant, now=now, entitlement=entitlement)),
        }
    ).data


class PlanChoiceSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=[plan.code for plan in PLANS.values()])
    interval = serializers.ChoiceField(choices=[interval.value for interval in Interval])


class PaidPlanChoiceSerializer(PlanChoiceSerializer):
    plan = serializers.ChoiceField(choices=[plan.code for plan in PAID_PLANS])


class AdminBillingApi(Idempotent, APIView):
    """Admins only; no API key reaches billing's writes."""

    permission_classes = [IsAuthenticated, IsTenantAdmin]

    @property
    def tenant(self):
        return connection.tenant


class BillingReadApi(AdminBillingApi):
    """What admins read of billing, an API key with billing:read may read too."""

    permission_classes = [IsAuthenticated, HasApiKeyScope, IsTenantAdmin | IsApiKey]
    api_key_scopes = read_scopes("billing")


class BillingStateApi(BillingReadApi):
    def get_permissions(self):
        if self.request.method == "PATCH":  # a write: admins only, as every billing write
            return [permission() for permission in AdminBillingApi.permission_classes]
        return super().get_permissions()

    @extend_schema(responses={200: BillingStateSerializer, **ERRORS})
    def get(self, request):
        return Response(billing_state_data(self.tenant))

    @extend_schema(
        request=BillingChangeSerializer, responses={200: BillingStateSerializer, **ERRORS}
    )
    def patch(self, request):
        stored = entitlement_get(tenant=self.tenant)
        change = BillingChangeSerializer(data=request.data, stored_cap=stored.overage_cap)
        change.is_valid(raise_exception=True)
        choice = change.validated_data["overage"]
        overage_choose(tenant=self.tenant, enabled=choice["enabled"], cap=choice.get("cap"))
        return Response(billing_state_data(self.tenant))


class PlanSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=10, decimal_places=2),
        help_text=_("USD per interval, in dollars."),
    )
    amounts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text=_(
            "Per interval, the price in every currency (usd, eur, gbp), in minor units; "
            "prices exclude tax."
        ),
    )
    currency = serializers.CharField(
        help_text=_("The currency this workspace is billed in (or would be, at checkout).")
    )
    limits = serializers.DictField(child=serializers.IntegerField(allow_null=True))


class PlansApi(APIView):
    permission_classes = [IsAuthenticated, HasApiKeyScope]
    api_key_scopes = read_scopes("billing")

    @extend_schema(responses={200: PlanSerializer(many=True), 401: ERRORS[401]})
    def get(self, request):
        currency = tenant_currency_get(tenant=connection.tenant)
        return Response(
            [
                PlanSerializer(
                    {
                        "code": plan.code,
                        "name": plan.name,
                        "prices": {str(k): v for k, v in plan.prices.items()},
                        "amounts": {
                            str(interval): {str(c): amount for c, amount in amounts.items()}
                            for interval, amounts in plan.amounts.items()
                        },
                        "currency": currency.value,
                        "limits": {str(k): v for k, v in plan.limits.items()},
                    }
                ).data
                for plan in PLANS.values()
            ]
        )


class CheckoutSerializer(PaidPlanChoiceSerializer):
    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES,
        required=False,
        help_text=_(
            "Default: the currency the workspace is billed in, else its billing address's "
            "(EUR in the euro area, GBP in the United Kingdom), else USD."
        ),
    )


class CheckoutApi(AdminBillingApi):
    @extend_schema(
        request=CheckoutSerializer,
        responses={
            201: inline_serializer(
                "CheckoutResponse",
                {"url": serializers.URLField(), "session_id": serializers.CharField()},
            ),
            **ERRORS,
        },
    )
    def post(self, request):
        choice = CheckoutSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        base = tenant_url(tenant=self.tenant)
        currency = choice.validated_data.get("currency")
        url, session_id = services.checkout_start(
            tenant=self.tenant,
            plan=plan_by_code(choice.validated_data["plan"]),
            interval=Interval(choice.validated_data["interval"]),
            currency=Currency(currency) if currency else None,
            success_url=base + "billing/success/?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=base + "billing/canceled/",
        )
        return Response({"url": url, "session_id": session_id}, status=status.HTTP_201_CREATED)


class CancelApi(AdminBillingApi):
    @extend_schema(request=None, responses={200: BillingStateSerializer, **ERRORS})
    def post(self, request):
        services.subscription_cancel_at_period_end(tenant=self.tenant)
        return Response(billing_state_data(self.tenant))


class ResumeApi(AdminBillingApi):
    @extend_schema(request=None, responses={200: BillingStateSerializer, **ERRORS})
    def post(self, request):
        services.subscription_resume(tenant=self.tenant)
        return Response(billing_state_data(self.tenant))


class PortalApi(AdminBillingApi):
    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("PortalResponse", {"url": serializers.URLField()}),
            **ERRORS,
        },
    )
    def post(self, request):
        return_url = tenant_url(tenant=self.tenant) + "billing/"
        return Response(
            {"url": services.billing_portal_start(tenant=self.tenant, return_url=return_url)}
        )


class InvoiceLineSerializer(serializers.Serializer):
    description = serializers.CharField()
    quantity = serializers.IntegerField(allow_null=True)
    amount = serializers.IntegerField(help_text=_("Minor units (cents), before discount and tax"))


class InvoiceSerializer(serializers.Serializer):
    id = serializers.CharField()
    number = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()
    amount_due = serializers.IntegerField(help_text=_("Minor units (cents)"))
    amount_paid = serializers.IntegerField(help_text=_("Minor units (cents)"))
    subtotal = serializers.IntegerField(help_text=_("Minor units (cents), before discount and tax"))
    discount = serializers.IntegerField(help_text=_("Minor units (cents)"))
    tax = serializers.IntegerField(help_text=_("Minor units (cents)"))
    total = serializers.IntegerField(help_text=_("Minor units (cents)"))
    currency = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    hosted_invoice_url = serializers.URLField(allow_null=True)
    invoice_pdf = serializers.URLField(allow_null=True)
    lines = InvoiceLineSerializer(many=True)


def invoice_data(invoice) -> dict:
    return InvoiceSerializer(invoice_summary(invoice)).data


class InvoicesApi(BillingReadApi, GenericAPIView):
    serializer_class = InvoiceSerializer

    @extend_schema(responses={200: InvoiceSerializer(many=True), **ERRORS})
    def get(self, request):
        page = self.paginate_queryset(invoices_list(tenant=self.tenant))
        return self.get_paginated_response([invoice_data(invoice) for invoice in page])
