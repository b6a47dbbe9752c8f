"""axe-core finds no WCAG 2.2 A/AA violation on any page a visitor or a signed-in user reaches, in every language
and every colour scheme (DESIGN.md section 7)."""

from dataclasses import dataclass
from typing import Callable

import pytest

from qamqor.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["kk", "ru", "en"]
SCHEMES = ["contrast", "yellow", "dark"]


def submit_login_with_a_wrong_password(page):
    page.locator("#id_username").fill("nobody@test.kz")
    page.locator("#id_password").fill("not-the-password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator("#error-summary[role=alert]").is_visible()


def submit_the_form_empty(page):
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert page.locator("#error-summary[role=alert] a").count() >= 3


def submit_empty_expecting(errors):
    def submit(page):
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        assert page.locator("#error-summary[role=alert] a").count() == errors

    submit.__name__ = f"submit_the_form_empty_expecting_{errors}_errors"
    return submit


submit_two_empty_fields = submit_empty_expecting(2)


def open_the_accessibility_panel(page):
    page.locator(".a11y-panel > summary").click()
    assert page.locator(".a11y-panel .a11y-form").is_visible()


def _upload(page, rows):
    """Send a CSV of persons through the import page, as a user picking a file would."""
    header = "IIN,Surname,Given name,Birth date,Sex,Region"
    text = "\r\n".join([header, *rows]) + "\r\n"
    page.locator("#id_file").set_input_files(files=[{"name": "persons.csv", "mimeType": "text/csv",
                                                     "buffer": text.encode("utf-8")}])
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def upload_a_file_with_bad_rows(page):
    _upload(page, [",Ахметова,Айгүл,01.02.1970,F,750000000", "123,Ахметов,,31.02.1971,M,750000000"])
    assert page.locator("#problems").is_visible()


def upload_a_file_with_a_likely_duplicate(page):
    _upload(page, [",Ахметова,Айгүл,01.02.1970,F,750000000", ",Kussainova,Lyazzat,14.07.1985,F,750000000"])
    assert page.locator("main form input[type=checkbox]").count() == 1


@dataclass(frozen=True)
class Visit:
    """How to reach a page: its path ({org} is the verified organisation's id), who is signed in, what data it shows."""

    path: str
    role: str | None = None  # None: a visitor
    needs: tuple = ()  # "org", "people", "holidays", "pending_org", "tokens"
    status: int = 200
    then: Callable | None = None  # what to do on the page before axe looks at it
    verified: bool = True  # second factor confirmed in the session
    two_factor: bool = True  # the user has an authenticator set up


PAGES = {
    "home": Visit("/"),
    "accessibility-panel-open": Visit("/", then=open_the_accessibility_panel),
    "organisations": Visit("/organizations/", needs=("org",)),
    "organisation-profile": Visit("/organizations/{org}/"),
    "holidays": Visit("/holidays/?year=2025", needs=("holidays",)),
    "regions": Visit("/regions/", needs=("org",)),
    "accessibility-settings": Visit("/accessibility/"),
    "login": Visit("/accounts/login/"),
    "login-with-errors": Visit("/accounts/login/", then=submit_login_with_a_wrong_password),
    "signup": Visit("/accounts/signup/"),
    "signup-with-errors": Visit("/accounts/signup/", then=submit_the_form_empty),
    "password-reset": Visit("/accounts/password-reset/"),
    "not-found": Visit("/no-such-page/", status=404),
    "api-docs": Visit("/api/v1/docs"),
    "dashboard": Visit("/dashboard/", Role.ORG_ADMIN),
    "profile": Visit("/accounts/profile/", Role.ORG_ADMIN),
    "api-tokens": Visit("/accounts/tokens/", Role.VOLUNTEER, needs=("tokens",)),
    "register-organisation": Visit("/organizations/register/", Role.VOLUNTEER),
    "members": Visit("/organizations/{org}/members/", Role.ORG_ADMIN, needs=("people",)),
    "review-queue": Visit("/organizations/review/", Role.COORDINATOR, needs=("pending_org",)),
    "two-factor-setup": Visit("/accounts/2fa/setup/", Role.ORG_ADMIN, two_factor=False),
    "two-factor-code": Visit("/accounts/2fa/verify/", Role.ORG_ADMIN, verified=False),
    "people-and-roles": Visit("/accounts/people/", Role.PLATFORM_ADMIN, needs=("people",)),
    "person": Visit("/accounts/people/{volunteer}/", Role.PLATFORM_ADMIN, needs=("people",)),
    "task-progress": Visit("/tasks/{task}/", Role.PLATFORM_ADMIN, needs=("people", "task")),
    "registry-search": Visit("/registry/?q=Kussainova+L.", Role.ORG_STAFF, needs=("person",)),
    "registry-person": Visit("/registry/persons/{person}/", Role.ORG_STAFF, needs=("person",)),
    "registry-new-with-errors": Visit("/registry/persons/new/", Role.ORG_STAFF, needs=("person",),
                                      then=submit_the_form_empty),
    "registry-household": Visit("/registry/households/{household}/", Role.ORG_STAFF, needs=("person",)),
    "registry-coordination": Visit("/registry/coordination/?iin={iin}", Role.ORG_STAFF, needs=("person",)),
    "registry-duplicates": Visit("/registry/duplicates/", Role.COORDINATOR, needs=("person",)),
    "registry-duplicate": Visit("/registry/duplicates/{candidate}/", Role.COORDINATOR, needs=("person",)),
    "registry-me": Visit("/registry/me/", Role.BENEFICIARY, needs=("person",)),
    "aid-needs": Visit("/aid/?status=open", Role.ORG_STAFF, needs=("person", "aid")),
    "aid-need": Visit("/aid/needs/{need}/", Role.ORG_STAFF, needs=("person", "aid")),
    "aid-need-new-with-errors": Visit("/aid/needs/new/?person={person}", Role.ORG_STAFF, needs=("person", "aid"),
                                      then=submit_two_empty_fields),
    "aid-apply-with-errors": Visit("/aid/apply/", Role.BENEFICIARY, then=submit_the_form_empty),
    "aid-my": Visit("/aid/my/", Role.BENEFICIARY, needs=("person", "aid")),
    "aid-catalogue": Visit("/aid/catalogue/"),
    "aid-campaigns": Visit("/aid/campaigns/", needs=("person", "aid")),
    "aid-campaign-public": Visit("/aid/campaigns/{campaign}/", needs=("person", "aid")),
    "aid-campaign-manage": Visit("/aid/campaigns/{campaign}/", Role.ORG_STAFF, needs=("person", "aid")),
    "aid-allocation": Visit("/aid/allocations/{run}/", Role.ORG_STAFF, needs=("person", "aid")),
    "aid-distribution": Visit("/aid/distributions/{distribution}/", Role.ORG_STAFF, needs=("person", "aid")),
    "aid-offers": Visit("/aid/offers/", Role.DONOR, needs=("person", "aid")),
    "aid-offer-new": Visit("/aid/offers/new/", Role.DONOR),
    "aid-warehouses": Visit("/aid/warehouses/", Role.ORG_STAFF),
    "ledger-organisation": Visit("/ledger/organizations/{org}/", Role.ORG_STAFF, needs=("ledger",)),
    "ledger-donation-with-errors": Visit("/ledger/organizations/{org}/donations/new/", Role.ORG_STAFF,
                                         then=submit_empty_expecting(1)),
    "ledger-stock": Visit("/ledger/organizations/{org}/stock/", Role.ORG_STAFF, needs=("ledger",)),
    "ledger-warehouse": Visit("/ledger/warehouses/{warehouse}/", Role.ORG_STAFF, needs=("ledger",)),
    "ledger-trace": Visit("/ledger/trace/{offer}/", Role.DONOR, needs=("ledger",)),
    "ledger-donor": Visit("/ledger/", Role.DONOR, needs=("ledger",)),
    "registry-import": Visit("/registry/import/", Role.ORG_STAFF),
    "registry-import-problems": Visit("/registry/import/", Role.ORG_STAFF, then=upload_a_file_with_bad_rows),
    "registry-import-preview": Visit("/registry/import/", Role.ORG_STAFF, needs=("person",),
                                     then=upload_a_file_with_a_likely_duplicate),
}


def make_registry_data(org, region, staff):
    """A person with a disability, consent, a category and a household, and the same person entered again."""
    import datetime as dt
    import importlib

    from django.apps import apps

    from qamqor.core.models import DisabilityCategory
    from qamqor.core.reference import load_disability_categories
    from qamqor.lib.iin import make_iin
    from qamqor.lib.names import full_name_key
    from qamqor.registry import services
    from qamqor.registry.models import Category, Person

    load_disability_categories(DisabilityCategory)  # flushed by transactional tests, like the regions
    importlib.import_module("qamqor.registry.migrations.0002_categories_and_search_index").load(apps, None)
    born = dt.date(1985, 7, 14)
    iin = next(i for i in (make_iin(born, "F", n) for n in range(50)) if i)
    person = Person.objects.create(
        owner=org, region=region, iin=iin, surname="Кусаинова", given_name="Ляззат", patronymic="Серікқызы",
        name_key=full_name_key("Кусаинова", "Ляззат", "Серікқызы"), birth_date=born, sex="F", locality="Алматы",
        disability=DisabilityCategory.objects.get(code="group_2"), disability_cause="general", uses_wheelchair=True)
    child = Person.objects.create(owner=org, region=region, surname="Кусаинов", given_name="Әли",
                                  name_key=full_name_key("Кусаинов", "Әли"), birth_date=dt.date(2015, 3, 1), sex="M")
    twin = Person.objects.create(owner=org, region=region, surname="Kussainova", given_name="Lyazzat",
                                 name_key=full_name_key("Kussainova", "Lyazzat"), birth_date=born, sex="F")
    services.consent_give(actor=staff, person=person, purpose="sharing", given_by="person",
                          given_on=dt.date(2026, 1, 10), source="paper")
    services.category_assign(actor=staff, person=person, category=Category.objects.get(code="pensioner"),
                             evidence="document", evidence_reference="Certificate 12", valid_from=dt.date(2025, 1, 1))
    household = services.household_create(actor=staff, head=person)
    services.household_add_member(actor=staff, household=household, person=child, relationship="child",
                                  monthly_income=0)
    candidate = services.duplicate_pair(person, twin, 0.96)
    return {"person": person.pk, "household": household.pk, "iin": iin, "candidate": candidate.pk}


def make_aid_data(org, region, staff, person_id, donor):
    """A need, an open campaign with a lot and a previewed allocation, a planned hand-over and a gift."""
    import datetime as dt
    import importlib

    from django.apps import apps

    from qamqor.aid import services
    from qamqor.aid.models import Item, Warehouse
    from qamqor.ledger import services as ledger
    from qamqor.registry.models import Person

    importlib.import_module("qamqor.aid.migrations.0003_catalogue").load(apps, None)  # flushed like the regions
    meat = Item.objects.get(code="meat-portion")
    person = Person.objects.get(pk=person_id)
    need = services.need_create(actor=staff, person=person, item=meat, quantity=2, urgency=3, evidence="Act 5")
    campaign = services.campaign_create(actor=staff, organizer=org, title="Құрбан айт 2026", items=[(meat, 100)],
                                        starts_on=dt.date(2026, 5, 13), ends_on=dt.date(2026, 6, 10), regions=[region],
                                        description="Ет таратамыз.")
    services.campaign_set_status(actor=staff, campaign=campaign, status="open")
    warehouse = Warehouse.objects.create(organization=org, name="Негізгі қойма", region=region)
    ledger.stock_receive(actor=staff, warehouse=warehouse, item=meat, quantity=10, idempotency_key="axe")
    services.lot_create(actor=staff, campaign=campaign, warehouse=warehouse, item=meat, quantity=10)
    services.need_create(actor=staff, person=person, item=meat, quantity=1, campaign=campaign)
    run = services.allocation_preview(actor=staff, campaign=campaign)
    distribution = services.distribution_create(actor=staff, need=need, quantity=2, organization=org)
    services.offer_create(actor=donor, kind="money", recipient=org, amount_kzt="25000", campaign=campaign)
    return {"need": need.pk, "campaign": campaign.slug, "run": run.pk, "distribution": distribution.pk}


def make_ledger_data(org, region, staff, donor):
    """A warehouse with stock, a gift of money from the donor received for a campaign, and one spent."""
    import datetime as dt
    import importlib

    from django.apps import apps

    from qamqor.aid import services
    from qamqor.aid.models import Item, Warehouse
    from qamqor.ledger import services as ledger

    importlib.import_module("qamqor.aid.migrations.0003_catalogue").load(apps, None)
    food = Item.objects.get(code="food-package")
    warehouse = Warehouse.objects.create(organization=org, name="Негізгі қойма", region=region)
    ledger.stock_receive(actor=staff, warehouse=warehouse, item=food, quantity=40, idempotency_key="axe-stock")
    campaign = services.campaign_create(actor=staff, organizer=org, title="Жылы қыс", items=[(food, 100)],
                                        starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2027, 2, 28))
    services.campaign_set_status(actor=staff, campaign=campaign, status="open")
    offer = services.offer_create(actor=donor, kind="money", recipient=org, amount_kzt="120000", campaign=campaign)
    services.offer_receive(actor=staff, offer=offer)
    ledger.money_spend(actor=staff, organization=org, amount="45000.50", purpose="purchase", campaign=campaign,
                       idempotency_key="axe-spend", description="Азық-түлік сатып алу")
    return {"warehouse": warehouse.pk, "offer": offer.pk}


