"""REST API of the workspace's settings on its host (`/api/v1/workspace/`, admins)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from loginexus.accounts.permissions import IsTenantAdmin
from loginexus.api import BAD_REQUEST, ErrorSerializer, error_responses
from loginexus.tenancy.models import ADDRESS_PARTS, Tenant
from loginexus.tenancy.workspace import workspace_update


class BillingAddressSerializer(serializers.Serializer):
    line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        help_text=_("ISO 3166 alpha-2 code, such as DE or US; needed once any part is given."),
    )


class TaxIdSerializer(serializers.Serializer):
    type = serializers.CharField(
        max_length=16, help_text=_("Stripe's type of tax ID, such as eu_vat, gb_vat or us_ein.")
    )
    value = serializers.CharField(max_length=64, help_text=_("Such as DE123456789."))


class WorkspaceSerializer(serializers.Serializer):
    """The settings as the API shows them; a PATCH sends any of them (not `slug`)."""

    name = serializers.CharField(max_length=100, required=False)
    slug = serializers.CharField(read_only=True)
    billing_email = serializers.EmailField(max_length=254, required=False)
    billing_address = BillingAddressSerializer(
        required=False,
        allow_null=True,
        help_text=_("The parts sent replace those stored; null clears the address."),
    )
    tax_id = TaxIdSerializer(required=False, allow_null=True, help_text=_("null removes it."))
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text=_("An IANA name such as Europe/Berlin.")
    )


_MESSAGES = {"type": "array", "items": {"type": "string"}}
# {field: [message]}, and for the nested objects {field: {part: [message]}}; errors of the
# whole body under "non_field_errors". A body that is not JSON answers {detail, code}.
WORKSPACE_BAD_REQUEST = {
    "anyOf": [
        {
            "type": "object",
            "additionalProperties": {
                "anyOf": [_MESSAGES, {"type": "object", "additionalProperties": _MESSAGES}]
            },
        },
        *BAD_REQUEST["anyOf"][1:],
    ],
    "example": {"billing_address": {"country": ["XX is not a country code."]}},
}


def workspace_data(tenant: Tenant) -> dict:
    return {
        "name": tenant.name,
        "slug": tenant.slug,
        "billing_email": tenant.email,
        "billing_address": tenant.billing_address,
        "tax_id": tenant.tax_id,
        "language": tenant.language,
        "time_zone": tenant.time_zone,
    }


# Where a model field's errors go in the answer: the contract's names, nested as sent.
_CONTRACT_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "email": ("billing_email",),
    **{f"billing_address_{part}": ("billing_address", part) for part in ADDRESS_PARTS},
    "tax_id_type": ("tax_id", "type"),
    "tax_id_value": ("tax_id", "value"),
    "language": ("language",),
    "time_zone": ("time_zone",),
}


def field_errors(error: ValidationError) -> dict:
    """The service's errors (by the model's fields) as the request's fields."""
    answer: dict = {}
    for field, messages in error.message_dict.items():
        # NON_FIELD_ERRORS (the model's clean()) and anything else: about the whole body.
        path = _CONTRACT_FIELDS.get(field, ("non_field_errors",))
        node = answer
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(path[-1], []).extend(messages)
    return answer


class WorkspaceApi(APIView):
    """The workspace's name, billing details, language and time zone (admins only). The
    billing details (name, billing email, address, tax ID) are also the Stripe customer's, on
    its invoices: a change is saved only once Stripe has it."""

    permission_classes = [IsAuthenticated, IsTenantAdmin]

    @extend_schema(responses={200: WorkspaceSerializer, **error_responses(401, 403)})
    def get(self, request):
        return Response(workspace_data(connection.tenant))

    @extend_schema(
        request=WorkspaceSerializer,
        responses={
            200: WorkspaceSerializer,
            400: OpenApiResponse(
                WORKSPACE_BAD_REQUEST,
                description="Field errors, those of billing_address and tax_id nested as sent; "
                "or an unreadable body; or Stripe's refusal of the change",
            ),
            **error_responses(401, 403),
            503: OpenApiResponse(
                ErrorSerializer, description="Stripe unreachable; nothing was changed"
            ),
        },
        description="Send any of the settings; `slug` cannot be changed. Field errors of "
        '`billing_address` and `tax_id` are nested as sent: `{"billing_address": {"country": '
        "[message]}}`. When Stripe is unreachable the answer is 503 and nothing is changed.",
    )
    def patch(self, request):
        data = WorkspaceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            tenant = workspace_update(tenant=connection.tenant, **data.validated_data)
        except ValidationError as error:
            return Response(field_errors(error), status=status.HTTP_400_BAD_REQUEST)
        return Response(workspace_data(tenant))
