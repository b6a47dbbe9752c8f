import json

from qamqor.accounts.models import Role
from qamqor.core.models import AccessibilityPreference


def test_a_visitors_choice_is_remembered_in_a_cookie(client, db):
    response = client.post("/accessibility/", {"font_size": "200", "letter_spacing": "wide", "line_height": "double",
                                               "scheme": "yellow", "images": "0", "next": "/organizations/"})
    assert response.status_code == 302 and response.url == "/organizations/"
    assert json.loads(response.cookies["qamqor_a11y"].value)["scheme"] == "yellow"
    html = client.get("/").content.decode()
    for cls in ("a11y-font-200", "a11y-spacing-wide", "a11y-lines-double", "scheme-yellow", "a11y-no-images"):
        assert cls in html.split("<head>")[0]


def test_a_users_choice_is_stored_in_their_account_and_follows_them(client_for, make_user):
    user = make_user("a11y@example.kz", Role.BENEFICIARY)
    client_for(user).post("/accessibility/", {"font_size": "150", "letter_spacing": "normal",
                                              "line_height": "normal", "scheme": "contrast", "images": "1"})
    assert AccessibilityPreference.objects.get(user=user).scheme == "contrast"
    fresh = client_for(user)  # another device: no cookie
    assert "scheme-contrast" in fresh.get("/").content.decode()


def test_reset_returns_to_the_defaults(client, db):
    client.post("/accessibility/", {"font_size": "200", "letter_spacing": "normal", "line_height": "normal",
                                    "scheme": "dark", "images": "1"})
    client.post("/accessibility/", {"reset": "1"})
    assert "scheme-normal a11y" in client.get("/").content.decode() or "scheme-normal" in client.get("/").content.decode()
    assert "scheme-dark" not in client.get("/").content.decode()


def test_a_forged_value_is_refused_and_nothing_changes(client, db):
    response = client.post("/accessibility/", {"font_size": "999", "letter_spacing": "x", "line_height": "normal",
                                               "scheme": "<script>", "images": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "qamqor_a11y" not in response.cookies


def test_a_tampered_cookie_falls_back_to_defaults(client, db):
    client.cookies["qamqor_a11y"] = '{"scheme": "evil\\" onload=\\"x", "font_size": "abc"}'
    html = client.get("/").content.decode()
    assert "scheme-normal" in html and "evil" not in html
    client.cookies["qamqor_a11y"] = "not json"
    assert client.get("/").status_code == 200
