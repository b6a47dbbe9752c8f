"""Forms use the error-summary pattern: a list of errors at the top, each linked to its field (DESIGN.md section 7)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESCRIBED_BY = """(el) => (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
    .map(id => document.getElementById(id)).filter(Boolean)
    .map(e => ({id: e.id, cls: e.className, text: e.innerText.trim()}))"""


def test_an_empty_sign_up_lists_each_error_as_a_link_that_leads_to_its_field(site, keyboard):
    page = site.open("/accounts/signup/", lang="en")
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").press("Enter")

    summary = page.get_by_role("alert")
    assert summary.count() == 1 and summary.is_visible()
    assert summary.get_by_role("heading").inner_text() == "There is a problem"
    links = summary.get_by_role("link")
    fields_in_error = page.locator(".field-error").count()
    assert links.count() == fields_in_error == 4, "one link per field in error (name, e-mail, password, role)"

    keys = keyboard(page)
    for i in range(links.count()):
        link = links.nth(i)
        text = link.inner_text()
        link.focus()
        field = keys.press("Enter")

        assert field["tag"] in ("input", "select", "textarea"), f"following {text!r} focused {field}, not a field"
        assert link.get_attribute("href") == f"#{field['id']}"
        control = page.locator(f"#{field['id']}")
        assert control.get_attribute("aria-invalid") == "true", f"{field['id']} is not marked invalid"
        described = [d for d in control.evaluate(DESCRIBED_BY) if "error-message" in d["cls"]]
        assert len(described) == 1, f"{field['id']} is not described by its error message"
        assert described[0]["text"] and described[0]["text"] in text, (described, text)
        assert page.locator(f"#{described[0]['id']}").is_visible()
