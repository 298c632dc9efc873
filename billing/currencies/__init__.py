"""Which currency a workspace is billed in: USD, EUR or GBP (every price's `currency_options`)."""
