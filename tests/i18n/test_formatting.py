"""One format for money, numbers and dates per language (PRODUCT.md: never cents as units)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from loginexus.i18n import formatting

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["$49.00", "€12,500.00", "£0.03", "¥4,900", "$49", "€49.50"]),
        (
            "de",
            ["49,00\xa0$", "12.500,00\xa0€", "0,03\xa0£", "4.900\xa0¥", "49\xa0$", "49,50\xa0€"],
        ),
    ],
)
def test_money_in_minor_units_and_decimals(language, expected):
    with translation.override(language):
        assert [
            formatting.money_minor(4900, "usd"),
            formatting.money(Decimal("12500.00"), "EUR"),
            formatting.money_minor(3, "gbp"),
            formatting.money_minor(4900, "jpy"),  # zero-decimal: 4,900 yen, not 49
            formatting.money_whole(4900, "usd"),
            formatting.money_whole(4950, "eur"),
        ] == [text.replace(" ", "\xa0") for text in expected]


def test_cents_are_never_shown_as_units():
    with translation.override("en"):
        assert "4900" not in formatting.money_minor(4900, "usd").replace(",", "")
        assert formatting.money_minor(None) == ""


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["2,000", "18,000\xa0kg", "12.5\xa0kg"]),
        ("de", ["2.000", "18.000\xa0kg", "12,5\xa0kg"]),
    ],
)
def test_counts_and_weights(language, expected):
    with translation.override(language):
        assert [
            formatting.number(2000),
            formatting.weight(Decimal("18000.000")),
            formatting.weight(Decimal("12.500")),
        ] == [text.replace(" ", "\xa0") for text in expected]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ("Dec 2, 2026, 2:05 PM CET", "Jan 1, 2027", "January 1, 2027")),
        ("de", ("02.12.2026, 14:05 MEZ", "01.01.2027", "1. Januar 2027")),
    ],
)
def test_dates_in_the_active_time_zone_with_the_zone_named(language, expected):
    moment = datetime(2026, 12, 2, 13, 5, tzinfo=UTC)
    with translation.override(language), timezone.override(BERLIN):
        assert (
            formatting.moment(moment),
            formatting.day(date(2027, 1, 1)),
            formatting.day_long(date(2027, 1, 1)),
        ) == expected


def test_a_day_of_a_moment_is_the_day_in_the_active_time_zone():
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    with translation.override("en"), timezone.override(BERLIN):
        assert formatting.day(late) == "Jan 1, 2027"


def test_the_template_filters_are_the_same_functions():
    template = Template(
        "{% load formatting billing %}{{ cents|money_minor:'eur' }}|{{ cents|money:'eur' }}|"
        "{{ kg|weight }}|{{ when|moment }}"
    )
    context = Context(
        {"cents": 4900, "kg": Decimal("2.500"), "when": datetime(2026, 1, 5, 9, tzinfo=UTC)}
    )
    with translation.override("de"), timezone.override(ZoneInfo("UTC")):
        assert template.render(context) == "49,00\xa0€|49,00\xa0€|2,5\xa0kg|05.01.2026, 09:00 UTC"
