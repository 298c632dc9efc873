"""REST API of plan changes: `GET /api/v1/billing/change-plan/preview/` (what a change costs,
now and at the next invoice, and when it takes effect) and the change itself."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from billing.api import (
    ERRORS,
    AdminBillingApi,
    BillingStateSerializer,
    PlanChoiceSerializer,
    billing_state_data,
)
from billing.plan_changes import services
from billing.plan_changes.selectors import plan_change_preview_get
from billing.plans import Interval, plan_by_code


class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Minor units (cents)")
    currency = serializers.CharField()


class NextInvoiceSerializer(MoneySerializer):
    date = serializers.DateTimeField(allow_null=True)


class PreviewLineSerializer(serializers.Serializer):
    description = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units (cents)")


class PlanChangePreviewSerializer(serializers.Serializer):
    effective = serializers.ChoiceField(choices=["now", "period_end"])
    due_now = MoneySerializer()
    next_invoice = NextInvoiceSerializer()
    lines = PreviewLineSerializer(many=True)
    proration_date = serializers.IntegerField(
        allow_null=True,
        help_text="The moment the amounts were prorated at: pass it to change-plan/ to be "
        "charged exactly `due_now`.",
    )


class PlanChangeSerializer(PlanChoiceSerializer):
    proration_date = serializers.IntegerField(required=False, min_value=0)


def preview_data(preview) -> dict:
    return PlanChangePreviewSerializer(
        {
            "effective": preview.effective,
            "due_now": {
                "amount": preview.due_now.amount,
                "currency": preview.due_now.currency,
            },
            "next_invoice": {
                "amount": preview.next_invoice.amount,
                "currency": preview.next_invoice.currency,
                "date": preview.next_invoice_date,
            },
            "lines": [
                {"description": line.description, "amount": line.amount} for line in preview.lines
            ],
            "proration_date": preview.proration_date,
        }
    ).data


class ChangePlanPreviewApi(AdminBillingApi):
    @extend_schema(
        parameters=[PlanChoiceSerializer], responses={200: PlanChangePreviewSerializer, **ERRORS}
    )
    def get(self, request):
        choice = PlanChoiceSerializer(data=request.query_params)
        choice.is_valid(raise_exception=True)
        preview = plan_change_preview_get(
            tenant=self.tenant,
            plan=plan_by_code(choice.validated_data["plan"]),
            interval=Interval(choice.validated_data["interval"]),
        )
        return Response(preview_data(preview))


class ChangePlanApi(AdminBillingApi):
    @extend_schema(request=PlanChangeSerializer, responses={200: BillingStateSerializer, **ERRORS})
    def post(self, request):
        choice = PlanChangeSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        services.plan_change(
            tenant=self.tenant,
            plan=plan_by_code(choice.validated_data["plan"]),
            interval=Interval(choice.validated_data["interval"]),
            proration_date=choice.validated_data.get("proration_date"),
        )
        return Response(billing_state_data(self.tenant))
