"""Every social services page and endpoint × every role (and anonymous) → the status that role must get.

The provider is the shared `org` (its admin, staff and dispatcher schedule its bookings; its driver account works
for it as an interpreter); the contract is in Almaty (the coordinator's region); the person is the beneficiary's own
registry record. Objects are made only for the rows that name them."""

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone

from tests.test_permission_matrix import ROLES, row

PROVIDER = {"platform_admin": 200, "org_admin": 200, "org_staff": 200, "dispatcher": 200}
SEES_CONTRACT = {**PROVIDER, "coordinator": 200}


def on(status, roles):
    return {role: status for role in roles}


MATRIX = [
    # The portal: every signed-in user; booking only for those with a registry record or someone they represent.
    row("GET", "/services/", 200, anonymous=302),
    row("GET", "/services/book/?person={person}", 403, anonymous=302, beneficiary=200),
    row("GET", "/services/book/series/?for={person}", 403, anonymous=302, beneficiary=200),
    # A booking: the person, the provider's people, platform admins.
    row("GET", "/services/bookings/{booking}/", 404, anonymous=302, beneficiary=200, **PROVIDER),
    row("POST", "/services/bookings/{booking}/cancel/", 404, anonymous=302, beneficiary=302, **on(302, PROVIDER)),
    row("POST", "/services/bookings/{booking}/assign/", 404, anonymous=302, beneficiary=403, **on(400, PROVIDER)),
    # Only the assigned staff member and the provider's admins record a delivery; this booking is not assigned.
    row("POST", "/services/bookings/{booking}/deliver/", 404, anonymous=302, beneficiary=403, **on(403, PROVIDER)),
    # Changing a booking: its person and the provider (an empty form is refused, 400); a no-show: the provider.
    row("POST", "/services/bookings/{booking}/change/", 404, anonymous=302, beneficiary=400, **on(400, PROVIDER)),
    row("GET", "/services/bookings/{booking}/no-show/", 404, anonymous=302, beneficiary=403, **PROVIDER),
    row("POST", "/services/bookings/{booking}/no-show/", 404, anonymous=302, beneficiary=403, **on(400, PROVIDER)),
    # A person's representatives: staff of the organisation that registered the person; the region's coordinator
    # sees the person but does not manage them.
    row("GET", "/services/persons/{person}/representatives/", 404, anonymous=302, platform_admin=200, org_admin=200,
        org_staff=200, coordinator=403),
    row("POST", "/services/persons/{person}/representatives/", 404, anonymous=302, platform_admin=400,
        org_admin=400, org_staff=400, coordinator=403),
    row("POST", "/services/representatives/{representative}/revoke/", 404, anonymous=302, platform_admin=302,
        org_admin=302, org_staff=302, coordinator=403),
    # The provider workspace.
    row("GET", "/services/provider/?day={tomorrow}", 403, anonymous=302, **PROVIDER),
    row("GET", "/services/provider/{org}/staff/new/", 403, anonymous=302, platform_admin=200, org_admin=200),
    row("GET", "/services/staff/{staff}/hours/", 404, anonymous=302, platform_admin=200, org_admin=200,
        org_staff=403, dispatcher=403, driver=403),
    # Contracts and acts: the customer, the provider, the region's coordinators.
    row("GET", "/services/contracts/", 403, anonymous=302, **SEES_CONTRACT),
    row("GET", "/services/contracts/{contract}/", 404, anonymous=302, **SEES_CONTRACT),
    row("GET", "/services/contracts/{contract}/amend/", 404, anonymous=302, platform_admin=200,
        **on(403, ["coordinator", "org_admin", "org_staff", "dispatcher"])),
    # Recording a contract: staff of a state body (none of the named roles) and platform admins.
    row("GET", "/services/contracts/new/", 403, anonymous=302, platform_admin=200),
    row("POST", "/services/contracts/new/", 403, anonymous=302, platform_admin=400),
    row("POST", "/services/contracts/{contract}/acts/", 404, anonymous=302, coordinator=403, **on(302, PROVIDER)),
    row("GET", "/services/acts/{act}/", 404, anonymous=302, **SEES_CONTRACT),
    row("POST", "/services/acts/{act}/issue/", 404, anonymous=302, coordinator=403, **on(302, PROVIDER)),
    row("GET", "/services/totals/", 403, anonymous=302, platform_admin=200, coordinator=200),
    # The API, scoped as the pages.
    row("GET", "/api/v1/services/service-types", 200),
    row("GET", "/api/v1/services/entitlements?person_id={person}", 404, anonymous=401, beneficiary=200),
    row("GET", "/api/v1/services/bookings", 200, anonymous=401),
    row("GET", "/api/v1/services/bookings/{booking}", 404, anonymous=401, beneficiary=200, **PROVIDER),
    row("POST", '/api/v1/services/bookings {{"person_id": {person}, "service_type": "sign_language_specialist", '
                '"starts_at": "{tomorrow}T15:00:00+05:00"}}', 422, anonymous=401, beneficiary=201,
        # The staff of the organisation that registered the person book for them too (bookings taken by phone).
        platform_admin=201, org_admin=201, org_staff=201),
    row("POST", '/api/v1/services/bookings/{later_booking}/change {{"starts_at": "{later}T15:00:00+05:00"}}', 404,
        anonymous=401, beneficiary=200, **PROVIDER),
    row("POST", "/api/v1/services/bookings/{booking}/cancel {{}}", 404, anonymous=401, beneficiary=200, **PROVIDER),
    row("POST", '/api/v1/services/bookings/{booking}/assign {{"staff_id": {staff}}}', 404, anonymous=401,
        beneficiary=403, **PROVIDER),
    row("POST", '/api/v1/services/bookings/{booking}/delivery {{"started_at": "{tomorrow}T10:00:00+05:00", '
                '"ended_at": "{tomorrow}T11:00:00+05:00", "signature": true}}', 404, anonymous=401, beneficiary=403,
        **on(403, PROVIDER)),
    row("GET", "/api/v1/services/contracts", 200, anonymous=401),
    row("GET", "/api/v1/services/contracts/{contract}", 404, anonymous=401, **SEES_CONTRACT),
    row("GET", "/api/v1/services/contracts/{contract}/consumption", 404, anonymous=401, **SEES_CONTRACT),
    row("POST", '/api/v1/services/contracts/{contract}/acts {{"month": "{month}"}}', 404, anonymous=401,
        coordinator=403, **on(201, PROVIDER)),
    row("GET", "/api/v1/services/acts/{act}", 404, anonymous=401, **SEES_CONTRACT),
    row("POST", "/api/v1/services/acts/{act}/issue", 404, anonymous=401, coordinator=403, **PROVIDER),
    row("GET", "/api/v1/services/totals?start=2000-01-01&end=2099-12-31", 403, anonymous=401, platform_admin=200,
        coordinator=200),
]


