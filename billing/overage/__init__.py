"""Usage-based overage: Pro shipments past the plan's limit, billed per shipment up to a cap."""
