"""Every page and endpoint × every role (and anonymous) → the status that role must get.

Later issues add their rows. A row gives the default status and the roles that differ from it.
"""

import pytest

from qamqor.core.models import TaskProgress
from qamqor.organizations.models import Organization

ROLES = ["anonymous", "platform_admin", "coordinator", "org_admin", "org_staff", "dispatcher", "driver",
         "volunteer", "donor", "beneficiary", "jury"]
SIGNED_IN = [r for r in ROLES if r != "anonymous"]


def row(method, path, default, **by_role):
    return (method, path, {role: by_role.get(role, default) for role in ROLES})




MATRIX = [
    row("GET", "/", 200),
    row("GET", "/organizations/", 200),
    row("GET", "/organizations/{org}/", 200),
    row("GET", "/organizations/{pending}/", 404, platform_admin=200, coordinator=200),
    row("GET", "/organizations/{org}/edit/", 403, anonymous=302, platform_admin=200, org_admin=200),
    row("GET", "/organizations/{org}/members/", 403, anonymous=302, platform_admin=200, org_admin=200),
    row("GET", "/organizations/{pending}/reject/", 404, anonymous=302, platform_admin=200, coordinator=200),
    row("POST", "/organizations/{pending}/verify/", 404, anonymous=302, platform_admin=302, coordinator=302),
    row("POST", "/organizations/{org}/verify/", 403, anonymous=302, platform_admin=302, coordinator=302),
    row("GET", "/organizations/review/", 403, anonymous=302, platform_admin=200, coordinator=200),
    row("GET", "/organizations/register/", 200, anonymous=302),
    row("GET", "/dashboard/", 200, anonymous=302),
    row("GET", "/accounts/profile/", 200, anonymous=302),
    row("GET", "/accounts/tokens/", 200, anonymous=302),
    row("GET", "/accounts/login/", 302, anonymous=200),
    row("GET", "/accounts/signup/", 302, anonymous=200),
    row("GET", "/accounts/password-reset/", 200),
    row("GET", "/regions/", 200),
    row("GET", "/holidays/", 200),
    row("GET", "/accessibility/", 200),
    row("GET", "/tasks/{task}/", 404, platform_admin=200),
    row("GET", "/admin/", 302, platform_admin=200),
    row("GET", "/accounts/people/", 403, anonymous=302, platform_admin=200),
    row("GET", "/accounts/people/{volunteer}/", 403, anonymous=302, platform_admin=200),
    row("POST", "/demo/seed/", 403),
    # Registry: the owning organisation's staff, the region's coordinator, platform admins; the person themself.
    row("GET", "/registry/", 403, anonymous=302, platform_admin=200, coordinator=200, org_admin=200, org_staff=200),
    row("GET", "/registry/?q=Кусаинова", 403, anonymous=302, platform_admin=200, coordinator=200, org_admin=200,
        org_staff=200),
    row("GET", "/registry/persons/new/", 403, anonymous=302, platform_admin=200, org_admin=200, org_staff=200),
    row("GET", "/registry/persons/{person}/", 404, anonymous=302, platform_admin=200, coordinator=200, org_admin=200,
        org_staff=200, beneficiary=200),
    row("GET", "/registry/persons/{person}/edit/", 404, anonymous=302, platform_admin=200, coordinator=403,
        org_admin=200, org_staff=200, beneficiary=403),
    row("GET", "/registry/persons/{person}/consents/new/", 404, anonymous=302, platform_admin=200, coordinator=403,
        org_admin=200, org_staff=200, beneficiary=403),
    row("GET", "/registry/persons/{person}/categories/new/", 404, anonymous=302, platform_admin=200, coordinator=403,
        org_admin=200, org_staff=200, beneficiary=403),
    row("GET", "/registry/households/{household}/", 404, anonymous=302, platform_admin=200, coordinator=200,
        org_admin=200, org_staff=200),
    row("GET", "/registry/coordination/?iin=850714400012", 403, anonymous=302, platform_admin=200, coordinator=200,
        org_admin=200, org_staff=200),
    row("GET", "/registry/duplicates/", 403, anonymous=302, platform_admin=200, coordinator=200, org_admin=200,
        org_staff=200),
    row("POST", "/registry/duplicates/find/", 403, anonymous=302, platform_admin=302, coordinator=302),
    row("GET", "/registry/import/", 403, anonymous=302, platform_admin=200, org_admin=200, org_staff=200),
    row("GET", "/registry/import/template.csv?lang=kk", 403, anonymous=302, platform_admin=200, org_admin=200,
        org_staff=200),
    row("GET", "/registry/me/", 200, anonymous=302),
    row("GET", "/registry/me/export.json", 404, anonymous=302, beneficiary=200),
    # Aid: needs by their recording organisation and the region's coordinators (and the person themself);
    # campaigns run by the organiser's staff and the coordinators of their regions; offers by donor and recipient.
    row("GET", "/aid/", 403, anonymous=302, platform_admin=200, coordinator=200, org_admin=200, org_staff=200),
    row("GET", "/aid/needs/new/", 403, anonymous=302, platform_admin=200, org_admin=200, org_staff=200),
    row("GET", "/aid/needs/new/?person={person}", 404, anonymous=302, platform_admin=200, coordinator=403,
        org_admin=200, org_staff=200, beneficiary=403),
    row("GET", "/aid/needs/{need}/", 404, anonymous=302, platform_admin=200, coordinator=200, org_admin=200,
        org_staff=200, beneficiary=200),
    row("POST", "/aid/needs/{need}/cancel/", 404, anonymous=302, platform_admin=302, coordinator=302, org_admin=302,
        org_staff=302, beneficiary=302),
    row("POST", "/aid/needs/{need}/link/", 404, anonymous=302, platform_admin=302, coordinator=302, org_admin=302,
        org_staff=302, beneficiary=302),
    row("GET", "/aid/apply/", 200, anonymous=302),
    row("GET", "/aid/my/", 200, anonymous=302),
    row("GET", "/aid/catalogue/", 200),
    row("GET", "/aid/campaigns/", 200),
    row("GET", "/aid/campaigns/new/", 403, anonymous=302, platform_admin=200, coordinator=200, org_admin=200,
        org_staff=200),
    row("GET", "/aid/campaigns/{campaign}/", 200),
    row("GET", "/aid/campaigns/{campaign}/lots/new/", 403, anonymous=302, platform_admin=200, coordinator=200,
        org_admin=200, org_staff=200),
    row("POST", "/aid/campaigns/{campaign}/gather/", 403, anonymous=302, platform_admin=302, coordinator=302,
        org_admin=302, org_staff=302),
    row("POST", "/aid/campaigns/{campaign}/allocate/", 403, anonymous=302, platform_admin=302, coordinator=302,
        org_admin=302, org_staff=302),
    row("GET", "/aid/allocations/{run}/", 404, anonymous=302, platform_admin=200, coordinator=200, org_admin=200,
        org_staff=200),
    row("POST", "/aid/allocations/{run}/confirm/", 404, anonymous=302, platform_admin=302, coordinator=302,
        org_admin=302, org_staff=302),
    row("GET", "/aid/distributions/{distribution}/", 404, anonymous=302, platform_admin=200, coordinator=200,
        org_admin=200, org_staff=200, beneficiary=200),
    row("POST", "/aid/distributions/{distribution}/cancel/", 404, anonymous=302, platform_admin=302,
        coordinator=302, org_admin=302, org_staff=302, beneficiary=302),
    row("GET", "/aid/offers/", 200, anonymous=302),
    row("GET", "/aid/offers/new/", 200, anonymous=302),
    row("GET", "/aid/offers/{offer}/receive/", 404, anonymous=302, platform_admin=200, org_admin=200, org_staff=200,
        donor=403),
    row("GET", "/aid/warehouses/", 403, anonymous=302, platform_admin=200, coordinator=200, org_admin=200,
        org_staff=200),
    row("GET", "/api/v1/openapi.json", 200),
    row("GET", "/api/v1/regions", 200),
    row("GET", "/api/v1/holidays?year=2026", 200),
    row("GET", "/api/v1/me", 200, anonymous=401),
    row("GET", "/api/v1/tokens", 200, anonymous=401),
    row("GET", "/api/v1/tasks/{task}", 404, anonymous=401, platform_admin=200),
    row("GET", "/api/v1/organizations", 200),
    row("GET", "/api/v1/organizations/{org}", 200),
    row("GET", "/api/v1/organizations/{pending}", 404, platform_admin=200, coordinator=200),
    row("POST", "/api/v1/organizations/{pending}/verify", 404, anonymous=401, platform_admin=200, coordinator=200),
    row("POST", "/api/v1/organizations/{org}/verify", 409, anonymous=401, org_admin=403, org_staff=403,
        dispatcher=403, driver=403, volunteer=403, donor=403, beneficiary=403, jury=403),
    # Registry API: scoped exactly as the registry's pages. Operations that read a JSON body answer 400 to this
    # test's form-encoded POST once the caller is authenticated (before any record is looked up); their permissions
    # are tested in qamqor/registry/tests/test_api.py.
    row("GET", "/api/v1/registry/persons?q=Кусаинова", 403, anonymous=401, platform_admin=200, coordinator=200,
        org_admin=200, org_staff=200),
    row("GET", "/api/v1/registry/persons/{person}", 404, anonymous=401, platform_admin=200, coordinator=200,
        org_admin=200, org_staff=200, beneficiary=200),
    row("POST", "/api/v1/registry/persons", 400, anonymous=401),
    row("POST", "/api/v1/registry/persons/{person}/consents", 400, anonymous=401),
    row("POST", "/api/v1/registry/persons/{person}/consents/{consent}/withdraw", 404, anonymous=401,
        platform_admin=204, coordinator=403, org_admin=204, org_staff=204, beneficiary=204),
    row("GET", "/api/v1/registry/categories", 200),
    row("POST", "/api/v1/registry/persons/{person}/categories", 400, anonymous=401),
    row("POST", "/api/v1/registry/categories/{assignment}/end", 404, anonymous=401, platform_admin=204,
        coordinator=403, org_admin=204, org_staff=204, beneficiary=403),
    row("GET", "/api/v1/registry/households/{household}", 404, anonymous=401, platform_admin=200, coordinator=200,
        org_admin=200, org_staff=200),
    row("POST", "/api/v1/registry/persons/{person}/household", 400, anonymous=401),
    row("POST", "/api/v1/registry/households/{household}/members", 400, anonymous=401),
    row("GET", "/api/v1/registry/coordination?iin=850714400014", 403, anonymous=401, platform_admin=200,
        coordinator=200, org_admin=200, org_staff=200),
    row("GET", "/api/v1/registry/me", 404, anonymous=401, beneficiary=200),
    row("GET", "/api/v1/registry/me/export", 404, anonymous=401, beneficiary=200),
    # Aid API: scoped exactly as the aid pages; operations reading a JSON body are tested in aid/tests/test_api.py.
    row("GET", "/api/v1/aid/items", 200),
    row("GET", "/api/v1/aid/campaigns", 200),
    row("GET", "/api/v1/aid/campaigns/{campaign}", 200),
    # The list answers what the caller may see: a person their own needs, most other roles none.
    row("GET", "/api/v1/aid/needs", 200, anonymous=401),
    row("GET", "/api/v1/aid/needs/{need}", 404, anonymous=401, platform_admin=200, coordinator=200, org_admin=200,
        org_staff=200, beneficiary=200),
    row("GET", "/api/v1/aid/allocations/{run}", 404, anonymous=401, platform_admin=200, coordinator=200,
        org_admin=200, org_staff=200),
    row("POST", "/api/v1/aid/allocations/{run}/confirm", 404, anonymous=401, platform_admin=201, coordinator=201,
        org_admin=201, org_staff=201),
    row("GET", "/api/v1/aid/distributions", 200, anonymous=401),
    row("GET", "/api/v1/aid/offers", 200, anonymous=401),
]


