"""Rules for a tenant's slug: a DNS label that names no host the platform or the internet's
conventions keep for themselves (a `login.<domain>` or `mail.<domain>` tenant would be a
phishing host); and for its billing details: country, tax ID and time zone."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from billing.stripe.boundary import tax_id_types
from loginexus.tenancy.countries import COUNTRIES

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
        raise ValidationError(_("Use at least 3 characters."), code="too_short")
    if len(value) > SLUG_MAX_LENGTH:
        raise ValidationError(
            _("Use at most %(count)s characters.") % {"count": SLUG_MAX_LENGTH}, code="too_long"
        )
    if not _DNS_LABEL.match(value):
        raise ValidationError(
            _("Use lowercase letters, digits and hyphens; start and end with a letter or digit."),
            code="invalid",
        )
    if "--" in value:
        raise ValidationError(_("Do not use two hyphens in a row."), code="invalid")
    if value in RESERVED_SLUGS or RESERVED_PATTERN.match(value):
        raise ValidationError(
            _(
                "“%(slug)s” is reserved: it names one of the platform's own hosts or a host "
                "name people trust by convention (such as mail, login, www or admin). Choose "
                "another."
            )
            % {"slug": value},
            code="reserved",
        )


def schema_name_for_slug(slug: str) -> str:
    """Schema names cannot hold hyphens; the prefix keeps them apart from PostgreSQL's own."""
    return "t_" + slug.replace("-", "_")


def validate_country(value: str) -> None:
    if value not in COUNTRIES:
        raise ValidationError(
            _("%(value)s is not a country code; use ISO 3166's two letters, such as DE or US."),
            code="invalid_country",
            params={"value": value},
        )


def validate_tax_id_type(value: str) -> None:
    if value not in tax_id_types():
        raise ValidationError(
            _("%(value)s is not a type of tax ID; use one such as eu_vat, gb_vat or us_ein."),
            code="invalid_tax_id_type",
            params={"value": value},
        )


# The format of each EU member state's VAT number (the EU's VIES), after its country prefix;
# Greece's prefix is EL, Northern Ireland's XI.
EU_VAT_FORMATS = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[0-9A-Z]\d{7}[0-9A-Z]",
    "FI": r"\d{8}",
    "FR": r"[0-9A-Z]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}
TAX_ID_VALUE_MAX_LENGTH = 64
_TAX_ID_SEPARATORS = re.compile(r"[\s.\-]")
_TAX_ID_CHARACTERS = re.compile(r"^[0-9A-Za-z+*/\- .]+$")


# A UK VAT number: 9 digits, 12 for a branch, or a government department's or health
# authority's GD/HA and 3 digits.
GB_VAT_FORMAT = re.compile(r"GB(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})")
_VAT_TYPES = ("eu_vat", "gb_vat")


def tax_id_value_normalised(tax_type: str, value: str) -> str:
    """The value as it is stored and sent: trimmed; a VAT number also upper-cased and without
    the spaces, dots and hyphens people write into it."""
    value = value.strip()
    if tax_type in _VAT_TYPES:
        value = _TAX_ID_SEPARATORS.sub("", value).upper()
    return value


def _is_vat_number(tax_type: str, value: str) -> bool:
    if tax_type == "gb_vat":
        return bool(GB_VAT_FORMAT.fullmatch(value))
    pattern = EU_VAT_FORMATS.get(value[:2])
    return pattern is not None and bool(re.fullmatch(pattern, value[2:]))


def validate_tax_id_value(tax_type: str, value: str) -> None:
    """A sensible value for its type: a VAT number (EU, UK) in its country's format; any other,
    a short run of letters, digits and the usual separators (Stripe checks the rest)."""
    if len(value) > TAX_ID_VALUE_MAX_LENGTH or not _TAX_ID_CHARACTERS.match(value):
        raise ValidationError(
            _("Enter the tax ID as it is written on your documents."), code="invalid_tax_id"
        )
    if tax_type in _VAT_TYPES and not _is_vat_number(tax_type, value):
        raise ValidationError(
            _(
                "%(value)s is not a VAT number of this type: it starts with the country's code "
                "and follows that country's format, such as DE123456789 or GB123456789."
            ),
            code="invalid_vat_number",
            params={"value": value},
        )


def validate_time_zone(value: str) -> None:
    """The same rule as a person's time zone."""
    # The accounts app's models import billing, whose models import this app's.
    from loginexus.accounts.models import validate_time_zone as person_time_zone

    person_time_zone(value)
