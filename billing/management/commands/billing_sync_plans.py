"""Create or update the plans' products and prices, the overage meter and its metered prices, the
coupons and promotion codes in Stripe, and the webhook endpoint."""

from django.core.management import BaseCommand

from billing.overage.catalog import overage_prices_sync
from billing.promotions.services import promotions_sync
from billing.stripe.catalog import plans_sync, webhook_endpoint_ensure


class Command(BaseCommand):
    help = (
        "Syncs the plans to Stripe products and prices, the overage meter and its metered "
        "prices, and the coupons and promotion codes; "
        "optionally ensures the webhook endpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--webhook-base-url",
            help="Origin of the public host (e.g. http://localhost:8000): ensure Stripe's "
            "webhook endpoint points at it.",
        )

    def handle(self, *args, **options):
        for price in plans_sync():
            self.stdout.write(f"  {price.lookup_key:20} {price.id}")
        for price in overage_prices_sync():
            self.stdout.write(f"  {price.lookup_key:20} {price.id}")
        for promotion in promotions_sync():
            self.stdout.write(f"  {promotion.code:20} {promotion.promotion_code_id}")
        if options["webhook_base_url"]:
            endpoint = webhook_endpoint_ensure(base_url=options["webhook_base_url"])
            self.stdout.write(f"  webhook endpoint     {endpoint.url}")
        self.stdout.write(self.style.SUCCESS("Stripe is in step with the plans."))
