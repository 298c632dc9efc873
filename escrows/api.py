"""REST API of escrows (`/api/v1/escrows/`): list, create, retrieve, and the actions
`fund`, `release`, `refund`, `dispute`."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from escrows import services
from escrows.currencies import CURRENCY_CHOICES
from escrows.models import ESCROW_ACTIONS, MAX_AMOUNT, MIN_AMOUNT, Escrow, EscrowStatus
from escrows.selectors import escrow_list
from loginexus.api import ERROR_RESPONSES
from shipments.models import Shipment


class EscrowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Escrow
        fields = ["id", "shipment", "buyer", "seller", "amount", "currency", "status", "created_at"]
        read_only_fields = fields


class EscrowCreateSerializer(serializers.Serializer):
    shipment = serializers.PrimaryKeyRelatedField(queryset=Shipment.objects.all())
    buyer = serializers.CharField(max_length=200)
    seller = serializers.CharField(max_length=200)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=MIN_AMOUNT, max_value=MAX_AMOUNT
    )
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("currency"), str):
            data = {**data, "currency": data["currency"].upper()}
        return super().to_internal_value(data)


STATUS_FILTER = OpenApiParameter("status", enum=EscrowStatus.values, description="Only this status")
SHIPMENT_FILTER = OpenApiParameter("shipment", int, description="Only escrows of this shipment")
ACTION_SCHEMA = extend_schema(request=None, responses={200: EscrowSerializer, **ERROR_RESPONSES})


@extend_schema_view(
    list=extend_schema(
        parameters=[STATUS_FILTER, SHIPMENT_FILTER],
        responses={200: EscrowSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(responses={200: EscrowSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        request=EscrowCreateSerializer, responses={201: EscrowSerializer, **ERROR_RESPONSES}
    ),
)
class EscrowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = EscrowSerializer

    def get_queryset(self):
        params = self.request.query_params
        wanted, shipment = params.get("status"), params.get("shipment")
        if wanted and wanted not in EscrowStatus.values:
            raise ValidationError({"status": [f"Choose one of: {', '.join(EscrowStatus.values)}."]})
        if shipment and not shipment.isdigit():
            raise ValidationError({"shipment": ["Give a shipment id."]})
        return escrow_list(status=wanted, shipment_id=int(shipment) if shipment else None)

    def create(self, request):
        data = EscrowCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        escrow = services.escrow_create(**data.validated_data, created_by=request.user)
        return Response(EscrowSerializer(escrow).data, status=status.HTTP_201_CREATED)

    def _act(self, request, name: str) -> Response:
        escrow = services.escrow_transition(
            escrow=self.get_object(), to_status=ESCROW_ACTIONS[name], actor=request.user
        )
        return Response(EscrowSerializer(escrow).data)

    @ACTION_SCHEMA
    @action(detail=True, methods=["post"])
    def fund(self, request, pk=None):
        return self._act(request, "fund")

    @ACTION_SCHEMA
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        return self._act(request, "release")

    @ACTION_SCHEMA
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        return self._act(request, "refund")

    @ACTION_SCHEMA
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        return self._act(request, "dispute")
