"""REST API of shipments (`/api/v1/shipments/`): list, create, retrieve, update, delete; status
changes through `PATCH {"status"}`."""

from decimal import Decimal

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from loginexus.api import ERROR_RESPONSES
from shipments import services
from shipments.models import MAX_WEIGHT_KG, Shipment, ShipmentStatus
from shipments.selectors import shipment_list


class ShipmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shipment
        fields = [
            "id", "reference", "origin", "destination", "carrier", "weight_kg",
            "expected_delivery", "status", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ShipmentWriteSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    origin = serializers.CharField(max_length=200)
    destination = serializers.CharField(max_length=200)
    carrier = serializers.CharField(max_length=120)
    weight_kg = serializers.DecimalField(
        max_digits=10, decimal_places=3, min_value=Decimal("0.001"), max_value=MAX_WEIGHT_KG
    )
    expected_delivery = serializers.DateField(required=False, allow_null=True)


class ShipmentPatchSerializer(ShipmentWriteSerializer):
    status = serializers.ChoiceField(choices=ShipmentStatus.choices, required=False)


STATUS_FILTER = OpenApiParameter(
    "status", enum=ShipmentStatus.values, description="Only this status"
)
SEARCH = OpenApiParameter("search", description="In reference, origin or destination")


@extend_schema_view(
    list=extend_schema(
        parameters=[STATUS_FILTER, SEARCH],
        responses={200: ShipmentSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(responses={200: ShipmentSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        request=ShipmentWriteSerializer, responses={201: ShipmentSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        request=ShipmentPatchSerializer,
        responses={200: ShipmentSerializer, **ERROR_RESPONSES},
        description="Edit details (draft and booked shipments) and/or change the status; an "
        "illegal transition answers 409 with the allowed ones.",
    ),
    update=extend_schema(
        request=ShipmentWriteSerializer, responses={200: ShipmentSerializer, **ERROR_RESPONSES}
    ),
    destroy=extend_schema(
        responses={204: OpenApiResponse(description="Deleted"), **ERROR_RESPONSES},
        description="Only draft and cancelled shipments without escrows (409 otherwise).",
    ),
)
class ShipmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ShipmentSerializer

    def get_queryset(self):
        wanted = self.request.query_params.get("status")
        if wanted and wanted not in ShipmentStatus.values:
            raise ValidationError(
                {"status": [f"Choose one of: {', '.join(ShipmentStatus.values)}."]}
            )
        return shipment_list(status=wanted, search=self.request.query_params.get("search"))

    def create(self, request):
        data = ShipmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = services.shipment_create(**data.validated_data, created_by=request.user)
        return Response(ShipmentSerializer(shipment).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        return self._change(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._change(request, partial=True)

    def _change(self, request, *, partial: bool):
        shipment = self.get_object()
        data = ShipmentPatchSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        new_status = changes.pop("status", None)
        if changes:
            shipment = services.shipment_update(shipment=shipment, **changes)
        if new_status and new_status != shipment.status:
            shipment = services.shipment_transition(
                shipment=shipment, to_status=new_status, actor=request.user
            )
        return Response(ShipmentSerializer(shipment).data)

    def destroy(self, request, pk=None):
        services.shipment_delete(shipment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
