"""What real Stripe costs, on demand: latency on every API call and Stripe's rate limits."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from billing.simulator import DEMO_SECRET_KEY

AUTH = (DEMO_SECRET_KEY, "")


def configure(sim, **changes) -> requests.Response:
    return requests.post(f"{sim.url}/_sim/settings", json=changes, timeout=5)


def list_customers(sim, session: requests.Session | None = None) -> requests.Response:
    return (session or requests).get(f"{sim.url}/v1/customers", auth=AUTH, timeout=10)


def within_one_window(scenario, attempts: int = 5):
    """Run `scenario` (which returns what it saw) until it ran inside one second of the rate
    limit's window: on a busy machine a burst can straddle two windows, and then proves
    nothing. Each attempt starts with a fresh window: the wait before it lets the requests of
    whatever ran just before (an earlier attempt, the previous test) leave the window."""
    for _ in range(attempts):
        time.sleep(1.1)
        started = time.monotonic()
        seen = scenario()
        if time.monotonic() - started < 0.9:
            return seen
    pytest.fail(f"no burst fitted in one second in {attempts} attempts")


def test_settings_show_latency_and_rate_limit_off_by_default(sim):
    answer = requests.get(f"{sim.url}/_sim/settings", timeout=5).json()
    assert (answer["latency_ms"], answer["rate_limit"]) == (0, None)


@pytest.mark.parametrize(
    "changes", [{"latency_ms": -1}, {"latency_ms": "fast"}, {"rate_limit": "sandbox"}]
)
def test_settings_refuse_what_cannot_apply(sim, changes):
    answer = configure(sim, **changes)
    assert answer.status_code == 400
    assert requests.get(f"{sim.url}/_sim/settings", timeout=5).json()["latency_ms"] == 0


def test_latency_is_added_to_every_api_call_and_not_to_the_controls(sim):
    configure(sim, latency_ms=200)
    started = time.monotonic()
    assert list_customers(sim).status_code == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    requests.get(f"{sim.url}/_sim/health", timeout=5)
    assert time.monotonic() - started < 0.15


def test_concurrent_calls_spend_their_latency_side_by_side(sim):
    configure(sim, latency_ms=300)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: list_customers(sim), range(10)))
    elapsed = time.monotonic() - started
    assert [answer.status_code for answer in answers] == [200] * 10
    assert 0.3 <= elapsed < 1.5  # ten calls one after the other would take 3 s


def test_past_the_test_mode_limit_stripe_answers_429_rate_limit_and_should_retry(sim):
    configure(sim, rate_limit="test")
    session = requests.Session()
    answers = within_one_window(lambda: [list_customers(sim, session) for _ in range(30)])
    statuses = [answer.status_code for answer in answers]
    assert statuses[:25] == [200] * 25
    assert set(statuses[25:]) == {429}
    refused = answers[-1]
    assert refused.headers["Stripe-Should-Retry"] == "true"
    assert refused.headers["Request-Id"].startswith("req_")
    error = refused.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "rate_limit")
    assert "rate limit" in error["message"]


def test_the_window_rolls_a_refused_client_gets_through_a_second_later(sim):
    configure(sim, rate_limit="test")
    session = requests.Session()

    def burst():
        return [list_customers(sim, session).status_code for _ in range(26)][-1]

    assert within_one_window(burst) == 429
    time.sleep(1.05)
    assert list_customers(sim, session).status_code == 200


def test_live_mode_allows_100_requests_a_second_across_connections(sim):
    configure(sim, rate_limit="live")
    refused_before = sim.api.costs.rate_limited
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: list_customers(sim).status_code, range(120)))
    elapsed = time.monotonic() - started
    # The window rolls while the calls go on: past a second, more than 100 may get through.
    assert statuses.count(200) == 100 if elapsed < 1 else statuses.count(200) >= 100
    assert statuses.count(429) == sim.api.costs.rate_limited - refused_before > 0


def test_a_refused_post_leaves_its_keep_alive_connection_usable(sim):
    configure(sim, rate_limit="test")
    session = requests.Session()

    def burst():
        for _ in range(25):
            list_customers(sim, session)
        return session.post(
            f"{sim.url}/v1/customers", data={"email": "late@example.com"}, auth=AUTH, timeout=5
        )

    refused = within_one_window(burst)
    assert refused.status_code == 429
    configure(sim, rate_limit=None)
    created = session.post(
        f"{sim.url}/v1/customers", data={"email": "next@example.com"}, auth=AUTH, timeout=5
    )
    assert created.json()["email"] == "next@example.com"
    emails = [customer["email"] for customer in list_customers(sim, session).json()["data"]]
    assert emails == ["next@example.com"]  # the refused one was never created


def test_reset_turns_latency_and_the_rate_limit_off(sim):
    configure(sim, latency_ms=500, rate_limit="test")
    requests.post(f"{sim.url}/_sim/reset", timeout=5)
    answer = requests.get(f"{sim.url}/_sim/settings", timeout=5).json()
    assert (answer["latency_ms"], answer["rate_limit"]) == (0, None)
