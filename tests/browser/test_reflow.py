"""WCAG 1.4.10 (reflow): on a 320-pixel-wide phone, with the text at 200%, nothing makes the page scroll sideways —
the shared header with its menu, language buttons and opened accessibility panel included, in each language (Kazakh
and Russian words are long). A wide data table may scroll inside its own region (`.table-wrap`), which WCAG allows."""

import pytest

from qamqor.accounts.models import Role
from tests.browser.conftest import a11y_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEWAYS = """() => {
    const width = document.documentElement.clientWidth;
    const scroll = document.documentElement.scrollWidth - width;
    const out = [...document.querySelectorAll('body *')]
        .filter(e => e.checkVisibility() && !e.closest('.table-wrap, details:not([open])'))
        .filter(e => e.getBoundingClientRect().right > width + 1)
        .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
        .map(e => `<${e.tagName.toLowerCase()} class="${e.className}">${e.textContent.trim().slice(0, 30)}`);
    return {scroll, out: out.slice(0, 5)};
}"""


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "signed-in"])
def test_the_pages_fit_a_phone_with_the_text_at_200_percent(site, make_user, signed_in):
    user = make_user("reflow@test.kz", Role.BENEFICIARY) if signed_in else None
    problems = []
    for lang in ("kk", "ru", "en"):
        context = site.context(lang=lang, user=user)
        context.add_cookies([{"name": "qamqor_a11y", "value": a11y_cookie(font_size=200), "url": site.base}])
        page = context.new_page()
        page.set_viewport_size({"width": 320, "height": 640})
        for path in ("/", "/holidays/") + (("/dashboard/",) if signed_in else ("/accounts/login/",)):
            page.goto(site.url(path))
            for panel in (False, True):
                if panel:
                    page.locator("details.a11y-panel > summary").click()
                found = page.evaluate(SIDEWAYS)
                if found["scroll"] > 1 or found["out"]:
                    where = f"[{lang}] {path}{' with the accessibility panel open' if panel else ''}"
                    problems.append(f"{where}: scrolls sideways by {found['scroll']}px; sticking out: {found['out']}")
        context.close()
    assert not problems, "\n".join(problems)
