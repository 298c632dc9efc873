"""Seed the public tenant, a platform staff user and the demo tenant `acme` (idempotent)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_url
from loginexus.tenancy.services import public_tenant_ensure, tenant_provision

DEMO_SLUG = "acme"


class Command(BaseCommand):
    help = "Creates the public tenant, a staff superuser and the demo tenant (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--print-only", action="store_true", help="Only print URLs and logins.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates known logins; it does not run in production.")
        if options["print_only"]:
            self._print()
        else:
            self._seed()
            self.stdout.write("Demo data is in place.")

    def _seed(self) -> None:
        public_tenant_ensure()
        users = get_user_model().objects
        if not users.with_email(settings.DEMO_STAFF_EMAIL).exists():
            users.create_superuser(settings.DEMO_STAFF_EMAIL, settings.DEMO_STAFF_PASSWORD)
        if not Tenant.objects.filter(slug=DEMO_SLUG).exists():
            tenant_provision(
                company="Acme Logistics",
                slug=DEMO_SLUG,
                admin_email=settings.DEMO_ADMIN_EMAIL,
                admin_password=settings.DEMO_ADMIN_PASSWORD,
                owner_verified=True,  # the demo's owner may invite at once
            )

    def _print(self) -> None:
        base = f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}"
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        acme = Tenant.objects.filter(slug=DEMO_SLUG).first()
        lines = [
            "",
            "LogiNexus is running:",
            f"  Public site:        {base}{port}/",
            f"  Platform admin:     {base}{port}/admin/   "
            f"login {settings.DEMO_STAFF_EMAIL} / {settings.DEMO_STAFF_PASSWORD}",
        ]
        if acme:
            lines.append(
                f"  Demo tenant (acme): {tenant_url(tenant=acme)}   "
                f"login {settings.DEMO_ADMIN_EMAIL} / {settings.DEMO_ADMIN_PASSWORD}"
            )
        self.stdout.write("\n".join(lines))
