"""EU VAT through Stripe Tax: what checkout collects for it and what invoices say of it."""
