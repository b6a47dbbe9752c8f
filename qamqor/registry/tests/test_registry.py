import datetime as dt
import json
from decimal import Decimal

import pytest

from qamqor.accounts.models import Role
from qamqor.core.models import AccessLog, AuditLog
from qamqor.lib.iin import make_iin
from qamqor.organizations.models import Organization
from qamqor.registry.models import Category, Consent, Person


def iin_for(born, sex, serial=1):
    while True:
        number = make_iin(born, sex, serial)
        if number:
            return number
        serial += 1


def person_data(region, **overrides):
    data = {"surname": "Кусаинова", "given_name": "Ляззат", "patronymic": "", "iin": "", "birth_date": "1985-07-14",
            "sex": "F", "citizenship": "citizen", "region": region.pk, "district": "", "locality": "Алматы",
            "address": "Абай 10", "phone": "", "email": "", "disability": "", "disability_cause": "",
            "disability_set_on": "", "disability_review_on": ""}
    data.update(overrides)
    return data


def results(response):
    """The names in the search results table (not the form, whose help text has example names)."""
    import re

    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'<a href="/registry/persons/\d+/">([^<]+)</a>', body)


def register(client, org, region, **overrides):
    return client.post("/registry/persons/new/", {"owner": org.pk, **person_data(region, **overrides)},
                       HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def other_org(db, regions):
    return Organization.objects.create(name="Astana Fund", kind="charity_fund", bin="190540000054",
                                       region=regions["710000000"], status="verified")


def test_staff_register_a_person_and_the_iin_gives_birth_date_and_sex(client_for, people, org, almaty):
    iin = iin_for(dt.date(1985, 7, 14), "F")
    response = register(client_for(people["org_staff"]), org, almaty, iin=iin, birth_date="", sex="")
    person = Person.objects.get(iin=iin)
    assert response.status_code == 302 and response.url == f"/registry/persons/{person.pk}/"
    assert (person.birth_date, person.sex, person.owner) == (dt.date(1985, 7, 14), "F", org)
    assert person.name_key == "kusainova liazat"
    assert AuditLog.objects.filter(action="person.create", object_id=str(person.pk)).exists()


@pytest.mark.parametrize("overrides,field,reason", [
    ({"iin": "123"}, "iin", "exactly 12 digits"),
    ({"iin": "850714400000"}, "iin", "check digit"),
    ({"birth_date": "2099-01-01"}, "birth_date", "in the future"),
    ({"surname": "  "}, "surname", "This field is required"),
])
def test_bad_input_is_refused_with_the_reason_and_nothing_is_saved(client_for, people, org, almaty, overrides, field,
                                                                    reason):
    response = register(client_for(people["org_staff"]), org, almaty, **overrides)
    html = response.content.decode()
    assert response.status_code == 400 and reason in html and f'href="#id_{field}"' in html
    assert not Person.objects.exists()


def test_a_birth_date_that_contradicts_the_iin_is_refused(client_for, people, org, almaty):
    iin = iin_for(dt.date(1985, 7, 14), "F")
    response = register(client_for(people["org_staff"]), org, almaty, iin=iin, birth_date="1985-07-15")
    assert response.status_code == 400
    assert "does not agree with the IIN" in response.content.decode()
    assert not Person.objects.exists()


def test_a_known_iin_is_refused(client_for, people, org, almaty):
    iin = iin_for(dt.date(1985, 7, 14), "F")
    client = client_for(people["org_staff"])
    register(client, org, almaty, iin=iin)
    response = register(client, org, almaty, iin=iin, surname="Другая")
    assert response.status_code == 400 and "already registered" in response.content.decode()
    assert Person.objects.count() == 1


def test_registering_a_likely_duplicate_warns_first_then_saves_when_confirmed(client_for, people, org, almaty):
    client = client_for(people["org_staff"])
    register(client, org, almaty)
    warned = register(client, org, almaty, surname="Kussainova", given_name="Lyazzat")
    html = warned.content.decode()
    assert warned.status_code == 400 and "may already be registered" in html and "Кусаинова Ляззат" in html
    assert Person.objects.count() == 1
    confirmed = register(client, org, almaty, surname="Kussainova", given_name="Lyazzat", show_confirm="1",
                         confirmed_new="on")
    assert confirmed.status_code == 302 and Person.objects.count() == 2
    from qamqor.registry.models import DuplicateCandidate

    assert DuplicateCandidate.objects.filter(decision="pending").count() == 1  # a reviewer still compares them


@pytest.mark.parametrize("query", ["Кусаинова Ляззат", "Kussainova Lyazzat", "Kusainova L.", "кусаинова",
                                   "KUSAINOVA"])
def test_search_finds_a_name_across_scripts_and_spellings(client_for, people, org, almaty, query):
    client = client_for(people["org_staff"])
    register(client, org, almaty)
    register(client, org, almaty, surname="Иванова", given_name="Мария", birth_date="1990-01-01")
    assert results(client.get("/registry/", {"q": query})) == ["Кусаинова Ляззат"]


def test_search_by_iin_and_filters(client_for, people, org, almaty):
    client = client_for(people["org_staff"])
    iin = iin_for(dt.date(1985, 7, 14), "F")
    register(client, org, almaty, iin=iin)
    assert results(client.get("/registry/", {"q": iin})) == ["Кусаинова Ляззат"]
    assert results(client.get("/registry/", {"q": "Кусаинова", "birth_year": 1990})) == []
    assert results(client.get("/registry/", {"q": "Кусаинова", "birth_year": 1985})) == ["Кусаинова Ляззат"]


def test_every_search_result_and_record_view_is_logged(client_for, people, org, almaty):
    client = client_for(people["org_staff"])
    register(client, org, almaty)
    person = Person.objects.get()
    client.get("/registry/", {"q": "Кусаинова"})
    client.get(f"/registry/persons/{person.pk}/")
    purposes = set(AccessLog.objects.filter(actor=people["org_staff"], subject_id=str(person.pk))
                   .values_list("purpose", flat=True))
    assert {"registry search", "view record"} <= purposes


def test_staff_of_another_organisation_never_see_the_record(client_for, make_user, people, org, other_org, almaty):
    register(client_for(people["org_staff"]), org, almaty)
    person = Person.objects.get()
    outsider = make_user("outsider@test.kz", Role.ORG_STAFF, organization=other_org)
    client = client_for(outsider)
    assert client.get(f"/registry/persons/{person.pk}/").status_code == 404
    assert results(client.get("/registry/", {"q": "Кусаинова"})) == []
    assert not AccessLog.objects.filter(actor=outsider).exists()


def test_a_coordinator_sees_their_region_only(client_for, make_user, people, org, almaty, astana):
    register(client_for(people["org_staff"]), org, almaty)
    person = Person.objects.get()
    assert client_for(people["coordinator"]).get(f"/registry/persons/{person.pk}/").status_code == 200
    other = make_user("astana@test.kz", Role.COORDINATOR, region=astana)
    assert client_for(other).get(f"/registry/persons/{person.pk}/").status_code == 404
    # A coordinator sees but does not edit.
    assert client_for(people["coordinator"]).get(f"/registry/persons/{person.pk}/edit/").status_code == 403


def test_consent_withdrawal_hides_shared_data_at_once(client_for, make_user, people, org, other_org, almaty):
    iin = iin_for(dt.date(1985, 7, 14), "F")
    staff = client_for(people["org_staff"])
    register(staff, org, almaty, iin=iin)
    person = Person.objects.get()
    outsider = client_for(make_user("outsider@test.kz", Role.ORG_STAFF, organization=other_org))
    assert "has not consented" in outsider.get("/registry/coordination/", {"iin": iin},
                                               HTTP_ACCEPT_LANGUAGE="en").content.decode()
    staff.post(f"/registry/persons/{person.pk}/consents/new/", {"purpose": "sharing", "given_by": "person",
                                                                 "given_on": "2026-01-10", "source": "paper"})
    shared = outsider.get("/registry/coordination/", {"iin": iin}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert org.name in shared
    consent = Consent.objects.get(person=person, purpose="sharing")
    staff.post(f"/registry/persons/{person.pk}/consents/{consent.pk}/withdraw/")
    after = outsider.get("/registry/coordination/", {"iin": iin}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "has not consented" in after and org.name not in after.split("<main")[1]


def test_a_representatives_consent_names_them(client_for, people, org, almaty):
    staff = client_for(people["org_staff"])
    register(staff, org, almaty)
    person = Person.objects.get()
    response = staff.post(f"/registry/persons/{person.pk}/consents/new/", {
        "purpose": "registration", "given_by": "representative", "given_on": "2026-01-10", "source": "paper"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "representative" in response.content.decode()
    assert not Consent.objects.exists()


def make_person(org, region, surname, born, **extra):
    from qamqor.lib.names import full_name_key

    return Person.objects.create(owner=org, region=region, surname=surname, given_name="Test", birth_date=born,
                                 name_key=full_name_key(surname, "Test"), **extra)


def test_household_flags_large_family_and_low_income(client_for, people, org, almaty):
    from qamqor.registry import services
    from qamqor.registry.selectors import household_flags, vulnerability_score

    head = make_person(org, almaty, "Head", dt.date(1980, 1, 1))
    household = services.household_create(actor=people["org_staff"], head=head)
    today = dt.date(2026, 6, 1)
    for i, (born, study) in enumerate([(dt.date(2010, 1, 1), False), (dt.date(2012, 1, 1), False),
                                       (dt.date(2015, 1, 1), False), (dt.date(2004, 1, 1), True),
                                       (dt.date(2003, 1, 1), False)]):
        child = make_person(org, almaty, f"Child{i}", born)
        services.household_add_member(actor=people["org_staff"], household=household, person=child,
                                      relationship="child", in_full_time_study=study, monthly_income=0)
    head_member = head.memberships.get()
    head_member.monthly_income = Decimal("120000")
    head_member.save()
    flags = household_flags(household, on=today)
    # 22-year-old student counts, 23-year-old non-student does not.
    assert flags["children"] == 4 and flags["large_family"]
    assert flags["income_per_head"] == Decimal("20000.00")
    assert flags["poverty_line"] == Decimal("35595.70")  # 70% of 50,851 (2026)
    assert flags["low_income"]
    score = vulnerability_score(head, on=today)
    weights = dict(Category.objects.values_list("code", "weight"))
    assert score == weights["large_family"] + weights["low_income"]


def test_category_codes_for_many_persons_equal_the_codes_one_by_one(client_for, people, org, almaty,
                                                                     django_assert_max_num_queries):
    """The allocation run reads every applicant's categories at once; it must see what a person's page sees."""
    from qamqor.registry import services
    from qamqor.core.models import DisabilityCategory
    from qamqor.registry.selectors import category_codes, category_codes_many

    today = dt.date(2026, 6, 1)
    head = make_person(org, almaty, "Head", dt.date(1980, 1, 1))
    household = services.household_create(actor=people["org_staff"], head=head)
    children = []
    for i in range(4):
        child = make_person(org, almaty, f"Child{i}", dt.date(2012 + i, 1, 1))
        services.household_add_member(actor=people["org_staff"], household=household, person=child,
                                      relationship="child", in_full_time_study=False, monthly_income=0)
        children.append(child)
    alone = make_person(org, almaty, "Alone", dt.date(1950, 1, 1),
                        disability=DisabilityCategory.objects.order_by("pk").first())
    ended = make_person(org, almaty, "Ended", dt.date(1970, 1, 1))
    staff = people["org_staff"]
    own = Category.objects.filter(derived=False, applies_to=Category.AppliesTo.PERSON).order_by("pk").first()
    shared = Category.objects.filter(derived=False).exclude(applies_to=Category.AppliesTo.PERSON).order_by("pk").first()
    evidence = {"evidence": "document", "evidence_reference": "No. 1", "valid_from": dt.date(2020, 1, 1)}
    services.category_assign(actor=staff, category=own, person=alone, **evidence)
    services.category_assign(actor=staff, category=shared, household=household, **evidence)
    services.category_assign(actor=staff, category=own, person=ended, **{**evidence, "valid_to": dt.date(2025, 12, 31)})
    persons = [head, *children, alone, ended]
    one_by_one = {p.pk: category_codes(p, on=today) for p in persons}
    assert one_by_one[head.pk] >= {"large_family", "low_income", shared.code}
    assert one_by_one[alone.pk] == {"disability", own.code}
    assert one_by_one[ended.pk] == set()
    with django_assert_max_num_queries(6):
        many = category_codes_many(persons, on=today)
    assert many == one_by_one


def test_a_person_sees_and_exports_their_own_record(client_for, make_user, people, org, almaty):
    user = make_user("me@test.kz", Role.BENEFICIARY)
    register(client_for(people["org_staff"]), org, almaty)
    person = Person.objects.get()
    person.user = user
    person.save()
    client = client_for(user)
    page = client.get("/registry/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Кусаинова Ляззат" in page
    exported = client.get("/registry/me/export.json")
    data = json.loads(exported.content)
    assert data["person"]["surname"] == "Кусаинова" and any(c["action"] == "person.create" for c in data["changes"])
    assert AccessLog.objects.filter(actor=user, channel="export").exists()
    # But not someone else's record.
    assert client.get(f"/registry/persons/{person.pk + 1000}/").status_code == 404


@pytest.mark.postgres
def test_on_postgresql_search_forgives_typos(client_for, people, org, almaty):
    from django.db import connection

    assert connection.vendor == "postgresql"
    client = client_for(people["org_staff"])
    register(client, org, almaty)
    assert results(client.get("/registry/", {"q": "Kusainva Lyazat"})) == ["Кусаинова Ляззат"]


@pytest.mark.postgres
def test_on_postgresql_a_name_is_found_by_its_beginning_and_whole_names_come_first(client_for, people, org, almaty):
    client = client_for(people["org_staff"])
    register(client, org, almaty)
    register(client, org, almaty, surname="Кусаинбекова", iin="", birth_date="1990-01-01", sex="F")
    register(client, org, almaty, surname="Бекова", iin="", birth_date="1991-01-01", sex="F")

    assert results(client.get("/registry/", {"q": "Kusain"})) == ["Кусаинбекова Ляззат", "Кусаинова Ляззат"]
    # A typed word is a whole name or its beginning: "bekova" does not find the middle of "Кусаинбекова".
    assert results(client.get("/registry/", {"q": "Bekova L."})) == ["Бекова Ляззат"]
    # The closest spelling first: the exact surname before the one a letter longer.
    assert results(client.get("/registry/", {"q": "Кусаинова Ляззат"}))[0] == "Кусаинова Ляззат"


@pytest.mark.postgres
def test_on_postgresql_persons_written_by_sql_are_found_too(org, almaty, client_for, people):
    """The search vocabulary is kept by a trigger, so rows loaded by COPY or SQL (a migration, a bulk load) are
    found as those saved through the pages are."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_person (owner_id, surname, given_name, patronymic, name_key, sex, citizenship, phone, "
            "email, region_id, district, locality, address, disability_cause, disability_indefinite, uses_wheelchair, "
            "needs_escort, has_guide_dog, deaf_sign_language, blind_low_vision, status, created_at, updated_at) "
            "VALUES (%s, 'Жұмабаева', 'Гүлнар', '', 'zhumabaeva gulnar', 'F', 'citizen', '', '', %s, '', '', '', '', "
            "false, false, false, false, false, false, 'active', now(), now())", [org.pk, almaty.pk])
    client = client_for(people["org_staff"])
    assert results(client.get("/registry/", {"q": "Zhumabaeva Gulnar"})) == ["Жұмабаева Гүлнар"]
    assert results(client.get("/registry/", {"q": "Nobodyknows Gulnar"})) == []


def test_an_iin_whose_birth_date_is_in_the_future_is_refused(client_for, people, org, almaty):
    iin = iin_for(dt.date(2099, 1, 1), "M")
    response = register(client_for(people["org_staff"]), org, almaty, iin=iin, birth_date="", sex="")
    assert response.status_code == 400 and "in the future" in response.content.decode()
    assert not Person.objects.exists()


def test_coordination_shows_household_assistance_and_the_export_shows_the_household(client_for, make_user, people, org,
                                                                                     other_org, almaty):
    from qamqor.registry import services

    iin = iin_for(dt.date(1985, 7, 14), "F")
    staff = people["org_staff"]
    register(client_for(staff), org, almaty, iin=iin)
    person = Person.objects.get()
    services.consent_give(actor=staff, person=person, purpose="sharing", given_by="person",
                          given_on=dt.date(2026, 1, 10), source="paper")
    household = services.household_create(actor=staff, head=person)
    services.category_assign(actor=staff, household=household, category=Category.objects.get(code="tsa_recipient"),
                             evidence="source_system", evidence_reference="E-government", valid_from=dt.date(2026, 1, 1))
    outsider = client_for(make_user("outsider@test.kz", Role.ORG_STAFF, organization=other_org))
    answer = outsider.get("/registry/coordination/", {"iin": iin}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Receives targeted social assistance" in answer
    user = make_user("me@test.kz", Role.BENEFICIARY)
    Person.objects.filter(pk=person.pk).update(user=user)
    data = json.loads(client_for(user).get("/registry/me/export.json").content)
    assert data["household"]["members"][0]["relationship"] == "head"
