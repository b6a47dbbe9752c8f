import pytest

@pytest.mark.browser
def test_probe(site):
    page = site.page(lang="en")
    page.on("console", lambda m: print("CONSOLE", m.text))
    page.on("response", lambda r: print("RESP", r.status, r.url))
    page.goto(site.url("/"))
    print(page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor"))
    print(page.evaluate("JSON.stringify(document.querySelector('.main-nav a').getBoundingClientRect())"))
