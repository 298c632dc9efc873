"""Who is asking: the client's address, read the one way the product reads it (behind a proxy,
from the header the proxy sets: settings.RATELIMIT_IP_META_KEY, as rate limits read it)."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    return request.META.get(settings.RATELIMIT_IP_META_KEY, "") or ""
