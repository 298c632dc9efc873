"""REST API of shipments (`/api/v1/shipments/`): list, create, retrieve, update, delete; status
changes through `PATCH {"status"}`.

Details are editable while a shipment is draft or booked (409 `shipment_locked` after); a PATCH
may carry details and a status together, applied all or nothing. Delete: draft and cancelled
shipments that secure no escrow (409 otherwise).
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from loginexus.api import (
    QueryParameters,
    StrictCharField,
    acting_user,
    addressed_row,
    error_responses,
)
from loginexus.apikeys.permissions import read_write_scopes
from loginexus.exports import CsvExportMixin, export_schema
from loginexus.idempotency.api import Idempotent
from shipments import services
from shipments.models import (
    MAX_WEIGHT_KG,
    Shipment,
    ShipmentStatus,
    weight_bounds_message_lazy,
)
from shipments.selectors import shipment_list

EXPORT_COLUMNS = [
    ("id", "id"), ("reference", "reference"), ("origin", "origin"),
    ("destination", "destination"), ("carrier", "carrier"), ("weight_kg", "weight_kg"),
    ("expected_delivery", "expected_delivery"), ("status", "status"),
    ("created_at", "created_at"), ("updated_at", "updated_at"),
]  # fmt: skip


class ShipmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shipment
        fields = [
            "id", "reference", "origin", "destination", "carrier", "weight_kg",
            "expected_delivery", "status", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ShipmentWriteSerializer(serializers.Serializer):
    reference = StrictCharField(max_length=64)
    origin = StrictCharField(max_length=200)
    destination = StrictCharField(max_length=200)
    carrier = StrictCharField(max_length=120)
    weight_kg = serializers.DecimalField(
        max_digits=10,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=MAX_WEIGHT_KG,
        error_messages={
            "min_value": weight_bounds_message_lazy(),
            "max_value": weight_bounds_message_lazy(),
        },
    )
    expected_delivery = serializers.DateField(required=False, allow_null=True)


class ShipmentPatchSerializer(ShipmentWriteSerializer):
    status = serializers.ChoiceField(
        choices=ShipmentStatus.choices,
        required=False,
        help_text=_("Move the shipment to this status (409 if its status machine forbids it)"),
    )


class ShipmentFilterSerializer(QueryParameters):
    """The list's query parameters."""

    status = serializers.ChoiceField(
        choices=ShipmentStatus.choices, required=False, help_text=_("Only this status")
    )
    search = serializers.CharField(
        max_length=100, required=False, help_text=_("In reference, origin or destination")
    )


@extend_schema_view(
    export=export_schema(ShipmentFilterSerializer, "shipment"),
    list=extend_schema(
        parameters=[ShipmentFilterSerializer],
        responses={200: ShipmentSerializer(many=True), **error_responses(400, 401, 404)},
        description="Newest first, paginated (`page`, `page_size` up to 100).",
    ),
    retrieve=extend_schema(responses={200: ShipmentSerializer, **error_responses(401, 404)}),
    create=extend_schema(
        request=ShipmentWriteSerializer,
        responses={201: ShipmentSerializer, **error_responses(400, 401, 402, 403)},
        description="Starts as draft. The reference is unique in the workspace (400 otherwise).",
    ),
    partial_update=extend_schema(
        request=ShipmentPatchSerializer,
        responses={200: ShipmentSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Edit details (draft and booked shipments) and/or change the status; an "
        "illegal transition answers 409 with the allowed ones.",
    ),
    update=extend_schema(
        request=ShipmentPatchSerializer,
        responses={200: ShipmentSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Replace the details (draft and booked shipments); `status` as for PATCH.",
    ),
    destroy=extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted"),
            **error_responses(401, 403, 404, 409),
        },
        description="Only draft and cancelled shipments without escrows (409 otherwise).",
    ),
)
class ShipmentViewSet(
    Idempotent,
    CsvExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ShipmentSerializer
    api_key_scopes = read_write_scopes("shipments")
    export_filters = ShipmentFilterSerializer
    export_rows = staticmethod(shipment_list)
    export_columns = EXPORT_COLUMNS
    export_filename = "shipments.csv"

    def get_queryset(self):
        if self.action != "list":
            return Shipment.objects.all()
        filters = ShipmentFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return shipment_list(**filters.validated_data)

    def create(self, request):
        data = ShipmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = services.shipment_create(**data.validated_data, created_by=acting_user(request))
        return Response(ShipmentSerializer(shipment).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        return self._change(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._change(request, partial=True)

    def _change(self, request, *, partial: bool):
        with addressed_row(Shipment, self.kwargs["pk"]) as shipment:
            data = ShipmentPatchSerializer(data=request.data, partial=partial)
            data.is_valid(raise_exception=True)
            details = dict(data.validated_data)
            shipment = services.shipment_update(
                shipment=shipment,
                actor=acting_user(request),
                to_status=details.pop("status", None),
                **details,
            )
        return Response(ShipmentSerializer(shipment).data)

    def destroy(self, request, pk=None):
        services.shipment_delete(shipment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
