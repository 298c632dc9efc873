"""Platform staff's view of billing: admin screens, tenants' standings, platform metrics, charts."""
