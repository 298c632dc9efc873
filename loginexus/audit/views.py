"""The audit log's page (`/settings/audit-log/`, admins): newest first, filtered, paginated."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loginexus.accounts.permissions import tenant_admin_required
from loginexus.audit.labels import ACTION_LABELS, OBJECT_LABELS
from loginexus.audit.selectors import audit_entries
from loginexus.i18n.formatting import number

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    action = forms.CharField(max_length=64, required=False, label=_("Action"))
    actor = forms.CharField(max_length=320, required=False, label=_("Who"))
    object_type = forms.CharField(max_length=32, required=False, label=_("Object type"))


def change_shown(value) -> str:
    """A recorded value as people read it: lists joined, booleans in words, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, int | float):
        return number(value)
    return str(value)


def _before_after(change) -> tuple[str, str]:
    if isinstance(change, list | tuple) and len(change) == 2:
        return change_shown(change[0]), change_shown(change[1])
    return "—", change_shown(change)


@tenant_admin_required
def audit_log(request):
    filters = AuditFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    entries = audit_entries(**{name: value for name, value in chosen.items() if value})
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.action_label = ACTION_LABELS.get(entry.action, "")
        entry.object_label = OBJECT_LABELS.get(entry.object_type, entry.object_type)
        entry.changes_shown = [
            (field, *_before_after(change)) for field, change in (entry.changes or {}).items()
        ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {"filters": filters, "page": page, "query": query.urlencode()},
        status=400 if filters.errors else 200,
    )
