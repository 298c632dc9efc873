"""REST API of accounts on tenant hosts: tokens, the current user, the team (admins)."""

from allauth.mfa.adapter import get_adapter as mfa_adapter
from allauth.mfa.base.forms import BaseAuthenticateForm as AuthenticateForm
from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from loginexus.accounts.exceptions import MfaRequired
from loginexus.accounts.models import Role
from loginexus.accounts.permissions import IsTenantAdmin
from loginexus.accounts.selectors import user_list
from loginexus.accounts.services import profile_update, token_revoke, user_create, user_update
from loginexus.accounts.throttling import login_rate_limits
from loginexus.api import StrictCharField, error_responses
from loginexus.idempotency.api import Idempotent


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    code = serializers.CharField(
        max_length=64,
        required=False,
        help_text=gettext_lazy(
            "For an account with two-factor authentication: the authenticator app's "
            "current code, or one of its recovery codes."
        ),
    )

    def validate(self, attrs):
        refused = serializers.ValidationError(
            _("Unable to log in with these credentials."), code="authorization"
        )
        user = authenticate(
            request=self.context["request"], username=attrs["email"], password=attrs["password"]
        )
        if user is None:
            raise refused
        if mfa_adapter().is_mfa_enabled(user):
            if not attrs.get("code"):
                raise MfaRequired(
                    _(
                        "This account uses two-factor authentication: send the authenticator "
                        "app's current code (or a recovery code) as `code`."
                    )
                )
            second_factor = AuthenticateForm(user=user, data={"code": attrs["code"]})
            if not second_factor.is_valid():
                raise refused
            second_factor.authenticator.record_usage()
        attrs["user"] = user
        return attrs


@method_decorator(login_rate_limits("email"), name="post")
class TokenApi(APIView):
    """Email and password in (and, for an account with two-factor authentication, the
    authenticator's current code or a recovery code), the user's token out. It reads no cookie
    and no token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Bad credentials (or a wrong code) or field errors"),
            403: OpenApiResponse(
                description="`mfa_required`: the account uses two-factor authentication and "
                "the request carries no `code`"
            ),
            429: OpenApiResponse(description="Too many attempts"),
        },
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    name = serializers.CharField(read_only=True)
    language = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy("The chosen language; blank: the browser's language is used."),
    )
    time_zone = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy("The chosen time zone; blank: the workspace's time zone is used."),
    )


class ProfileUpdateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=150, required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=[("", ""), *settings.LANGUAGES],
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            "One of the languages, or blank for the browser's language (then the workspace's)."
        ),
    )
    time_zone = StrictCharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            "An IANA name such as Europe/Berlin, or blank for the workspace's time zone."
        ),
    )


class MeApi(APIView):
    """The user the request is authenticated as (a cheap way for integrators to test a token);
    PATCH changes their own name, language or time zone."""

    @extend_schema(responses={200: MeSerializer, 401: OpenApiResponse(description="Not logged in")})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        request=ProfileUpdateSerializer,
        responses={200: MeSerializer, **error_responses(400, 401)},
    )
    def patch(self, request):
        data = ProfileUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = profile_update(user=request.user, **data.validated_data)
        return Response(MeSerializer(user).data)


class MyTokenApi(APIView):
    """The caller's own API token: revoked at once, whichever credential the call carries."""

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="The token is revoked: it no longer authenticates"),
            401: OpenApiResponse(description="Not logged in"),
            404: OpenApiResponse(description="The caller has no token"),
        },
    )
    def delete(self, request):
        if not token_revoke(user=request.user):
            return Response(
                {"detail": _("You have no API token."), "code": "not_found"},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    is_active = serializers.BooleanField(read_only=True)


class UserCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class UserUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)


@extend_schema_view(
    list=extend_schema(
        responses={200: UserSerializer(many=True), **error_responses(400, 401, 403, 404)},
        description="Active users first, then by email; paginated.",
    ),
    retrieve=extend_schema(responses={200: UserSerializer, **error_responses(401, 403, 404)}),
    create=extend_schema(
        request=UserCreateSerializer,
        responses={201: UserSerializer, **error_responses(400, 401, 402, 403)},
        description="The password must pass the password rules; `role` defaults to member. "
        "An active user takes a seat of the plan (402 when none is left).",
    ),
    partial_update=extend_schema(
        request=UserUpdateSerializer,
        responses={200: UserSerializer, **error_responses(400, 401, 402, 403, 404, 409)},
        description='Deactivate with {"is_active": false} (reactivating takes a seat again). '
        "Nobody deactivates or demotes themselves, and the last active admin stays (409).",
    ),
)
class UserViewSet(
    Idempotent, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The workspace's team (admins only)."""

    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated, IsTenantAdmin]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return user_list()

    def create(self, request):
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_create(**data.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        data = UserUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_update(user=self.get_object(), actor=request.user, **data.validated_data)
        return Response(UserSerializer(user).data)
