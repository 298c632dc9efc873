"""The audit log: every write by a person or an API key (who, what, when, from where, which
fields changed), in the workspace's own schema."""
