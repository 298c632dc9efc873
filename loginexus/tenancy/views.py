"""Pages of the public host: the landing page, signup, and finding your workspaces."""

from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views import View
from django_ratelimit.decorators import ratelimit

from loginexus.accounts.throttling import rate_setting
from loginexus.tenancy.exceptions import SignupUnavailable, SlugTaken
from loginexus.tenancy.forms import SignupForm, WorkspaceFindForm
from loginexus.tenancy.services import (
    tenant_first_login_url,
    tenant_provision,
    workspaces_find_request,
)
from loginexus.tenancy.throttling import find_rate_limits


def landing(request):
    return render(request, "tenancy/landing.html")


@method_decorator(
    ratelimit(key="ip", rate=rate_setting("SIGNUP_RATE_PER_IP"), method="POST"),
    name="post",
)
class SignupView(View):
    template_name = "tenancy/signup.html"

    def get(self, request):
        return render(request, self.template_name, {"form": SignupForm()})

    def post(self, request):
        form = SignupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                tenant = tenant_provision(
                    company=data["company"],
                    slug=data["slug"],
                    admin_email=data["email"],
                    admin_password=data["password"],
                )
            except SlugTaken as error:
                form.add_error("slug", error.message)
            except SignupUnavailable as error:
                return render(
                    request,
                    self.template_name,
                    {"form": form, "unavailable": error.message},
                    status=503,
                )
            else:
                # Signed in on arrival: the public host cannot set the tenant host's session.
                return redirect(tenant_first_login_url(tenant=tenant, admin_email=data["email"]))
        return render(request, self.template_name, {"form": form}, status=400)


@method_decorator(find_rate_limits, name="post")
class WorkspaceFindView(View):
    """Forgot which workspace you are on? The list goes to your inbox, never to this page."""

    template_name = "tenancy/find.html"

    def get(self, request):
        return render(request, self.template_name, {"form": WorkspaceFindForm()})

    def post(self, request):
        form = WorkspaceFindForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        workspaces_find_request(
            email=form.cleaned_data["email"], language=translation.get_language()
        )
        return render(
            request, self.template_name, {"sent_to": form.cleaned_data["email"]}, status=202
        )
