"""The overage part of `/api/v1/billing/`: what GET shows of it and what PATCH accepts."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.overage.rules import CAP_MAX, CAP_MIN
from billing.overage.selectors import OverageState


class MoneyAmountSerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text=_("Minor units (cents)"))
    currency = serializers.CharField()


class OverageSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    cap = serializers.IntegerField(
        allow_null=True, help_text=_("At most this many extra shipments a period.")
    )
    used = serializers.IntegerField(help_text=_("Extra shipments this period."))
    unit_amount = serializers.IntegerField(help_text=_("Per extra shipment, in minor units."))
    currency = serializers.CharField()
    estimated = MoneyAmountSerializer(
        help_text=_("What this period's extra shipments add to the next invoice, before tax.")
    )


def overage_data(state: OverageState) -> dict:
    return {
        "enabled": state.enabled,
        "cap": state.cap,
        "used": state.used,
        "unit_amount": state.unit_amount,
        "currency": state.currency.value,
        "estimated": {"amount": state.estimated, "currency": state.currency.value},
    }


class OverageChoiceSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    cap = serializers.IntegerField(min_value=CAP_MIN, max_value=CAP_MAX, required=False)


class BillingChangeSerializer(serializers.Serializer):
    """What `PATCH /api/v1/billing/` may change."""

    overage = OverageChoiceSerializer()

    def __init__(self, *args, stored_cap: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_cap = stored_cap

    def validate_overage(self, value: dict) -> dict:
        if value["enabled"] and value.get("cap") is None and self.stored_cap is None:
            raise serializers.ValidationError(
                {"cap": [_("Give a cap: at most how many extra shipments a period.")]}
            )
        return value
