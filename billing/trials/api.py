"""REST API of trials: `POST /api/v1/billing/trial/ {"plan"}` starts the tenant's one trial."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from billing.api import (
    ERRORS,
    AdminBillingApi,
    BillingStateSerializer,
    PaidPlanChoiceSerializer,
    billing_state_data,
)
from billing.plans import Interval, plan_by_code
from billing.trials.services import trial_start


class TrialChoiceSerializer(PaidPlanChoiceSerializer):
    interval = serializers.ChoiceField(
        choices=[interval.value for interval in Interval], default=Interval.MONTH.value
    )


class TrialApi(AdminBillingApi):
    @extend_schema(request=TrialChoiceSerializer, responses={201: BillingStateSerializer, **ERRORS})
    def post(self, request):
        choice = TrialChoiceSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        trial_start(
            tenant=self.tenant,
            plan=plan_by_code(choice.validated_data["plan"]),
            interval=Interval(choice.validated_data["interval"]),
        )
        return Response(billing_state_data(self.tenant), status=status.HTTP_201_CREATED)
