"""What an IntegrityError from PostgreSQL says was violated, for writes that leave a rule to the
database instead of asking it first."""

from django.db import IntegrityError, models
from psycopg import errors


def unique_violated(error: IntegrityError, model: type[models.Model]) -> bool:
    """Whether the error is a unique violation on the model's table."""
    cause = error.__cause__
    return isinstance(cause, errors.UniqueViolation) and cause.diag.table_name == (
        model._meta.db_table
    )
