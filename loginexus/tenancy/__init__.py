"""Tenancy: tenants, their domains and schemas, signup and provisioning."""
