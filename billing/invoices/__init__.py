"""Invoices as the product shows them: totals, discount, tax and lines from Stripe's fields."""
