"""django-tenants' PostgreSQL backend, with table listing that stays cheap as schemas multiply."""
