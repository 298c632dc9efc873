"""The accessibility check of every page the browser tests load: axe-core (the copy shipped
with axe-playwright-python) injected into the page; serious and critical violations fail."""

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

BLOCKING = {"serious", "critical"}
# Pages whose markup is not ours: Swagger UI (drf-spectacular-sidecar's copy) builds the API docs.
NOT_OURS = ("/api/docs/",)
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page: Page) -> list[str]:
    """The page's serious or critical violations, one line each (rule, impact, where)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "tags => axe.run(document,"
        " {resultTypes: ['violations'], runOnly: {type: 'tag', values: tags}})",
        RULE_TAGS,
    )
    return [
        f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in violation["nodes"][:3])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


class PageAudit:
    """Checks each page as it loads (Playwright runs the handler while the journey waits on the
    browser) and the page a journey ends on."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.violations: list[str] = []

    def __call__(self, page: Page) -> None:
        if page.url.startswith(("about:", "data:", "chrome-error:")) or any(
            part in page.url for part in NOT_OURS
        ):
            return
        try:
            found = axe_violations(page)
        except PlaywrightError:
            return  # the page went on meanwhile: the next one is checked
        self.checked.append(page.url)
        self.violations.extend(found)
