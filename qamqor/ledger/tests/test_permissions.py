"""Every ledger page and endpoint × every role (and anonymous) → the status that role must get (DESIGN.md section 5).

An organisation's administrators and staff record and see its books; platform administrators and the region's
coordinator see them; a donor sees only their own receipts and trace pages; everyone else gets 404 (the books of an
organisation are not theirs to know about) or 403 on pages that are not about one organisation.
"""

import json

import pytest

from qamqor.ledger import services
from tests.test_permission_matrix import ROLES, row

SEES = {"platform_admin": 200, "coordinator": 200, "org_admin": 200, "org_staff": 200}
RECORDS = {"platform_admin": 403, "coordinator": 403, "org_admin": 200, "org_staff": 200}

MATRIX = [
    row("GET", "/ledger/", 403, anonymous=302, platform_admin=200, coordinator=200, org_admin=302, org_staff=302,
        donor=200),
    row("GET", "/ledger/organizations/{org}/", 404, anonymous=302, **SEES),
    row("GET", "/ledger/organizations/{org}/donations/new/", 404, anonymous=302, **RECORDS),
    row("POST", "/ledger/organizations/{org}/donations/new/", 404, anonymous=302,
        **{**RECORDS, "org_admin": 400, "org_staff": 400}),
    row("GET", "/ledger/organizations/{org}/spending/new/", 404, anonymous=302, **RECORDS),
    row("GET", "/ledger/organizations/{org}/stock/", 404, anonymous=302, **SEES),
    row("GET", "/ledger/transactions/{txn}/reverse/", 404, anonymous=302, **RECORDS),
    row("POST", "/ledger/transactions/{txn}/reverse/", 404, anonymous=302,
        **{**RECORDS, "org_admin": 400, "org_staff": 400}),
    row("GET", "/ledger/warehouses/{warehouse}/", 404, anonymous=302, **SEES),
    row("GET", "/ledger/warehouses/{warehouse}/receive/", 404, anonymous=302, **RECORDS),
    row("GET", "/ledger/warehouses/{warehouse}/write-off/", 404, anonymous=302, **RECORDS),
    row("GET", "/ledger/receipts/{txn}.pdf?lang=kk", 404, anonymous=302, donor=200, **SEES),
    row("GET", "/ledger/receipts/{txn}.pdf?lang=ru", 404, anonymous=302, donor=200, **SEES),
    row("GET", "/ledger/receipts/{txn}.pdf?lang=en", 404, anonymous=302, donor=200, **SEES),
    row("GET", "/ledger/trace/{offer}/", 404, anonymous=302, platform_admin=200, org_admin=200, org_staff=200,
        donor=200),
    row("GET", "/api/v1/ledger/organizations/{org}/balances", 404, anonymous=401, **SEES),
    row("GET", "/api/v1/ledger/organizations/{org}/journal", 404, anonymous=401, **SEES),
    row("GET", "/api/v1/ledger/organizations/{org}/stock", 404, anonymous=401, **SEES),
    row("POST", "/api/v1/ledger/organizations/{org}/donations", 404, anonymous=401,
        **{**RECORDS, "org_admin": 201, "org_staff": 201}),
    row("POST", "/api/v1/ledger/organizations/{org}/spending", 404, anonymous=401,
        **{**RECORDS, "org_admin": 201, "org_staff": 201}),
    row("POST", "/api/v1/ledger/transactions/{txn}/reverse", 404, anonymous=401,
        **{**RECORDS, "org_admin": 201, "org_staff": 201}),
]

# The JSON bodies the API's POSTs are sent with (a valid request, so that only the role decides the answer).
BODIES = {
    "/api/v1/ledger/organizations/{org}/donations": {"amount": "100.00", "idempotency_key": "matrix-1"},
    "/api/v1/ledger/organizations/{org}/spending": {"amount": "1.00", "purpose": "purchase", "description": "tea",
                                                    "idempotency_key": "matrix-2"},
    "/api/v1/ledger/transactions/{txn}/reverse": {"reason": "recorded twice"},
}


@pytest.fixture
def objects(people, org, offer, warehouse):
    txn = services.money_receive(actor=people["org_staff"], organization=org, amount="150000.00",
                                 idempotency_key="gift", offer=offer)
    services.money_receive(actor=people["org_staff"], organization=org, amount="10.00", idempotency_key="cash")
    return {"org": org.pk, "txn": txn.pk, "offer": offer.pk, "warehouse": warehouse.pk}


def test_the_matrix_covers_every_role():
    assert all(set(expected) == set(ROLES) for _m, _p, expected in MATRIX)


@pytest.mark.parametrize("role", ROLES)
def test_ledger_permission_matrix(client_for, people, objects, role):
    """One test per role going through every row (the set-up of ten users is the slow part); every row that
    answers otherwise than expected is listed."""
    client = client_for(None if role == "anonymous" else people[role])
    wrong = []
    for method, path, expected in MATRIX:
        url = path.format(**objects)
        if method == "GET":
            response = client.get(url)
        elif path in BODIES:
            response = client.post(url, json.dumps(BODIES[path]), content_type="application/json")
        else:
            response = client.post(url)
        if response.status_code != expected[role]:
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected[role]}")
    assert not wrong, f"{role}: " + "; ".join(wrong)
