"""A webhook receiver of the tests' own (not the product's code): an HTTP server in a thread
that records what arrives and answers with the statuses it is given, and the Standard Webhooks
verification, implemented here from the published algorithm."""

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)  # statuses to answer first, in turn
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.received)} of {count} deliveries arrived in {timeout} s")


def receiver_start() -> tuple[Receiver, ThreadingHTTPServer]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver = holder["receiver"]
            with receiver.lock:
                receiver.received.append(
                    Received(
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                        at=time.time(),
                    )
                )
                status = receiver.answers.pop(0) if receiver.answers else 200
            answer = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder["receiver"], server


def signature_valid(secret: str, received: Received, tolerance: int = 300) -> bool:
    """Standard Webhooks: any `v1,<sig>` entry of webhook-signature equals the base64
    HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>", keyed by the base64-decoded part
    after `whsec_`, and the timestamp is within `tolerance` seconds of now."""
    message_id = received.headers["webhook-id"]
    timestamp = received.headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    entries = received.headers["webhook-signature"].split(" ")
    return any(
        version == "v1" and hmac.compare_digest(signature, expected)
        for version, _, signature in (entry.partition(",") for entry in entries)
    )