def make_data(visit: Visit, request):
    """The data the page shows, through the shared fixtures; returns the user to sign in (or None) and the ids."""
    fixture = request.getfixturevalue
    ids = {}
    if "org" in visit.needs or "{org}" in visit.path or visit.role in (Role.ORG_ADMIN, Role.ORG_STAFF):
        org = fixture("org")  # verified, with every detail filled in so the profile shows all its parts
        org.address, org.phone, org.email = "Алматы, Абай даңғылы 10", "+7 727 000 00 00", "info@meyirim.kz"
        org.website, org.description = "https://meyirim.kz", "Азық-түлік пен дәрі-дәрмек таратады.\nЕріктілер күтеді."
        org.save()
        ids["org"] = org.pk
    if "holidays" in visit.needs:
        fixture("holidays")
    if "pending_org" in visit.needs:
        from qamqor.organizations.models import Organization

        Organization.objects.create(name="Жаңа қор", kind="charity_fund", bin="200240000018",
                                    region=fixture("almaty"), status="pending")
    if visit.role is None:
        if "aid" in visit.needs:  # a visitor's view of a campaign that staff set up
            staff = fixture("make_user")("registry-staff@test.kz", Role.ORG_STAFF, organization=fixture("org"))
            ids.update(make_registry_data(fixture("org"), fixture("almaty"), staff))
            donor = fixture("make_user")("donor-aid@test.kz", Role.DONOR)
            ids.update(make_aid_data(fixture("org"), fixture("almaty"), staff, ids["person"], donor))
        return None, ids
    if "people" in visit.needs:
        user = fixture("people")[visit.role]
    else:
        user = fixture("make_user")(
            f"{visit.role}@test.kz", visit.role, two_factor=visit.two_factor,
            organization=fixture("org") if visit.role in (Role.ORG_ADMIN, Role.ORG_STAFF) else None,
            region=fixture("almaty") if visit.role == Role.COORDINATOR else None)
    if "people" in visit.needs:
        ids["volunteer"] = fixture("people")["volunteer"].pk
    if "task" in visit.needs:
        from qamqor.core import services as core_services

        task = core_services.progress_start(kind="demo", label="Тізілімді байланыстыру", owner=user, total=400)
        core_services.progress_update(task.pk, done=120, status="running")
        ids["task"] = task.pk
    if "person" in visit.needs:
        staff = user if visit.role == Role.ORG_STAFF else fixture("make_user")("registry-staff@test.kz", Role.ORG_STAFF,
                                                                             organization=fixture("org"))
        ids.update(make_registry_data(fixture("org"), fixture("almaty"), staff))
        if visit.role == Role.BENEFICIARY:
            from qamqor.registry.models import Person

            Person.objects.filter(pk=ids["person"]).update(user=user)
        if "aid" in visit.needs:
            donor = user if visit.role == Role.DONOR else fixture("make_user")("donor-aid@test.kz", Role.DONOR)
            ids.update(make_aid_data(fixture("org"), fixture("almaty"), staff, ids["person"], donor))
    if "ledger" in visit.needs:
        staff = user if visit.role == Role.ORG_STAFF else fixture("make_user")("ledger-staff@test.kz", Role.ORG_STAFF,
                                                                             organization=fixture("org"))
        donor = user if visit.role == Role.DONOR else fixture("make_user")("ledger-donor@test.kz", Role.DONOR)
        ids.update(make_ledger_data(fixture("org"), fixture("almaty"), staff, donor))
        ids["org"] = fixture("org").pk
    if "tokens" in visit.needs:
        from qamqor.accounts import services

        services.token_create(user=user, name="Есеп скрипті")
        revoked, _raw = services.token_create(user=user, name="Old script")
        services.token_revoke(actor=user, token=revoked)
    return user, ids


@pytest.mark.parametrize("name", PAGES)
def test_it_has_no_accessibility_violations(site, request, axe, explain, name):
    """Each page in kk, ru and en with the default colours, and in Kazakh in each other colour scheme: one set of
    data for the page, every combination checked, every violation reported together."""
    from axes.utils import reset as reset_login_failures

    visit = PAGES[name]
    user, ids = make_data(visit, request)
    found = []
    for lang, scheme in [(lang, None) for lang in LANGUAGES] + [("kk", scheme) for scheme in SCHEMES]:
        reset_login_failures()  # a page that submits a wrong password is visited six times: no lock-out
        context = {"lang": lang, **({"scheme": scheme} if scheme else {})}
        page = site.open(visit.path.format(**ids), status=visit.status, user=user, verified=visit.verified, **context)
        if visit.then is not None:
            visit.then(page)
        assert page.locator("html").get_attribute("lang") == lang
        if scheme:
            assert f"scheme-{scheme}" in page.locator("html").get_attribute("class").split()
        violations = axe(page)
        if violations:
            found.append(f"[{lang}, {scheme or 'default colours'}] {page.url}:\n{explain(violations)}")
        page.close()
    assert not found, "axe-core found violations:\n" + "\n".join(found)
