"""Report whether the template schema is current and matches a real tenant's schema."""

from django.core.management import BaseCommand, CommandError

from loginexus.tenancy.template import template_problems


class Command(BaseCommand):
    help = "Checks that the tenant template schema has every migration and a tenant's structure."

    def add_arguments(self, parser):
        parser.add_argument(
            "--against", help="Schema of the tenant to compare with (default: newest)."
        )

    def handle(self, *args, **options):
        problems = template_problems(reference_schema=options.get("against"))
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(self.style.SUCCESS("The tenant template schema is current."))
