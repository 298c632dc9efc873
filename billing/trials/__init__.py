"""Trials: 14 days of a paid plan without a card, once per tenant."""