@pytest.fixture
def objects(people, org, almaty):
    pending = Organization.objects.create(name="Pending NGO", kind="ngo", bin="190540000054", region=almaty)
    task = TaskProgress.objects.create(kind="test", label="Test", owner=people["platform_admin"])
    from qamqor.lib.names import full_name_key
    from qamqor.registry.models import Household, HouseholdMember, Person

    person = Person.objects.create(owner=org, region=almaty, surname="Кусаинова", given_name="Ляззат",
                                   name_key=full_name_key("Кусаинова", "Ляззат"), user=people["beneficiary"])
    household = Household.objects.create(owner=org, region=almaty)
    HouseholdMember.objects.create(household=household, person=person, relationship="head")
    from qamqor.registry.models import Category, CategoryAssignment, Consent

    consent = Consent.objects.create(person=person, purpose="sharing", given_by="person", given_on="2026-01-10",
                                     source="paper")
    assignment = CategoryAssignment.objects.create(category=Category.objects.get(code="pensioner"), person=person,
                                                   evidence="document", evidence_reference="No. 1",
                                                   valid_from="2026-01-01", verified_by=people["org_staff"])
    ids = {"org": org.pk, "pending": pending.pk, "task": task.pk, "volunteer": people["volunteer"].pk,
           "person": person.pk, "household": household.pk, "consent": consent.pk, "assignment": assignment.pk}
    return LazyIds(ids, aid=lambda: aid_objects(people, org, almaty, person))


