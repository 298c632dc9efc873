"""Coupons and promotion codes: defined in code beside the plans, kept in step with Stripe."""
