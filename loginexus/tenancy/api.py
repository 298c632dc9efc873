"""REST API of the public host: signup, and finding the workspaces of an address."""

from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from loginexus.accounts.throttling import rate_setting
from loginexus.tenancy.exceptions import SlugTaken
from loginexus.tenancy.forms import SignupForm
from loginexus.tenancy.selectors import tenant_url
from loginexus.tenancy.services import tenant_provision, workspaces_find_request
from loginexus.tenancy.throttling import find_rate_limits


@method_decorator(
    ratelimit(key="ip", rate=rate_setting("SIGNUP_RATE_PER_IP"), method="POST"),
    name="post",
)
class SignupApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=inline_serializer(
            "SignupRequest",
            {
                "company": serializers.CharField(),
                "slug": serializers.CharField(),
                "email": serializers.EmailField(),
                "password": serializers.CharField(),
            },
        ),
        responses={
            201: inline_serializer(
                "SignupResponse", {"tenant": serializers.CharField(), "url": serializers.URLField()}
            ),
            400: OpenApiResponse(description="Field errors: {field: [message]}"),
            503: OpenApiResponse(description="Signup briefly unavailable"),
        },
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            return Response(
                {"non_field_errors": [_("Send a JSON object.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        form = SignupForm(data=request.data)
        if not form.is_valid():
            return Response(form.errors, status=status.HTTP_400_BAD_REQUEST)
        data = form.cleaned_data
        try:
            tenant = tenant_provision(
                company=data["company"],
                slug=data["slug"],
                admin_email=data["email"],
                admin_password=data["password"],
            )
        except SlugTaken as error:
            return Response({"slug": [error.message]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"tenant": tenant.slug, "url": tenant_url(tenant=tenant)},
            status=status.HTTP_201_CREATED,
        )


class WorkspaceFindSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


@method_decorator(find_rate_limits, name="post")
class WorkspaceFindApi(APIView):
    """Email the address the workspaces it has an active account on. The answer is the same
    whether it has any or none."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=WorkspaceFindSerializer,
        responses={
            202: inline_serializer("WorkspaceFindAccepted", {"detail": serializers.CharField()}),
            400: OpenApiResponse(description="Field errors: {field: [message]}"),
            429: OpenApiResponse(description="Too many requests"),
        },
    )
    def post(self, request):
        data = WorkspaceFindSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workspaces_find_request(
            email=data.validated_data["email"], language=translation.get_language()
        )
        return Response({"detail": FIND_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


FIND_ACCEPTED = gettext_lazy(
    "If this address has accounts on LogiNexus, we have emailed it the list of its workspaces."
)
