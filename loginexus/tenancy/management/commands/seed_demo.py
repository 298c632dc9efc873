"""Seed the public tenant, a platform staff user and the demo tenant `acme` with its story
(idempotent: what is there is kept)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError
from django_tenants.utils import schema_context

from loginexus.exceptions import ApplicationError
from loginexus.tenancy.demo.story import MEMBER_PASSWORD, PENDING_INVITATION, TEAM, demo_story_seed
from loginexus.tenancy.demo.subscription import demo_subscription_ensure
from loginexus.tenancy.models import Tenant
from loginexus.tenancy.selectors import tenant_url
from loginexus.tenancy.services import public_tenant_ensure, tenant_provision

DEMO_SLUG = "acme"


class Command(BaseCommand):
    help = "Creates the public tenant, a staff superuser and the demo tenant (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--print-only", action="store_true", help="Only print URLs and logins.")
        parser.add_argument(
            "--without-stripe",
            action="store_true",
            help="Leave the demo on Free (no subscription in Stripe or the simulator).",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates known logins; it does not run in production.")
        if options["print_only"]:
            self._print()
        else:
            self._seed(with_stripe=not options["without_stripe"])
            self.stdout.write("Demo data is in place.")

    def _seed(self, *, with_stripe: bool) -> None:
        public_tenant_ensure()
        users = get_user_model().objects
        if not users.with_email(settings.DEMO_STAFF_EMAIL).exists():
            users.create_superuser(settings.DEMO_STAFF_EMAIL, settings.DEMO_STAFF_PASSWORD)
        acme = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if acme is None:
            acme = tenant_provision(
                company="Acme Logistics",
                slug=DEMO_SLUG,
                admin_email=settings.DEMO_ADMIN_EMAIL,
                admin_password=settings.DEMO_ADMIN_PASSWORD,
                owner_verified=True,  # the demo's owner may invite at once
            )
        if with_stripe:
            try:
                if demo_subscription_ensure(tenant=acme):
                    self.stdout.write("acme is on Pro, with two paid invoices.")
            except (ApplicationError, LookupError, TimeoutError) as error:
                self.stderr.write(f"acme stays on Free: {error}")
        if demo_story_seed(tenant=acme):
            self.stdout.write("acme's shipments, escrows and team are in place.")

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
                f"login {settings.DEMO_ADMIN_EMAIL} / {settings.DEMO_ADMIN_PASSWORD} (admin)"
            )
            with schema_context(acme.schema_name):
                members = get_user_model().objects.filter(email__in=[e for e, _n, _r in TEAM])
                for member in members:
                    lines.append(f"{'':22}login {member.email} / {MEMBER_PASSWORD} (member)")
            lines.append(f"{'':22}invitation pending for {PENDING_INVITATION}")
        self.stdout.write("\n".join(lines))
