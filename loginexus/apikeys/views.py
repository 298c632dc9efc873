"""The API keys page (admins): the workspace's keys, a new one (shown once, on the answer to
its creation), and revoking after a confirmation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from loginexus.accounts.permissions import tenant_admin_required
from loginexus.accounts.selectors import email_is_verified
from loginexus.apikeys.forms import ApiKeyForm
from loginexus.apikeys.selectors import api_key_list
from loginexus.apikeys.services import api_key_create, api_key_revoke
from loginexus.forms import errors_onto


@tenant_admin_required
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = api_key_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(time_zone=request.user.time_zone),
                created_by=request.user,
            )
        except ValidationError as error:
            errors_onto(form, error)
        else:
            form = ApiKeyForm()
    return render(
        request,
        "apikeys/api_keys.html",
        {
            "form": form,
            "created": created,
            "api_keys": api_key_list(),
            "email_verified": email_is_verified(user=request.user),
        },
        status=400 if form.errors else 201 if created else 200,
    )


@tenant_admin_required
def api_key_revoke_page(request, pk: int):
    """GET asks to confirm and says what will happen; POST revokes (there is no undo: a new
    key is made instead)."""
    api_key = get_object_or_404(api_key_list(), pk=pk)
    if request.method != "POST":
        return render(request, "apikeys/revoke.html", {"api_key": api_key})
    api_key = api_key_revoke(api_key=api_key)
    messages.success(
        request,
        _("The key %(prefix)s… (%(name)s) is revoked: it no longer works.")
        % {"prefix": api_key.prefix, "name": api_key.name},
    )
    return redirect("apikeys:index")
