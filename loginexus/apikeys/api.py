"""REST API of workspace API keys (`/api/v1/api-keys/`, admins): create (the key is in that
answer only), list, retrieve, revoke. No API key can reach it."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from loginexus.accounts.permissions import IsTenantAdmin
from loginexus.api import error_responses
from loginexus.apikeys.models import Scope
from loginexus.apikeys.selectors import api_key_list
from loginexus.apikeys.services import api_key_create, api_key_revoke
from loginexus.idempotency.api import Idempotent


class ApiKeySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(
        read_only=True, help_text="The key's first characters, to tell keys apart"
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), read_only=True
    )
    created_at = serializers.DateTimeField(read_only=True)
    last_used_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="To the minute"
    )
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The key, sent as `Authorization: Bearer <key>`. Shown in this answer only "
        "(null in a replay of it: the key is stored nowhere).",
    )


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    # Its errors are a flat list of messages, as every field error is.
    scopes = serializers.MultipleChoiceField(choices=Scope.choices, allow_empty=False)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Refused (401) from then on; none by default"
    )


@extend_schema_view(
    list=extend_schema(
        responses={200: ApiKeySerializer(many=True), **error_responses(400, 401, 403, 404)},
        description="The workspace's keys that are not revoked, newest first; never the keys "
        "themselves.",
    ),
    retrieve=extend_schema(responses={200: ApiKeySerializer, **error_responses(401, 403, 404)}),
    create=extend_schema(
        request=ApiKeyCreateSerializer,
        responses={201: NewApiKeySerializer, **error_responses(400, 401, 403)},
        description="Admins with a verified address (403 `email_unverified` otherwise). The "
        "answer holds the key, which is shown nowhere else: only its hash is kept. The key "
        "belongs to the workspace: deactivating the admin who made it does not end it.",
    ),
    destroy=extend_schema(
        responses={
            204: OpenApiResponse(description="Revoked: the key no longer authenticates"),
            **error_responses(401, 403, 404),
        },
        description="Revokes the key at once.",
    ),
)
class ApiKeyViewSet(
    Idempotent,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ApiKeySerializer
    permission_classes = [IsAuthenticated, IsTenantAdmin]
    # A replayed create must not need the key: its stored answer holds null instead.
    idempotency_unstored_fields = ("key",)

    def get_queryset(self):
        return api_key_list()

    def create(self, request):
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = api_key_create(
            **{**data.validated_data, "scopes": sorted(data.validated_data["scopes"])},
            created_by=request.user,
        )
        body = {**ApiKeySerializer(created.api_key).data, "key": created.key}
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        api_key_revoke(api_key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
