"""Template filters of billing: amounts in Stripe's minor units shown as money, in the one
format of `loginexus.i18n.formatting`."""

from django import template

from loginexus.i18n.formatting import money_minor

register = template.Library()

register.filter("money", money_minor)
