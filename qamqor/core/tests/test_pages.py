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
