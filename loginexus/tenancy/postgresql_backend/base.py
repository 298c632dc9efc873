"""django-tenants' PostgreSQL backend, with table listing that stays cheap as schemas multiply and
no `SET search_path` when the session already has the path the next tenant needs."""

from django.utils.asyncio import async_unsafe
from django_tenants.postgresql_backend import base

from loginexus.tenancy.postgresql_backend.introspection import SchemaIntrospection


class DatabaseWrapper(base.DatabaseWrapper):
    """Every request selects the public schema, then its tenant's (and every schema_context
    selects one and back), and django-tenants issues a SET for each selection that a cursor
    follows. On a reused connection the session usually holds that very path already, so the SET
    was a statement of nearly every request that changed nothing.

    `session_search_path` is the path the session holds: recorded when a SET succeeds, forgotten
    when it may be gone (the connection closed, or the transaction or savepoint that issued it
    rolled back, which PostgreSQL undoes), so a SET is skipped only for a path PostgreSQL still has.
    """

    def __init__(self, *args, **kwargs):
        self.session_search_path = None
        super().__init__(*args, **kwargs)
        self.introspection = SchemaIntrospection(self)

    def set_tenant(self, tenant, include_public=True):
        super().set_tenant(tenant, include_public)
        held = self.session_search_path
        if held is not None and held == self._get_cursor_search_paths():
            self.search_path_set_schemas = held

    def _handle_search_path(self, cursor=None):
        super()._handle_search_path(cursor)
        if not self._setting_search_path:
            self.session_search_path = self.search_path_set_schemas

    def close(self):
        self.session_search_path = None
        super().close()

    @async_unsafe
    def rollback(self):
        self.session_search_path = None
        super().rollback()

    @async_unsafe
    def savepoint_rollback(self, sid):
        try:
            super().savepoint_rollback(sid)
        finally:
            self.session_search_path = None
