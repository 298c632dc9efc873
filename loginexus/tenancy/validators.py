"""Rules for a tenant's slug: a DNS label that names no host the platform or the internet's
conventions keep for themselves (a `login.<domain>` or `mail.<domain>` tenant would be a
phishing host)."""

import re

from django.core.exceptions import ValidationError

SLUG_MAX_LENGTH = 40
# Names of the platform's own hosts and pages, and the host names people trust by convention.
RESERVED_SLUGS = frozenset(
    """
    about abuse account accounts admin administrator api app apps assets auth autoconfig
    autodiscover billing blog cdn checkout cname console cpanel dashboard demo dev
    developer developers dns docs download downloads email files ftp git help host
    hostmaster id identity imap info internal intranet invoice invoices legal localdomain
    localhost login logout mail mailer media monitor mta mx my noc noreply
    no-reply ns oauth ops pay payment payments phpmyadmin pop pop3 portal
    postmaster preview privacy prod production public register root sales secure security
    server service services signin signout signup sip smtp sso stage staging staff static
    stats status stripe support sysadmin system team template tenant terms test testing
    tls tmp upload uploads user users vpn webmail webmaster wiki wpad www
    """.split()
)
# Numbered hosts of the same kinds: www2, ns1, mx10, smtp3, mail2, ...
RESERVED_PATTERN = re.compile(
    r"^(?:www|ns|dns|mx|mail|smtp|imap|pop|ftp|api|cdn|static|app|dev|test|stage|staging|prod|"
    r"admin|login|auth|sso|status|vpn|webmail)[0-9]+$"
)
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def validate_tenant_slug(value: str) -> None:
    if len(value) < 3:
        raise ValidationError("Use at least 3 characters.", code="too_short")
    if len(value) > SLUG_MAX_LENGTH:
        raise ValidationError(f"Use at most {SLUG_MAX_LENGTH} characters.", code="too_long")
    if not _DNS_LABEL.match(value):
        raise ValidationError(
            "Use lowercase letters, digits and hyphens; start and end with a letter or digit.",
            code="invalid",
        )
    if "--" in value:
        raise ValidationError("Do not use two hyphens in a row.", code="invalid")
    if value in RESERVED_SLUGS or RESERVED_PATTERN.match(value):
        raise ValidationError(
            f'"{value}" is reserved: it names one of the platform\'s own hosts or a host name '
            "people trust by convention (such as mail, login, www or admin). Choose another.",
            code="reserved",
        )


def schema_name_for_slug(slug: str) -> str:
    """Schema names cannot hold hyphens; the prefix keeps them apart from PostgreSQL's own."""
    return "t_" + slug.replace("-", "_")
