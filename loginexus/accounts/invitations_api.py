"""REST API of invitations (admins): invite, list, revoke, resend (PRODUCT.md, "Identity")."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from loginexus.accounts.invitations import (
    invitation_create,
    invitation_list,
    invitation_resend,
    invitation_revoke,
)
from loginexus.accounts.models import InvitationStatus, Role
from loginexus.accounts.permissions import IsTenantAdmin
from loginexus.api import error_responses
from loginexus.idempotency.api import Idempotent


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    status = serializers.ChoiceField(choices=InvitationStatus.choices, read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    invited_by = serializers.SerializerMethodField()

    def get_invited_by(self, invitation) -> str | None:
        return invitation.invited_by.email if invitation.invited_by else None


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


@extend_schema_view(
    list=extend_schema(
        responses={200: InvitationSerializer(many=True), **error_responses(400, 401, 403)},
        description="Newest first; statuses pending, accepted, revoked, expired.",
    ),
    retrieve=extend_schema(responses={200: InvitationSerializer, **error_responses(401, 403, 404)}),
    create=extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer, **error_responses(400, 401, 402, 403)},
        description="Emails a link valid 7 days. A pending invitation holds a seat: past the "
        "plan's seats it answers 402. An address that is an active user, or already has a "
        "pending invitation, answers 400.",
    ),
    destroy=extend_schema(
        responses={204: None, **error_responses(401, 403, 404, 409)},
        description="Revokes a pending invitation (its link stops working, its seat is free).",
    ),
)
class InvitationViewSet(
    Idempotent, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = InvitationSerializer
    permission_classes = [IsAuthenticated, IsTenantAdmin]

    def get_queryset(self):
        return invitation_list()

    def create(self, request):
        data = InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = invitation_create(**data.validated_data, invited_by=request.user)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        invitation_revoke(invitation=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: InvitationSerializer, **error_responses(401, 403, 404, 409)},
        description="A new link and a new 7-day expiry, emailed again; the old link stops working.",
    )
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        invitation = invitation_resend(invitation=self.get_object(), actor=request.user)
        return Response(InvitationSerializer(invitation).data)
