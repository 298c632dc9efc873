"""Command line: ``python -m billing.simulator`` serves the simulator until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import logging

from . import DEFAULT_HOST, DEFAULT_PORT, DEMO_SECRET_KEY
from .app import Simulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m billing.simulator", description="Local Stripe simulator"
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--state-file", default=None, help="save and load state as JSON here")
    parser.add_argument("--webhook-url", default=None, help="register a webhook endpoint")
    parser.add_argument("--webhook-secret", default=None, help="its whsec_ signing secret")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    simulator = Simulator(args.host, args.port, state_file=args.state_file)
    if args.webhook_url:
        known = [e for e in simulator.state.all("webhook_endpoint") if e["url"] == args.webhook_url]
        if not known:
            endpoint = simulator.add_webhook_endpoint(args.webhook_url, secret=args.webhook_secret)
            print(f"Webhook endpoint {endpoint['url']} secret {endpoint['secret']}", flush=True)
    print(f"Stripe simulator on {simulator.url} (key e.g. {DEMO_SECRET_KEY})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        simulator.serve_forever()


if __name__ == "__main__":
    main()
