"""Plan changes: what a change costs (now and at the next invoice) and when it takes effect."""
