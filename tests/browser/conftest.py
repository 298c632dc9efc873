"""Playwright driving Debian's chromium, headless, against the live server: a fresh browser per
journey, every page it loads checked by axe-core (0 serious or critical violations), and a
screenshot of each journey's last page under test-output/browser/."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.billing.conftest import billing_ready  # noqa: F401 (a fixture the journeys use)
from tests.browser.accessibility import PageAudit

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "browser"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--no-first-run"]  # fmt: skip


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture
def page(request, monkeypatch) -> Iterator[Page]:
    """A fresh browser per journey. Playwright's sync API keeps an event loop running in this
    thread while it is up, so it is up only for the journey, and the journey's own ORM calls
    (synchronous, between browser steps) are allowed meanwhile."""
    executable = chromium_path()
    if executable is None:
        message = "Debian's chromium is not installed (.ci/run installs it)"
        if os.environ.get("LOGINEXUS_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        # What the Content Security Policy blocked, as chromium reports it on the console.
        blocked: list[str] = []
        page.on(
            "console",
            lambda message: (
                blocked.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        audit = PageAudit()
        page.on("load", audit)
        yield page
        audit(page)  # the page the journey ends on, whatever it waited for
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
        browser.close()
    assert not blocked, "the page broke its Content Security Policy:\n" + "\n".join(blocked)
    assert audit.checked, "no page of the journey was checked for accessibility"
    assert not audit.violations, "serious or critical accessibility violations:\n" + "\n".join(
        dict.fromkeys(audit.violations)
    )


@pytest.fixture
def live_site(web_server: str, settings) -> str:
    """The live server's origin, with the links the app builds (upgrade, emails) pointing to it."""
    settings.SITE_PORT = web_server.rsplit(":", 1)[1]
    return web_server
