"""Password reset tokens bound to the workspace: a reset link made on one workspace's host means
nothing on another's, even where a user there has the same id."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import connection


class WorkspaceResetTokenGenerator(PasswordResetTokenGenerator):
    def _make_hash_value(self, user, timestamp: int) -> str:
        return f"{connection.schema_name}:{super()._make_hash_value(user, timestamp)}"
