"""Stripe's side of billing: the one boundary to its API, reading its objects, the catalogue it
sells from, and the webhooks it sends."""