class LazyIds(dict):
    """The ids a path names; the contract, booking and act are made for the first row that needs one."""

    def __init__(self, make):
        super().__init__()
        self._make = make

    def __missing__(self, key):
        self.update(self._make())
        return self[key]


def social_objects(people, org, almaty, make_user):
    """A customer state body's contract with `org` for sign-language interpreting in Almaty; the driver's account
    as an interpreter working 08:00-20:00; the beneficiary's own record; a requested booking for tomorrow; and a
    delivery of yesterday with its draft act."""
    from qamqor.accounts.models import Role
    from qamqor.core.models import DisabilityCategory
    from qamqor.organizations.models import Organization
    from qamqor.registry.models import Person
    from qamqor.social_services import selectors, services
    from qamqor.social_services.models import ServiceType

    customer = Organization.objects.create(name="Akimat department", kind="state_body", bin="990140000011",
                                           region=almaty, status="verified")
    signer = make_user("akimat@test.kz", Role.ORG_STAFF, organization=customer)
    sign = ServiceType.objects.get(code="sign_language_specialist")
    today = timezone.localdate()
    contract = services.contract_create(actor=signer, customer=customer, provider=org, service_type=sign, region=almaty,
                                        number="ГСЗ-1/2026", starts_on=today - dt.timedelta(days=40),
                                        ends_on=today + dt.timedelta(days=120), volume=100, unit_price="5000.00")
    staff = services.staff_add(actor=people["org_admin"], provider=org, user=people["driver"], role="interpreter")
    services.staff_set_hours(actor=people["org_admin"], staff=staff,
                             hours=[(d, dt.time(8), dt.time(20)) for d in range(7)])
    person = Person.objects.create(owner=org, region=almaty, surname="Кусаинова", given_name="Ляззат",
                                   birth_date=dt.date(1980, 5, 1), user=people["beneficiary"],
                                   disability=DisabilityCategory.objects.get(code="group_2"), deaf_sign_language=True)
    tomorrow = today + dt.timedelta(days=1)
    booking = services.booking_create(actor=people["beneficiary"], person=person, service_type=sign,
                                      starts_at=selectors.at(tomorrow, dt.time(10)),
                                      ends_at=selectors.at(tomorrow, dt.time(11)))
    # Three days ahead: the person's side may still change it (outside the 24-hour notice) whatever the hour now.
    later = today + dt.timedelta(days=3)
    later_booking = services.booking_create(actor=people["beneficiary"], person=person, service_type=sign,
                                            starts_at=selectors.at(later, dt.time(10)))
    # A representative who is none of the named roles, so that no role's view of the person changes.
    daughter = make_user("daughter@test.kz")
    representative = services.representative_add(actor=people["org_staff"], person=person, user=daughter,
                                                  consent_reference="Сенімхат № 12")
    yesterday = today - dt.timedelta(days=1)
    start = selectors.at(yesterday, dt.time(10))
    done = services.booking_create(actor=people["beneficiary"], person=person, service_type=sign, starts_at=start,
                                   ends_at=start + dt.timedelta(hours=1), now=start - dt.timedelta(days=1))
    done = services.booking_assign(actor=people["org_admin"], booking=done, staff=staff)
    services.delivery_record(actor=people["driver"], booking=done, started_at=start,
                             ended_at=start + dt.timedelta(hours=1), signature=True)
    act = services.act_generate(actor=people["org_admin"], contract=contract, month=yesterday)
    return {"contract": contract.pk, "staff": staff.pk, "person": person.pk, "booking": booking.pk, "act": act.pk,
            "tomorrow": tomorrow.isoformat(), "month": yesterday.strftime("%Y-%m"), "later_booking": later_booking.pk,
            "later": later.isoformat(), "representative": representative.pk}


@pytest.fixture
def objects(people, org, almaty, make_user):
    return LazyIds(lambda: {"org": org.pk, **social_objects(people, org, almaty, make_user)})


@pytest.mark.parametrize("method,path,expected", MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_social_services_permission_matrix(client_for, people, objects, method, path, expected):
    url, _space, body = path.partition(" ")
    url = url.format_map(objects)  # makes the objects, outside the savepoints below
    data = json.loads(body.format_map(objects)) if body else None
    wrong = []
    for role in ROLES:
        client = client_for(None if role == "anonymous" else people[role])
        # Each role's request is undone afterwards, so that every role meets the same booking, act and contract.
        with transaction.atomic():
            if method == "GET":
                response = client.get(url)
            elif url.startswith("/api/"):
                response = client.post(url, json.dumps(data) if data is not None else "",
                                       content_type="application/json")
            else:
                response = client.post(url)
            transaction.set_rollback(True)
        if response.status_code != expected[role]:
            wrong.append(f"{role}: {response.status_code}, expected {expected[role]}")
    assert not wrong, f"{method} {url}: {wrong}"
