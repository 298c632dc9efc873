"""Staff screens for tenants and their domains (public host only)."""

from django.contrib import admin
from django.utils.html import format_html

from loginexus.tenancy.models import Domain, Tenant
from loginexus.tenancy.selectors import tenant_url


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ("domain", "is_primary")


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "email", "open_link", "created_at")
    search_fields = ("name", "slug", "email", "schema_name", "domains__domain")
    list_filter = ("created_at",)
    ordering = ("-created_at",)
    readonly_fields = ("schema_name", "created_at", "open_link")
    fields = ("name", "slug", "email", "schema_name", "created_at", "open_link")
    inlines = [DomainInline]

    def get_readonly_fields(self, request, obj=None):
        # The slug names the schema and the host: fixed once the tenant exists.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def has_add_permission(self, request):
        # Tenants are made by signup (tenant_provision), which also clones their schema.
        return False

    def has_delete_permission(self, request, obj=None):
        # A tenant's data is never one click away from deletion.
        return False

    @admin.display(description="Site")
    def open_link(self, tenant: Tenant):
        url = tenant_url(tenant=tenant)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")
    list_select_related = ("tenant",)
    search_fields = ("domain", "tenant__name", "tenant__slug")
    list_filter = ("is_primary",)
    autocomplete_fields = ("tenant",)
