"""REST API of outbound webhooks (admins): `/api/v1/webhook-endpoints/` (create, list, retrieve,
change, delete, `rotate-secret/`) and `/api/v1/webhook-deliveries/` (the log, `redeliver/`).
The secret is in the answer of create and rotate only."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from loginexus.accounts.permissions import IsTenantAdmin
from loginexus.api import QueryParameters, error_responses
from loginexus.idempotency.api import Idempotent
from webhooks import services
from webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.selectors import webhook_delivery_list, webhook_endpoint_list

SIGNING = (
    "Each delivery is a POST of `{id, type, created, data}` (`data`: the object as this API "
    "shows it) with the Standard Webhooks headers `webhook-id` (the same on every attempt: "
    "deduplicate on it), `webhook-timestamp` (Unix seconds) and `webhook-signature`: "
    '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` keyed by the '
    "base64-decoded part of the secret after `whsec_`; during the 24 h after a rotation two "
    "such entries, separated by a space. A 2xx answer within 10 s is a success; otherwise it "
    "is tried again after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h."
)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "description", "events", "enabled", "disabled_at", "disabled_reason",
            "failing_since", "previous_secret_expires_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="`whsec_…`: shown in this answer only")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(
        max_length=2000, help_text="Where deliveries go (in production: https, a public host)"
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), min_length=1, max_length=10
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class WebhookEndpointPatchSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        min_length=1,
        max_length=10,
        required=False,
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enabled = serializers.BooleanField(
        required=False, help_text="false pauses deliveries; true resumes them and forgets failures"
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "attempted_at", "status_code", "succeeded", "duration_ms", "error", "response_body",
        ]  # fmt: skip
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.pk", help_text="The `webhook-id` sent")
    event_type = serializers.ChoiceField(source="event.type", choices=EventType.choices)
    attempt_log = WebhookAttemptSerializer(many=True, help_text="Newest first")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "endpoint", "event_id", "event_type", "status", "attempts", "next_attempt_at",
            "last_attempt_at", "created_at", "attempt_log",
        ]  # fmt: skip
        read_only_fields = fields


class WebhookDeliveryFilterSerializer(QueryParameters):
    endpoint = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="Only this endpoint's"
    )


@extend_schema_view(
    list=extend_schema(
        responses={200: WebhookEndpointSerializer(many=True), **error_responses(401, 403, 404)},
        description="Newest first; secrets are never listed.",
    ),
    retrieve=extend_schema(
        responses={200: WebhookEndpointSerializer, **error_responses(401, 403, 404)}
    ),
    create=extend_schema(
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **error_responses(400, 401, 403)},
        description="Subscribes the URL to the events; the answer carries the signing secret, "
        "once. " + SIGNING,
    ),
    partial_update=extend_schema(
        request=WebhookEndpointPatchSerializer,
        responses={200: WebhookEndpointSerializer, **error_responses(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        responses={204: OpenApiResponse(description="Deleted"), **error_responses(401, 403, 404)},
        description="Deletes the endpoint and its delivery log; nothing more is sent to it.",
    ),
)
class WebhookEndpointViewSet(
    Idempotent, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsAuthenticated, IsTenantAdmin]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return webhook_endpoint_list()

    def create(self, request):
        data = WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(**data.validated_data)
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = WebhookEndpointPatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request, pk=None):
        services.webhook_endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, **error_responses(401, 403, 404)},
        description="A new secret, in this answer only. For 24 h deliveries are signed with "
        "the old secret too (two `v1,` entries), so receivers can switch without a gap.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[WebhookDeliveryFilterSerializer],
        responses={200: WebhookDeliverySerializer(many=True), **error_responses(400, 401, 403)},
        description="The delivery log, newest first, each with its attempts (status code, "
        "time, duration, error, the answer's first 2,000 characters).",
    ),
    retrieve=extend_schema(
        responses={200: WebhookDeliverySerializer, **error_responses(401, 403, 404)}
    ),
)
class WebhookDeliveryViewSet(
    Idempotent, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = WebhookDeliverySerializer
    permission_classes = [IsAuthenticated, IsTenantAdmin]

    def get_queryset(self):
        if self.action != "list":
            return webhook_delivery_list()
        filters = WebhookDeliveryFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return webhook_delivery_list(endpoint_id=filters.validated_data.get("endpoint"))

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer, **error_responses(401, 403, 404, 409)},
        description="Sends the delivery again now, with the same `webhook-id`; 409 "
        "`webhook_endpoint_disabled` while its endpoint is disabled.",
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = services.webhook_delivery_redeliver(delivery=self.get_object())
        delivery = webhook_delivery_list().get(pk=delivery.pk)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
