"""REST API of escrows (`/api/v1/escrows/`): list, create, retrieve, and the actions
`fund`, `release`, `refund`, `dispute` (POST, no body), each answering the escrow or a 409."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from escrows import services
from escrows.currencies import CURRENCY_CHOICES
from escrows.models import ESCROW_ACTIONS, MAX_AMOUNT, MIN_AMOUNT, Escrow, EscrowStatus
from escrows.selectors import escrow_export_rows, escrow_list
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
from shipments.models import Shipment

EXPORT_COLUMNS = [
    ("id", "id"), ("reference", "escrow_reference"), ("shipment", "shipment_id"),
    ("shipment_reference", "shipment__reference"),
    ("buyer", "buyer"), ("seller", "seller"), ("amount", "amount"), ("currency", "currency"),
    ("status", "status"), ("created_at", "created_at"),
]  # fmt: skip


class EscrowSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(
        read_only=True, help_text=_("The escrow's own reference, such as ESC-000123")
    )

    class Meta:
        model = Escrow
        fields = [
            "id", "reference", "shipment", "buyer", "seller", "amount", "currency", "status",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class EscrowCreateSerializer(serializers.Serializer):
    shipment = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text=_("Id of a shipment of this workspace")
    )
    buyer = StrictCharField(max_length=200)
    seller = StrictCharField(max_length=200)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=MIN_AMOUNT,
        max_value=MAX_AMOUNT,
        help_text=_('A decimal string such as "1500.00"'),
    )
    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES, help_text=_("ISO 4217 code, such as EUR (any case)")
    )

    def validate_shipment(self, value: int) -> Shipment:
        """A reference holding only the pk: escrow_create reads the shipment itself under its
        lock (and says so when there is none), so it is not read twice."""
        return Shipment(pk=value)

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("currency"), str):
            data = {**data, "currency": data["currency"].upper()}
        return super().to_internal_value(data)


class EscrowFilterSerializer(QueryParameters):
    """The list's query parameters."""

    status = serializers.ChoiceField(
        choices=EscrowStatus.choices, required=False, help_text=_("Only this status")
    )
    shipment = serializers.IntegerField(
        min_value=1, required=False, help_text=_("Only the escrows of this shipment")
    )
    search = serializers.CharField(
        max_length=100,
        required=False,
        help_text=_("In buyer, seller or shipment reference, or an escrow reference (ESC-000123)"),
    )


ACTION_SCHEMA = extend_schema(
    request=None,
    responses={200: EscrowSerializer, **error_responses(401, 403, 404, 409)},
    description="409 `illegal_transition` with the allowed statuses when the escrow's status "
    "forbids it; `release` answers 409 `shipment_not_delivered` until its shipment is delivered.",
)


@extend_schema_view(
    export=export_schema(EscrowFilterSerializer, "escrow"),
    list=extend_schema(
        parameters=[EscrowFilterSerializer],
        responses={200: EscrowSerializer(many=True), **error_responses(400, 401, 404)},
        description="Newest first, paginated (`page`, `page_size` up to 100).",
    ),
    retrieve=extend_schema(responses={200: EscrowSerializer, **error_responses(401, 404)}),
    create=extend_schema(
        request=EscrowCreateSerializer,
        responses={201: EscrowSerializer, **error_responses(400, 401, 402, 403)},
        description="Opens the escrow (status open) for a shipment that is not cancelled.",
    ),
)
class EscrowViewSet(
    Idempotent,
    CsvExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = EscrowSerializer
    api_key_scopes = read_write_scopes("escrows")
    export_filters = EscrowFilterSerializer
    export_rows = staticmethod(escrow_export_rows)
    export_columns = EXPORT_COLUMNS
    export_filename = "escrows.csv"

    def get_queryset(self):
        if self.action != "list":
            return Escrow.objects.all()
        filters = EscrowFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return escrow_list(**filters.validated_data)

    def create(self, request):
        data = EscrowCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        escrow = services.escrow_create(**data.validated_data, created_by=acting_user(request))
        return Response(EscrowSerializer(escrow).data, status=status.HTTP_201_CREATED)

    def _act(self, request, name: str) -> Response:
        with addressed_row(Escrow, self.kwargs["pk"]) as escrow:
            escrow = services.escrow_transition(
                escrow=escrow, to_status=ESCROW_ACTIONS[name], actor=acting_user(request)
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
