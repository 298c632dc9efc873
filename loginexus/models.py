"""Model pieces shared by the apps."""

from django.conf import settings
from django.db import models


class StatusChange(models.Model):
    """One status change of an object: who made it, when, from what to what. Subclasses add the
    object's foreign key and the status fields with their own choices."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
