"""Every user's address as django-allauth keeps it: one primary address, not yet verified
(verification, address change and password reset read it)."""

from django.db import migrations


def addresses_record(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    known = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        EmailAddress(user_id=user_id, email=email, primary=True, verified=False)
        for user_id, email in User.objects.exclude(pk__in=known).values_list("pk", "email")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_invitations"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(addresses_record, migrations.RunPython.noop)]
