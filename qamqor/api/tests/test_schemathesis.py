"""Property-based tests of the whole API from its OpenAPI document (schemathesis), through the WSGI application.

Every operation gets generated requests, valid and invalid, anonymously and with a valid token. The checks are
schemathesis' defaults: no server error, only documented status codes and content types, answers that match their
declared schema, invalid input refused, authentication not ignored. One is left out, positive_data_acceptance: it
expects every schema-valid request to succeed, but the API rightly refuses some with 409 or 422 for rules a JSON
Schema cannot express (a BIN's check digit, a duplicate BIN, an expiry in the past, an unknown region).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from qamqor.accounts.models import Role
from qamqor.accounts.services import token_create
from qamqor.core.models import TaskProgress
from qamqor.organizations.models import Organization
from qamqor.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = {"excluded_checks": [schemathesis.checks.positive_data_acceptance]}

# About 30 examples an operation keeps the file under a minute on two cores; each example is a real request.
FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


@pytest.fixture(autouse=True)
def _keep_the_test_transaction(db):
    """Schemathesis calls the WSGI application directly, which would close the database connection (and with it the
    test's transaction, on PostgreSQL) at the end of each request; django.test.Client disconnects the same handler."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def coordinator_token(make_user, almaty):
    """A coordinator of Almaty (a role with the most to do in this API), with a pending organisation to look at."""
    user = make_user("fuzz@test.kz", Role.COORDINATOR, region=almaty)
    Organization.objects.create(name="Pending fund", kind="charity_fund", bin="200240000018", region=almaty)
    _token, raw = token_create(user=user, name="schemathesis")
    return raw


def test_the_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3")
    assert document["info"]["title"] == "Qamqor API"
    assert {"TokenAuth", "SessionAuth"} <= set(document["components"]["securitySchemes"])
    loaded = schemathesis.openapi.from_dict(document)
    loaded.validate()  # against the OpenAPI meta-schema; raises if the document is not valid
    operations = {(op.ok().method.upper(), op.ok().path) for op in loaded.get_all_operations()}
    assert {("GET", "/api/v1/regions"), ("GET", "/api/v1/me"), ("POST", "/api/v1/tokens"),
            ("DELETE", "/api/v1/tokens/{token_id}"), ("GET", "/api/v1/organizations"),
            ("POST", "/api/v1/organizations/{org_id}/verify")} <= operations


def _error_body(document, ref):
    """The properties of the `error` object of a response schema, following its references."""
    def resolve(r):
        return document["components"]["schemas"][r.rsplit("/", 1)[1]]

    envelope = resolve(ref)
    return resolve(envelope["properties"]["error"]["$ref"])["properties"]


def test_every_error_answer_is_documented_as_the_one_error_shape():
    """Every 4xx and 5xx answer is {"error": {"code", "message", "fields"}}; an answer may add to the error object
    (a possible duplicate's `candidates`) but never change those three."""
    document = schema.raw_schema
    one_shape = _error_body(document, "#/components/schemas/Error")
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    body = _error_body(document, ref)
                    assert {k: body[k] for k in one_shape} == one_shape, f"{method.upper()} {path} {status}"


@schema.parametrize()
@FUZZ
def test_it_answers_anonymous_clients_as_documented(case):
    case.call_and_validate(**CHECKS)


@schema.parametrize()
@FUZZ
def test_it_answers_token_clients_as_documented(case, coordinator_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {coordinator_token}"}, **CHECKS)


def test_the_success_answers_match_the_document(make_user, almaty):
    """Random input rarely gets past validation, so the success answers are also checked on requests that succeed."""
    coordinator = make_user("coordinator@test.kz", Role.COORDINATOR, region=almaty)
    founder = make_user("founder@test.kz", Role.VOLUNTEER)
    _token, coordinator_raw = token_create(user=coordinator, name="coordinator")
    _token, founder_raw = token_create(user=founder, name="founder")
    task = TaskProgress.objects.create(kind="import", label="Import organisations", owner=founder, done=3, total=4)
    as_coordinator = {"Authorization": f"Bearer {coordinator_raw}"}
    as_founder = {"Authorization": f"Bearer {founder_raw}"}
    registration = {"name": "Qamqor test fund", "kind": "charity_fund", "bin": "190550000019",
                    "region_kato": "750000000"}

    def call(method, path, *, status, headers=None, **kwargs):
        case = schema[path][method].Case(headers=headers, **kwargs)
        response = case.call_and_validate(**CHECKS)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    call("GET", "/api/v1/regions", status=200, query={"limit": 3, "offset": 2})
    call("GET", "/api/v1/regions/{kato_code}", status=200, path_parameters={"kato_code": "750000000"})
    call("GET", "/api/v1/holidays", status=200, query={"year": 2026})
    call("GET", "/api/v1/tasks/{task_id}", status=200, headers=as_founder, path_parameters={"task_id": task.pk})
    call("GET", "/api/v1/me", status=200, headers=as_founder)
    call("GET", "/api/v1/tokens", status=200, headers=as_founder)
    created = call("POST", "/api/v1/tokens", status=201, headers=as_founder,
                   body={"name": "laptop", "expires_at": "2030-01-01T09:00:00+05:00"})
    call("DELETE", "/api/v1/tokens/{token_id}", status=204, headers=as_founder,
         path_parameters={"token_id": created["id"]})
    org = call("POST", "/api/v1/organizations", status=201, headers=as_founder, body=registration)
    call("GET", "/api/v1/organizations", status=200, headers=as_coordinator, query={"status": "pending"})
    call("GET", "/api/v1/organizations/{org_id}", status=200, headers=as_founder, path_parameters={"org_id": org["id"]})
    call("POST", "/api/v1/organizations/{org_id}/reject", status=200, headers=as_coordinator,
         path_parameters={"org_id": org["id"]}, body={"reason": "The BIN belongs to another fund."})
    call("POST", "/api/v1/organizations/{org_id}/verify", status=200, headers=as_coordinator,
         path_parameters={"org_id": org["id"]})
