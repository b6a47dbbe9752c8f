def test_the_api_docs_page_lists_every_endpoint_in_the_site_layout(client, db):
    openapi = client.get("/api/v1/openapi.json").json()
    response = client.get("/api/v1/docs", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="en"' in html and '<main id="main"' in html
    for path, item in openapi["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in html
    assert "cdn." not in html and "swagger" not in html.lower()