class LazyIds(dict):
    """The ids a path names; the aid objects (an allocation run, a lot, ...) are made only for rows that use them."""

    AID_KEYS = {"need", "campaign", "run", "distribution", "offer"}

    def __init__(self, ids, *, aid):
        super().__init__(ids)
        self._aid = aid

    def __missing__(self, key):
        if key in self.AID_KEYS:
            self.update(self._aid())
            return self[key]
        raise KeyError(key)


def aid_objects(people, org, almaty, person):
    """A need for the person (whose account is the beneficiary's), an open campaign with a previewed allocation, a
    planned hand-over and a donor's offer to the organisation."""
    import datetime as dt

    from qamqor.aid import services
    from qamqor.aid.models import Item, Warehouse
    from qamqor.ledger import services as ledger

    staff = people["org_staff"]
    meat = Item.objects.get(code="meat-portion")
    need = services.need_create(actor=staff, person=person, item=meat, quantity=1)
    campaign = services.campaign_create(actor=staff, organizer=org, title="Kurban Ait", items=[(meat, 10)],
                                        starts_on=dt.date(2026, 5, 20), ends_on=dt.date(2026, 6, 10), regions=[almaty])
    services.campaign_set_status(actor=staff, campaign=campaign, status="open")
    warehouse = Warehouse.objects.create(organization=org, name="Store", region=almaty)
    ledger.stock_receive(actor=staff, warehouse=warehouse, item=meat, quantity=5, idempotency_key="matrix")
    services.lot_create(actor=staff, campaign=campaign, warehouse=warehouse, item=meat, quantity=5)
    other = services.need_create(actor=staff, person=person, item=meat, quantity=1, campaign=campaign)
    run = services.allocation_preview(actor=staff, campaign=campaign)
    distribution = services.distribution_create(actor=staff, need=need, quantity=1, organization=org)
    offer = services.offer_create(actor=people["donor"], kind="money", recipient=org, amount_kzt="5000")
    assert other.pk
    return {"need": need.pk, "campaign": campaign.slug, "run": run.pk, "distribution": distribution.pk,
            "offer": offer.pk}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client_for, people, objects, role):
    """Every row for one role, on one set of data: each request runs in a savepoint that is rolled back, so that a
    row which changes something (a verification, a confirmation) leaves the next row the same data; every wrong
    status is reported together."""
    from django.db import transaction

    client = client_for(None if role == "anonymous" else people[role])
    urls = [(method, path.format_map(objects), expected[role]) for method, path, expected in MATRIX]
    wrong = []
    for method, url, status in urls:
        with transaction.atomic():
            response = client.get(url) if method == "GET" else client.post(url)
            transaction.set_rollback(True)
        if response.status_code != status:
            wrong.append(f"{method} {url}: {response.status_code}, expected {status}")
    assert not wrong, f"{role}: {len(wrong)} of {len(urls)} answers are wrong:\n" + "\n".join(wrong)
