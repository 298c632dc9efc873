"""Template filters over `loginexus.i18n.formatting`: `{% load formatting %}`, then
`{{ invoice.amount_due|money_minor:invoice.currency }}`,
`{{ escrow.amount|money:escrow.currency }}`, `{{ shipment.weight_kg|weight }}`,
`{{ count|number }}`, `{{ event.created|moment }}`, `{{ period_end|day }}`."""

from django import template

from loginexus.i18n import formatting

register = template.Library()

FILTERS = ("money", "money_minor", "money_whole", "number", "weight", "moment", "day", "day_long")
for _name in FILTERS:
    register.filter(_name, getattr(formatting, _name))
