"""The one way the product formats money, numbers and dates, for the active language and time
zone (Babel's CLDR data): every page, email and admin screen goes through these functions,
directly or through the `formatting` template filters.

Money comes in two kinds: Stripe's minor units (an int of cents, `money_minor`) and the
domain's Decimals (an escrow's amount, `money`). Both end as one format per language:
"$49.00" / "49,00 $", "€1,250.50" / "1.250,50 €".
"""

from datetime import date, datetime
from decimal import Decimal

from babel import Locale, numbers
from babel.dates import format_date, format_datetime
from django.utils import timezone, translation

# Currencies without minor units (Stripe's list of zero-decimal currencies we might meet).
ZERO_DECIMAL_CURRENCIES = frozenset({"jpy", "krw", "vnd", "clp", "pyg", "xaf", "xof", "ugx"})


def locale_name() -> str:
    """The Babel locale of the active language: "en" → "en_US", "de" → "de_DE"."""
    language = translation.get_language() or "en"
    return {"en": "en_US", "de": "de_DE"}.get(language.split("-")[0], "en_US")


def minor_to_decimal(minor_units: int, currency: str) -> Decimal:
    exponent = 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2
    return Decimal(int(minor_units)).scaleb(-exponent)


def money(amount: Decimal | int | str | None, currency: str | None = "usd") -> str:
    """A Decimal amount in `currency` (ISO code, any case): "$12,500.00" / "12.500,00 $"."""
    if amount is None or amount == "":
        return ""
    code = (currency or "usd").upper()
    return numbers.format_currency(Decimal(str(amount)), code, locale=locale_name())


def money_minor(minor_units: int | None, currency: str | None = "usd") -> str:
    """Stripe's minor units in `currency`: `4900, "usd"` → "$49.00" (never cents as units)."""
    if minor_units is None or minor_units == "":
        return ""
    currency = currency or "usd"
    return money(minor_to_decimal(minor_units, currency), currency)


def money_whole(minor_units: int | None, currency: str | None = "usd") -> str:
    """A price without its cents when it has none ("$49", "49 €"); cents shown when it has."""
    if minor_units is None:
        return ""
    currency = currency or "usd"
    amount = minor_to_decimal(minor_units, currency)
    if amount == amount.to_integral_value():
        pattern = Locale.parse(locale_name()).currency_formats["standard"].pattern
        return numbers.format_currency(
            amount,
            currency.upper(),
            format=pattern.replace(".00", ""),
            locale=locale_name(),
            currency_digits=False,
        )
    return money(amount, currency)


def number(value: int | Decimal | float | None, digits: int | None = None) -> str:
    """A count or measure with the language's grouping and decimal sign ("2,000" / "2.000");
    trailing zeros dropped unless `digits` fixes them."""
    if value is None or value == "":
        return ""
    value = Decimal(str(value))
    if digits is None:
        value = value.normalize() if value == value.to_integral_value() else value
        text = numbers.format_decimal(value, locale=locale_name(), decimal_quantization=False)
        if value != value.to_integral_value():
            text = text.rstrip("0")
        return text
    return numbers.format_decimal(
        value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=locale_name()
    )


def weight(kilograms: Decimal | float | int | None) -> str:
    """A weight in kilograms: "18,000 kg" / "18.000 kg", "12.5 kg" / "12,5 kg"."""
    if kilograms is None or kilograms == "":
        return ""
    return f"{number(kilograms)}\u00a0kg"


def _aware(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.utc)
    return timezone.localtime(moment)


def moment(value: datetime | None) -> str:
    """A point in time in the active time zone, with the zone named:
    "Dec 2, 2026, 2:05 PM CET" / "02.12.2026, 14:05 MEZ"."""
    if value is None or value == "":
        return ""
    local = _aware(value)
    locale = locale_name()
    day_text = format_date(local.date(), "medium", locale=locale)
    if locale.startswith("de"):  # German names the zones ("MEZ"); English CLDR only the US's
        clock = format_datetime(local, "HH:mm zzz", tzinfo=local.tzinfo, locale=locale)
    else:
        clock = f"{format_datetime(local, 'h:mm a', tzinfo=local.tzinfo, locale=locale)} "
        clock += local.tzname() or ""
    return f"{day_text}, {clock.strip()}"


def day(value: date | datetime | None) -> str:
    """A calendar day: "Dec 2, 2026" / "02.12.2026" (a datetime in the active time zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = _aware(value).date()
    return format_date(value, "medium", locale=locale_name())


def day_long(value: date | datetime | None) -> str:
    """A day written out, for sentences: "January 1, 2027" / "1. Januar 2027"."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = _aware(value).date()
    return format_date(value, "long", locale=locale_name())
