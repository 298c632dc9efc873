"""App configuration of workspace API keys."""

from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "loginexus.apikeys"
    label = "apikeys"
    verbose_name = "API keys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from loginexus.apikeys import schema  # noqa: F401  (the OpenAPI security scheme)
