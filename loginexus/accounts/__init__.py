"""Accounts: users of a tenant (in its schema) and platform staff (in the public schema)."""
