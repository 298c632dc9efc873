from django_tenants.postgresql_backend import base

from loginexus.tenancy.postgresql_backend.introspection import SchemaIntrospection


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.introspection = SchemaIntrospection(self)
