"""`GET /api/v1/audit-log/`: the workspace's writes, newest first, paginated and filterable
(admins)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from loginexus.accounts.permissions import IsTenantAdmin
from loginexus.api import QueryParameters, error_responses
from loginexus.apikeys.permissions import HasApiKeyScope, IsApiKey, read_scopes
from loginexus.audit.models import AuditEntry
from loginexus.audit.selectors import audit_entries


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "action", "object_type", "object_id", "ip", "changes"]
        read_only_fields = fields


class AuditFilterSerializer(QueryParameters):
    action = serializers.CharField(max_length=64, required=False, help_text="e.g. shipment.created")
    actor = serializers.CharField(
        max_length=320, required=False, help_text='An email, or "api-key:<prefix>"'
    )
    object_type = serializers.CharField(max_length=32, required=False)
    object_id = serializers.CharField(max_length=64, required=False)
    since = serializers.DateTimeField(required=False, help_text="At or after this time")
    until = serializers.DateTimeField(required=False, help_text="Before this time")


@extend_schema_view(
    list=extend_schema(
        parameters=[AuditFilterSerializer],
        responses={200: AuditEntrySerializer(many=True), **error_responses(400, 401, 403, 404)},
        description="Every write of shipments, escrows, users, invitations and billing actions "
        "by a person or a key; newest first, paginated. `changes` holds `[old, new]` per field.",
    )
)
class AuditLogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Admins, or an API key with the scope audit:read."""

    serializer_class = AuditEntrySerializer
    permission_classes = [IsAuthenticated, IsTenantAdmin | IsApiKey, HasApiKeyScope]
    api_key_scopes = read_scopes("audit")

    def get_queryset(self):
        filters = AuditFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return audit_entries(**filters.validated_data)
