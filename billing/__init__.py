"""Subscription billing: plans, Stripe sync through dj-stripe, entitlements."""
