"""Billing notices: dunning emails and banners, each sent once per Stripe object and kind."""
