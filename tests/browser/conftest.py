"""Browser tests: one headless Chromium for the session, one fresh context (cookies, language) per page.

Chromium comes from the system (Debian's `chromium` package), never from `playwright install`. Outside CI a
missing Chromium skips these tests with one line; with CI=true it fails them, so CI can never go green without them.
"""

import json
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
MISSING = (f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH) "
           "to run the browser tests.")
# Short waits: every page is served by the local live server, so anything slower is a failure worth seeing.
TIMEOUT_MS = 10_000

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if in_ci():
            pytest.fail(MISSING, pytrace=False)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def regions(transactional_db):
    """The 20 regions, reloaded: a transactional test's flush empties the table the data migration filled."""
    from qamqor.core.models import Region
    from qamqor.core.reference import load_regions

    load_regions(Region)
    return {r.kato_code: r for r in Region.objects.all()}


@pytest.fixture
def holidays(transactional_db):
    from qamqor.core.models import Holiday
    from qamqor.core.reference import load_holidays

    load_holidays(Holiday)


def a11y_cookie(**settings) -> str:
    from qamqor.core.accessibility import DEFAULTS, to_cookie

    return to_cookie({**DEFAULTS, **settings})


class Site:
    """The live site as a browser sees it: opens pages in fresh contexts, as a visitor or as a signed-in user."""

    def __init__(self, browser, live_server, client_for):
        self.browser = browser
        self.base = live_server.url
        self.client_for = client_for
        self.contexts = []

    def url(self, path: str) -> str:
        return self.base + path

    def context(self, *, lang="en", scheme=None, user=None):
        """A new browser context: Accept-Language `lang`, an accessibility cookie, and `user`'s session if given."""
        context = self.browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                           viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        cookies = []
        if scheme is not None:
            cookies.append({"name": "qamqor_a11y", "value": a11y_cookie(scheme=scheme), "url": self.base})
        if user is not None:
            client = self.client_for(user)
            cookies.append({"name": "sessionid", "value": client.cookies["sessionid"].value, "url": self.base})
        if cookies:
            context.add_cookies(cookies)
        return context

    def page(self, **kwargs):
        return self.context(**kwargs).new_page()

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def site(browser, live_server, client_for, regions):
    site = Site(browser, live_server, client_for)
    yield site
    site.close()


@pytest.fixture
def axe():
    """axe(page) -> the list of WCAG A/AA violations axe-core finds on the page as it is now."""
    return axe_violations


@pytest.fixture
def explain():
    return describe


def axe_violations(page) -> list[dict]:
    """Run axe-core (the copy shipped with axe-playwright-python) on the page; WCAG 2.0-2.2 A and AA rules only."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    return results.response["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['failureSummary'].splitlines()[-1].strip()}")
            lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)


def cookie_json(context, name="qamqor_a11y"):
    for cookie in context.cookies():
        if cookie["name"] == name:
            value = cookie["value"]
            if value.startswith('"'):  # Django quotes cookie values holding commas and quotes
                value = json.loads(value)
            return json.loads(value)
    return None
