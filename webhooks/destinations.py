"""Where a webhook may go, and the one way it is sent there: the URL's host is resolved and
every address checked before each delivery, and the request connects to the checked address
(so a name cannot resolve to a public address for the check and a private one for the send).

Outside WEBHOOKS_ALLOW_PRIVATE_URLS (off in production) only public unicast addresses pass; with
WEBHOOKS_REQUIRE_HTTPS (on in production) only https URLs do."""

import ipaddress
import socket
import time
from dataclasses import dataclass
from threading import Lock
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from webhooks.exceptions import DestinationRefused

RESPONSE_BODY_CHARS = 2000
_pools: dict[tuple, urllib3.HTTPConnectionPool] = {}
_pools_lock = Lock()
_POOLS_KEPT = 256


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    address: str
    target: str  # path and query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
    )


def destination_resolve(url: str) -> Destination:
    """The URL's destination with the address to connect to, or DestinationRefused saying why."""
    parts = urlsplit(url)
    allowed = ("https",) if settings.WEBHOOKS_REQUIRE_HTTPS else ("http", "https")
    if parts.scheme not in allowed:
        raise DestinationRefused(_("Webhook URLs must use https."))
    if not parts.hostname or parts.username or parts.password:
        raise DestinationRefused(_("Enter a URL with a host name and no credentials."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise DestinationRefused(_("The URL's port is not valid.")) from error
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as error:
        raise DestinationRefused(
            _("The host %(host)s could not be resolved.") % {"host": parts.hostname}
        ) from error
    addresses = [entry[4][0] for entry in found]
    if not addresses:
        raise DestinationRefused(
            _("The host %(host)s could not be resolved.") % {"host": parts.hostname}
        )
    # Every address must pass: a name that also resolves privately is refused, not dodged.
    if not settings.WEBHOOKS_ALLOW_PRIVATE_URLS and not all(map(address_is_public, addresses)):
        raise DestinationRefused(
            _("The host %(host)s resolves to an address that is not public.")
            % {"host": parts.hostname}
        )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(
        scheme=parts.scheme, host=parts.hostname, port=port, address=addresses[0], target=target
    )


def _pool(destination: Destination) -> urllib3.HTTPConnectionPool:
    key = (destination.scheme, destination.address, destination.port, destination.host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            if len(_pools) >= _POOLS_KEPT:
                for old in _pools.values():
                    old.close()
                _pools.clear()
            if destination.scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    destination.address,
                    destination.port,
                    server_hostname=destination.host,
                    assert_hostname=destination.host,
                    cert_reqs="CERT_REQUIRED",
                    maxsize=4,
                )
            else:
                pool = urllib3.HTTPConnectionPool(destination.address, destination.port, maxsize=4)
            _pools[key] = pool
        return pool


def webhook_post(*, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST the body to the URL's checked address within WEBHOOKS_TIMEOUT_SECONDS, following no
    redirect; whatever goes wrong is the answer's error, never an exception."""
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        destination = destination_resolve(url)
    except DestinationRefused as error:
        return Answer(status_code=None, body="", error=error.message, duration_ms=took())
    try:
        response = _pool(destination).urlopen(
            "POST",
            destination.target,
            body=body,
            headers={
                **headers,
                "Host": destination.host_header,
                "Content-Type": "application/json",
                "User-Agent": "LogiNexus-Webhooks/1",
            },
            timeout=urllib3.Timeout(total=settings.WEBHOOKS_TIMEOUT_SECONDS),
            retries=False,
            redirect=False,
            preload_content=False,
        )
        overlong = True
        try:
            raw = response.read(RESPONSE_BODY_CHARS * 4, decode_content=True)
            overlong = bool(response.read(1))
        finally:
            if overlong:  # the rest stays unread: this connection is not reused
                response.close()
            else:
                response.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return Answer(status_code=None, body="", error=_error_text(error), duration_ms=took())
    text = raw.decode("utf-8", errors="replace")[:RESPONSE_BODY_CHARS]
    return Answer(status_code=response.status, body=text, error="", duration_ms=took())


def _error_text(error: Exception) -> str:
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return _("No answer within %(seconds)s s.") % {"seconds": settings.WEBHOOKS_TIMEOUT_SECONDS}
    return f"{type(error).__name__}: {error}"[:500]
