"""Browser tests: one headless Chromium for the session, one fresh context (cookies, language) per page.

Chromium comes from the system (Debian's `chromium` package), never from `playwright install`. Outside CI a
missing Chromium skips these tests with one line; with CI=true it fails them, so CI can never go green without them.
"""

import json
import os
from pathlib import Path
from urllib.parse import urlparse

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


def pytest_runtest_setup(item):
    """Before any fixture (so no database is built for nothing): skip, or in CI fail, when Chromium is missing."""
    if "browser" in item.fixturenames and not CHROMIUM.exists():
        if in_ci():
            pytest.fail(MISSING + " CI=true: the browser tests must run.", pytrace=False)
        pytest.skip(MISSING)


# The session's one Chromium (`browser`) is in the root conftest.py: browser tests outside tests/browser share it,
# since a second Playwright in the same process would find the first one's event loop running.


@pytest.fixture
def regions(transactional_db):
    """The 20 regions, reloaded: a transactional test's flush empties the table the data migration filled."""
    from qamqor.core.models import Region
    from qamqor.core.reference import load_regions

    load_regions(Region)
    return {r.kato_code: r for r in Region.objects.all()}


@pytest.fixture
def holidays(transactional_db):
    """The public holidays, reloaded like the regions (only the pages that show them need them)."""
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

    def context(self, *, lang="en", scheme=None, user=None, verified=True):
        """A new browser context: Accept-Language `lang`, an accessibility cookie, and `user`'s session if given
        (with the second factor confirmed unless `verified` is false)."""
        context = self.browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                           viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        cookies = []
        if scheme is not None:
            cookies.append({"name": "qamqor_a11y", "value": a11y_cookie(scheme=scheme), "url": self.base})
        if user is not None:
            if verified:
                client = self.client_for(user)
            else:
                from django.test import Client

                client = Client()
                client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            cookies.append({"name": "sessionid", "value": client.cookies["sessionid"].value, "url": self.base})
        if cookies:
            context.add_cookies(cookies)
        return context

    def page(self, **kwargs):
        return self.context(**kwargs).new_page()

    def open(self, path: str, *, status=200, **kwargs):
        """Open `path` in a new page; fails if the page's status is not `status` or a stylesheet, script or image
        of the site did not load (a page without its CSS has neither its contrast nor its target sizes)."""
        page = self.page(**kwargs)
        broken = []
        page.on("response", lambda r: broken.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.request.resource_type != "document" else None)
        page.on("requestfailed", lambda r: broken.append(f"{r.failure} {r.url}"))
        response = page.goto(self.url(path))
        assert response is not None and response.status == status, \
            f"{path} answered {response and response.status} (at {page.url}), expected {status}"
        assert urlparse(page.url).path == urlparse(self.url(path)).path, f"{path} was redirected to {page.url}"
        assert not broken, f"{path} loads files the server does not serve: {broken}"
        return page

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
    """explain(violations) -> a readable list: rule, impact, and the first elements that break it."""
    return describe


@pytest.fixture
def read_cookie():
    return cookie_json


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
    """The JSON value of a cookie the site set in this browser context, or None."""
    from django.http.cookie import parse_cookie

    for cookie in context.cookies():
        if cookie["name"] == name:
            # Read it as Django does: the value is quoted, with its commas and quotes escaped.
            return json.loads(parse_cookie(f"{name}={cookie['value']}")[name])
    return None


class Keyboard:
    """Moving through a page with the keyboard alone, and reading where the focus is."""

    FOCUSED = """() => { const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '',
                type: e.getAttribute('type') || '', value: e.value === undefined ? '' : String(e.value),
                checked: !!e.checked,
                text: (e.innerText || '').trim(), cls: e.className || '', inMain: !!e.closest('main'),
                label: e.labels && e.labels.length ? e.labels[0].innerText.trim() : ''}; }"""

    def __init__(self, page):
        self.page = page

    def focused(self) -> dict:
        return self.page.evaluate(self.FOCUSED)

    def press(self, key: str) -> dict:
        self.page.keyboard.press(key)
        return self.focused()

    def move_until(self, key: str, matches, *, limit: int, what: str) -> dict:
        """Press `key` until the focused element matches; fails after `limit` presses (a trap, or a control lost)."""
        trail = []
        now = self.focused()
        for presses in range(limit + 1):
            if matches(now):
                return now
            trail.append(f"{now['tag']}#{now['id']}[{now['name']}={now['value']}] {now['text'][:30]!r}")
            if presses < limit:
                now = self.press(key)
        raise AssertionError(f"{what} not reached after {limit} presses of {key}; focus went: " + " -> ".join(trail))

    def tab_until(self, matches, *, limit: int = 40, what: str = "the control") -> dict:
        return self.move_until("Tab", matches, limit=limit, what=what)


@pytest.fixture
def keyboard():
    return Keyboard


def log_in_with_the_form(page, email, password):
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


@pytest.fixture
def log_in():
    """log_in(page, email, password): the login form filled and sent (for tests whose subject is not the log-in)."""
    return log_in_with_the_form
