"""The demo workspace `acme` and its story (PRODUCT.md, "Development server and demo"): a team,
a Pro subscription with paid invoices, shipments and escrows in every status, a usage warning."""
