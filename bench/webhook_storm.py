"""Webhook storm: the renewals of BENCH_STORM_SUBSCRIPTIONS (default 2,000) subscriptions, five
events each, delivered shuffled with 10 % duplicates while Stripe costs what it costs (the
simulator at 150 ms a call and live mode's 100 requests a second), to gunicorn and one Celery
worker (prefork, 2 processes) on this machine's cores; meanwhile a tenant's admin starts a
checkout every half second. Printed: Stripe calls and queries per event, the time until every
delivery is applied, the 429s Stripe answered, and the checkouts' p99.

Then the same with the processing the product had before, dj-stripe's re-fetching one, which
asks Stripe for every event: it runs on a proportional sample (BENCH_STORM_BEFORE_SHARE of the
subscriptions, default 10 %), and its drain time is scaled up to the whole. Each run is a
process of its own on a fresh database; the subscriptions' starting state is stored as their
creation left it (synced from Stripe's answers). About 20 minutes on two cores.
"""

import json
import os
import subprocess
import sys

from _storm_run import BACKGROUND_RATE, DUPLICATES, LATENCY_MS, WORKER_OPTIONS

N = int(os.environ.get("BENCH_STORM_SUBSCRIPTIONS", "2000"))
BEFORE_SHARE = float(os.environ.get("BENCH_STORM_BEFORE_SHARE", "0.1"))


def main() -> None:
    results = {}
    for path, subscriptions in (("body", N), ("refetching", max(1, round(N * BEFORE_SHARE)))):
        child = subprocess.run(
            [sys.executable, __file__, path, str(subscriptions)],
            stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
        results[path] = json.loads(child.stdout.strip().splitlines()[-1])
    report(results["body"], results["refetching"])


def report(after: dict, before: dict) -> None:
    scale = after["events"] / before["events"]  # the sample's drain and CPU, scaled to the whole

    def row(label: str, new: float, old: float, shape: str, note: str) -> None:
        times = f"{old / new:.1f}x" if new else "n/a"
        print(f"  {label:27} {shape.format(new):>9} {shape.format(old):>9} {times:>12}  {note}")

    print(
        f"webhook storm: {after['subscriptions']:,} subscriptions renewed, {after['events']:,} "
        f"events, {after['deliveries']:,} deliveries (shuffled, {DUPLICATES:.0%} duplicates)"
    )
    print(
        f"  Stripe: {LATENCY_MS} ms a call, live mode's rate limit (100/s); background work "
        f"paced to {BACKGROUND_RATE}/s; one Celery worker ({' '.join(WORKER_OPTIONS)}) and "
        f"gunicorn (2 workers) on {os.cpu_count()} cores"
    )
    print(
        f"  before: dj-stripe's re-fetching processing, on a {before['subscriptions'] / N:.0%} "
        f"sample ({before['events']:,} events, {before['deliveries']:,} deliveries); its drain "
        "time and CPU scaled to the whole"
    )
    print(f"  {'':27} {'after':>9} {'before':>9} {'before/after':>12}")
    row("Stripe calls per event", after["calls_per_event"], before["calls_per_event"],
        "{:.2f}", "(goal <= 0.2)")  # fmt: skip
    row("queries per delivery", after["queries_per_event"], before["queries_per_event"],
        "{:.1f}", f"(goal <= 20; per distinct event {after['queries_per_unique_event']:.1f} "
        f"and {before['queries_per_unique_event']:.1f})")  # fmt: skip
    row("time to drain (s)", after["drain_seconds"], before["drain_seconds"] * scale, "{:.0f}",
        f"(goal < 180; the sample took {before['drain_seconds']:.0f}; all acknowledged after "
        f"{after['delivered_seconds']:.0f} and {before['delivered_seconds']:.0f})")  # fmt: skip
    parts = ", ".join(f"{part} {seconds:.0f}" for part, seconds in after["cpu_by_part"].items())
    row("CPU spent (s)", after["cpu_seconds"], before["cpu_seconds"] * scale, "{:.0f}",
        f"(after: {parts}; load average {after['load_average']:.1f} and "
        f"{before['load_average']:.1f})")  # fmt: skip
    print(f"  {'429s seen':27} {after['rate_limited']:>9} {before['rate_limited']:>9}")
    for run, name in ((after, "after"), (before, "before")):
        print(
            f"  checkout during the storm, {name}: p50 {run['checkout_p50']:.2f} s, p99 "
            f"{run['checkout_p99']:.2f} s over {run['checkouts']} (goal < 2 s), 503s: "
            f"{run['checkout_503s']}, other failures: {run['checkout_failures']}"
        )
    print(f"  failed webhook processing: after {after['failed']}, before {before['failed']}")


if __name__ == "__main__":
    if len(sys.argv) == 3:  # one run, in a process of its own (started by main)
        from _storm_run import run

        print(json.dumps(run(sys.argv[1], int(sys.argv[2]))), flush=True)
    else:
        main()
