"""Shipments: what a tenant moves, its status and its history."""
