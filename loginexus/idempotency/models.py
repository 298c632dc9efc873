"""The first answer to each API POST that carried an `Idempotency-Key`, per credential, in the
tenant's schema; kept IDEMPOTENCY_KEY_HOURS (24)."""

from django.db import models

MAX_KEY_LENGTH = 255


class IdempotentRequest(models.Model):
    # "user:<id>" or "api-key:<id>": a user's session and token share their keys.
    credential = models.CharField(max_length=40)
    key = models.CharField(max_length=MAX_KEY_LENGTH)
    # SHA-256 of the method, the path and the body in canonical form.
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    # Null while the first request runs (its transaction holds the row until it answers).
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "key"], name="idempotent_request_one_per_credential_key"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_created")]

    def __str__(self) -> str:
        return f"{self.credential} {self.key}"
