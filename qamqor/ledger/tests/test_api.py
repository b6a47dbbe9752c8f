"""The ledger's API through HTTP: idempotent donations by header or field, the one error shape, balances, journal,
reversal and stock answers."""

import json

import pytest

from qamqor.accounts.services import token_create
from qamqor.ledger import services
from qamqor.ledger.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, people):
    _token, raw = token_create(user=people["org_staff"], name="test")

    def call(method, path, body=None, **headers):
        extra = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en", **{f"HTTP_{k.upper().replace('-', '_')}": v
                                                             for k, v in headers.items()}}
        if method == "GET":
            return client.get(path, **extra)
        return client.post(path, json.dumps(body), content_type="application/json", **extra)

    return call


def error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_a_retried_donation_is_recorded_once(api, org, campaign):
    path = f"/api/v1/ledger/organizations/{org.pk}/donations"
    body = {"amount": "2500.50", "campaign_id": campaign.pk, "donor_name": "ТОО «Береке»"}
    first = api("POST", path, body, **{"Idempotency-Key": "bank-42"})
    assert first.status_code == 201, first.content
    again = api("POST", path, body, **{"Idempotency-Key": "bank-42"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    # The key may come in the body instead.
    assert api("POST", path, {**body, "idempotency_key": "bank-42"}).json()["id"] == first.json()["id"]
    assert Transaction.objects.count() == 1
    answer = first.json()
    assert answer["amount"] == "2500.50" and answer["kind"] == "donation" and len(answer["entries"]) == 2
    conflict = error(api("POST", path, {**body, "amount": "2500.51"}, **{"Idempotency-Key": "bank-42"}), 409,
                     "conflict")
    assert conflict["fields"][0]["field"] == "idempotency_key"


def test_bad_input_is_refused_in_the_one_error_shape_and_changes_nothing(api, org, campaign):
    path = f"/api/v1/ledger/organizations/{org.pk}/donations"
    assert error(api("POST", path, {"amount": "10.001"}, **{"Idempotency-Key": "a"}), 422)["fields"][0]["field"] == "amount"
    assert error(api("POST", path, {"amount": "0"}, **{"Idempotency-Key": "a"}), 422)["fields"][0]["field"] == "amount"
    assert error(api("POST", path, {"amount": 10.5}, **{"Idempotency-Key": "a"}), 422)["fields"][0]["field"] == "amount"
    assert error(api("POST", path, {"amount": "10.00"}), 422)["fields"][0]["field"] == "idempotency_key"
    assert error(api("POST", path, {"amount": "10.00", "campaign_id": 999999}, **{"Idempotency-Key": "a"}),
                 422)["fields"][0]["field"] == "campaign_id"
    assert not Transaction.objects.exists()


def test_spending_reversal_balances_and_stock(api, people, org, campaign, warehouse, food):
    base = f"/api/v1/ledger/organizations/{org.pk}"
    api("POST", f"{base}/donations", {"amount": "1000.00", "campaign_id": campaign.pk}, **{"Idempotency-Key": "d"})
    refused = error(api("POST", f"{base}/spending", {"amount": "1000.01", "purpose": "purchase",
                                                     "campaign_id": campaign.pk}, **{"Idempotency-Key": "s"}), 422)
    assert refused["fields"][0]["field"] == "amount"
    spent = api("POST", f"{base}/spending", {"amount": "400.00", "purpose": "cash_assistance",
                                             "campaign_id": campaign.pk}, **{"Idempotency-Key": "s"})
    assert spent.status_code == 201 and len(spent.json()["entries"]) == 4
    balances = api("GET", f"{base}/balances").json()
    assert balances["campaigns"] == [{"campaign_id": campaign.pk, "title": campaign.title, "raised": "1000.00",
                                      "spent": "400.00", "left": "600.00"}]
    reversal = api("POST", f"/api/v1/ledger/transactions/{spent.json()['id']}/reverse", {"reason": "wrong family"})
    assert reversal.status_code == 201 and reversal.json()["reverses_id"] == spent.json()["id"]
    error(api("POST", f"/api/v1/ledger/transactions/{spent.json()['id']}/reverse", {"reason": "again"}), 409,
          "conflict")
    journal = api("GET", f"{base}/journal?limit=10").json()
    assert journal["count"] == 3 and journal["items"][0]["kind"] == "reversal"
    assert journal["items"][1]["reversed_by_id"] == reversal.json()["id"]
    services.stock_receive(actor=people["org_staff"], warehouse=warehouse, item=food, quantity=7, idempotency_key="a")
    assert api("GET", f"{base}/stock").json() == [{"warehouse_id": warehouse.pk, "warehouse": warehouse.name,
                                                   "item_id": food.pk, "item_code": food.code, "on_hand": 7,
                                                   "reserved": 0, "available": 7}]


@pytest.fixture
def schema(db):
    """The API's OpenAPI document, called through the WSGI application (as the shared schemathesis tests do)."""
    import schemathesis
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from qamqor.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_success_answers_match_the_document(schema, people, org, campaign, warehouse, food):
    import schemathesis

    _token, raw = token_create(user=people["org_staff"], name="schema")
    headers = {"Authorization": f"Bearer {raw}"}
    services.stock_receive(actor=people["org_staff"], warehouse=warehouse, item=food, quantity=2, idempotency_key="a")

    def call(method, path, status, **kwargs):
        case = schema[path][method].Case(headers={**headers, **kwargs.pop("headers", {})}, **kwargs)
        response = case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
        assert response.status_code == status, response.text
        return response.json()

    org_path = {"org_id": org.pk}
    gift = call("POST", "/api/v1/ledger/organizations/{org_id}/donations", 201, path_parameters=org_path,
                headers={"Idempotency-Key": "doc-1"}, body={"amount": "500.00", "campaign_id": campaign.pk,
                                                           "received_on": "2026-05-01"})
    call("POST", "/api/v1/ledger/organizations/{org_id}/donations", 200, path_parameters=org_path,
         headers={"Idempotency-Key": "doc-1"}, body={"amount": "500.00", "campaign_id": campaign.pk,
                                                    "received_on": "2026-05-01"})
    call("POST", "/api/v1/ledger/organizations/{org_id}/spending", 201, path_parameters=org_path,
         body={"amount": "100.00", "purpose": "purchase", "campaign_id": campaign.pk, "idempotency_key": "doc-2"})
    call("POST", "/api/v1/ledger/transactions/{transaction_id}/reverse", 409,
         path_parameters={"transaction_id": gift["id"]}, body={"reason": "spent already"})
    call("GET", "/api/v1/ledger/organizations/{org_id}/balances", 200, path_parameters=org_path)
    call("GET", "/api/v1/ledger/organizations/{org_id}/journal", 200, path_parameters=org_path)
    call("GET", "/api/v1/ledger/organizations/{org_id}/stock", 200, path_parameters=org_path)
