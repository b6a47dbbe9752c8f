import pytest


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_it_serves_the_home_page_in_the_browser_language(client, db, lang):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    assert f'<html lang="{lang}"' in response.content.decode()


def test_it_has_a_skip_link_and_landmarks(client, db):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<a class="skip-link" href="#main">' in html
    for landmark in ('<header', '<nav', '<main id="main"', '<footer'):
        assert landmark in html


def test_it_serves_its_own_css_and_scripts_from_this_server(client, db):
    html = client.get("/").content.decode()
    assert "http://" not in html.split("<body")[0] and "https://" not in html.split("<body")[0]
    for path in ("/static/qamqor/qamqor.css", "/static/qamqor/icon.svg", "/static/django_htmx/htmx-2.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        b"".join(response.streaming_content) if response.streaming else response.content


def test_pages_send_a_strict_content_security_policy(client, db):
    csp = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp


def test_an_unknown_page_is_a_404_in_the_users_language(client, db):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and "Page not found" in response.content.decode()
