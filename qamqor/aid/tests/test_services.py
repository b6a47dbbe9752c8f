"""Needs, campaigns, lots, allocation and hand-overs through the services, as the pages and API use them."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from qamqor.accounts.models import Role
from qamqor.aid import services
from qamqor.aid.models import AllocationRun, Distribution, Item, Lot, Need, Warehouse
from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import AuditLog
from qamqor.lib.names import full_name_key
from qamqor.registry import services as registry_services
from qamqor.registry.models import Category, Consent, Person


def make_person(org, region, surname, given, *, born=dt.date(1980, 1, 1), user=None, disability=None):
    return Person.objects.create(owner=org, region=region, surname=surname, given_name=given,
                                 name_key=full_name_key(surname, given), birth_date=born, sex="F", user=user,
                                 disability=disability)


@pytest.fixture(autouse=True)
def _in_english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def staff(people):
    return people["org_staff"]


@pytest.fixture
def meat(db):
    return Item.objects.get(code="meat-portion")


@pytest.fixture
def warehouse(org, almaty):
    return Warehouse.objects.create(organization=org, name="Main store", region=almaty)


def stock(actor, warehouse, item, quantity):
    """Goods arrive at the warehouse (the ledger's stock), so that lots can be made from them."""
    from qamqor.ledger import services as ledger

    ledger.stock_receive(actor=actor, warehouse=warehouse, item=item, quantity=quantity,
                         idempotency_key=f"test-{warehouse.pk}-{item.pk}-{quantity}")


@pytest.fixture
def campaign(staff, org, almaty, meat):
    return services.campaign_create(actor=staff, organizer=org, title="Kurban Ait 2026", starts_on=dt.date(2026, 5, 20),
                                    ends_on=dt.date(2026, 6, 10), items=[(meat, 100)], regions=[almaty])


def test_it_records_a_need_for_a_registered_person_with_their_household(staff, org, almaty, meat):
    person = make_person(org, almaty, "Кусаинова", "Ляззат")
    household = registry_services.household_create(actor=staff, head=person)

    need = services.need_create(actor=staff, person=person, item=meat, quantity="3", urgency=3)

    assert (need.household, need.owner, need.region, need.quantity) == (household, org, almaty, 3)
    assert AuditLog.objects.filter(action="need.create", object_id=str(need.pk)).exists()


@pytest.mark.parametrize("quantity,message", [("-1", "more than zero"), ("2.5", "without a fraction"),
                                              ("0", "more than zero"), ("many", "whole number")])
def test_it_refuses_a_bad_quantity_and_saves_nothing(staff, org, almaty, meat, quantity, message):
    person = make_person(org, almaty, "Кусаинова", "Ляззат")
    with pytest.raises(ServiceError) as refused:
        services.need_create(actor=staff, person=person, item=meat, quantity=quantity)
    assert refused.value.field == "quantity" and message in str(refused.value.message)
    assert not Need.objects.exists()


def test_another_organisation_may_not_record_needs_for_our_person(make_user, other_org, org, almaty, meat):
    person = make_person(org, almaty, "Кусаинова", "Ляззат")
    outsider = make_user("out@test.kz", Role.ORG_STAFF, organization=other_org)
    with pytest.raises(PermissionDenied):
        services.need_create(actor=outsider, person=person, item=meat, quantity=1)


@pytest.fixture
def other_org(db, almaty):
    from qamqor.organizations.models import Organization

    return Organization.objects.create(name="Astana Fund", kind="charity_fund", bin="190540000054", region=almaty,
                                       status="verified")


def test_a_person_applies_for_themselves_and_a_coordinator_links_the_application(people, org, almaty, meat):
    user = people["beneficiary"]
    need = services.need_apply(actor=user, item=meat, quantity=2, description="Family of six", region=almaty,
                               phone="+7 701 000 00 00", name="Айгүл Ахметова")
    assert need.applicant == user and need.person is None and need.self_applied

    person = make_person(org, almaty, "Ахметова", "Айгүл")
    linked = services.need_link_person(actor=people["coordinator"], need=need, person=person)

    assert linked.person == person and linked.applicant is None and linked.owner == org
    person.refresh_from_db()
    assert person.user == user  # the applicant now sees their record and help


def test_it_allocates_the_most_vulnerable_first_and_explains_every_need(staff, org, almaty, meat, warehouse,
                                                                      campaign):
    poor = make_person(org, almaty, "Ахметова", "Айгүл")
    registry_services.category_assign(actor=staff, person=poor, category=Category.objects.get(code="homeless"),
                                      evidence="document", evidence_reference="Act 1", valid_from=dt.date(2026, 1, 1))
    other = make_person(org, almaty, "Иванова", "Анна")
    first = services.need_create(actor=staff, person=poor, item=meat, quantity=2, campaign=campaign)
    second = services.need_create(actor=staff, person=other, item=meat, quantity=2, campaign=campaign)
    stock(staff, warehouse, meat, 3)
    lot = services.lot_create(actor=staff, campaign=campaign, warehouse=warehouse, item=meat, quantity=3)

    run = services.allocation_preview(actor=staff, campaign=campaign)

    decisions = {d.need_id: d for d in run.decisions.all()}
    assert run.optimal and (decisions[first.pk].served, decisions[first.pk].reason) == (2, "served")
    assert (decisions[second.pk].served, decisions[second.pk].reason) == (1, "partial")
    assert decisions[first.pk].priority > decisions[second.pk].priority

    distributions = services.allocation_confirm(actor=staff, run=run)

    lot.refresh_from_db()
    assert lot.allocated == 3 and len(distributions) == 2
    assert set(Need.objects.values_list("status", flat=True)) == {"allocated"}


def test_a_confirmed_run_makes_other_previews_stale(staff, org, almaty, meat, warehouse, campaign):
    person = make_person(org, almaty, "Ахметова", "Айгүл")
    services.need_create(actor=staff, person=person, item=meat, quantity=2, campaign=campaign)
    stock(staff, warehouse, meat, 2)
    services.lot_create(actor=staff, campaign=campaign, warehouse=warehouse, item=meat, quantity=2)
    one = services.allocation_preview(actor=staff, campaign=campaign)
    two = services.allocation_preview(actor=staff, campaign=campaign)

    services.allocation_confirm(actor=staff, run=one)

    two.refresh_from_db()
    assert two.status == AllocationRun.Status.STALE
    with pytest.raises(ServiceError):
        services.allocation_confirm(actor=staff, run=two)
    assert Distribution.objects.count() == 1


def test_the_recipient_code_confirms_a_hand_over_and_a_cancel_returns_the_units(staff, org, almaty, meat, warehouse,
                                                                               campaign):
    person = make_person(org, almaty, "Ахметова", "Айгүл")
    services.need_create(actor=staff, person=person, item=meat, quantity=2, campaign=campaign)
    other = make_person(org, almaty, "Иванова", "Анна")
    services.need_create(actor=staff, person=other, item=meat, quantity=1, campaign=campaign)
    stock(staff, warehouse, meat, 5)
    lot = services.lot_create(actor=staff, campaign=campaign, warehouse=warehouse, item=meat, quantity=5)
    handed, cancelled = sorted(services.allocation_confirm(
        actor=staff, run=services.allocation_preview(actor=staff, campaign=campaign)), key=lambda d: -d.quantity)

    with pytest.raises(ServiceError) as wrong:
        services.distribution_hand_over(actor=staff, distribution=handed, code="000000"
                                        if services.recipient_code(handed) != "000000" else "111111")
    assert wrong.value.field == "code"
    services.distribution_hand_over(actor=staff, distribution=handed, code=services.recipient_code(handed))
    services.distribution_cancel(actor=staff, distribution=cancelled, reason="Moved to another city")

    handed.refresh_from_db()
    lot.refresh_from_db()
    assert handed.status == "handed" and handed.confirmation == "code" and handed.handed_at
    assert handed.need.status == "delivered" or Need.objects.get(pk=handed.need_id).status == "delivered"
    assert lot.allocated == 2 and Need.objects.get(pk=cancelled.need_id).status == "open"
    assert handed.value_kzt == meat.value_kzt * 2


def test_recent_help_from_another_organisation_shows_only_with_consent(staff, org, other_org, almaty, meat,
                                                                      make_user):
    from qamqor.aid.selectors import recent_help

    person = make_person(org, almaty, "Ахметова", "Айгүл")
    outsider = make_user("out@test.kz", Role.ORG_STAFF, organization=other_org)
    need = services.need_create(actor=staff, person=person, item=meat, quantity=1)
    given = services.distribution_create(actor=staff, need=need, quantity=1, organization=org)
    services.distribution_hand_over(actor=staff, distribution=given, signature=True)

    assert recent_help(person, viewer_org_ids={other_org.pk}) == {"own": [], "elsewhere": [], "shares": False,
                                                                   "hidden": 1}
    consent = registry_services.consent_give(actor=staff, person=person, purpose="sharing", given_by="person",
                                             given_on=dt.date(2026, 1, 10), source="paper")
    seen = recent_help(person, viewer_org_ids={other_org.pk})
    assert seen["elsewhere"] == [{"help_kind": "food", "days_ago": 0}] and "Ахметова" not in str(seen)
    registry_services.consent_withdraw(actor=staff, consent=consent)
    assert recent_help(person, viewer_org_ids={other_org.pk})["elsewhere"] == []
    assert outsider  # the outsider never reads the distribution itself


def test_an_offer_of_money_refuses_more_than_two_decimals(people, org):
    donor = people["donor"]
    with pytest.raises(ServiceError) as refused:
        services.offer_create(actor=donor, kind="money", recipient=org, amount_kzt="100.555")
    assert refused.value.field == "amount_kzt" and "two decimals" in str(refused.value.message)
    offer = services.offer_create(actor=donor, kind="money", recipient=org, amount_kzt="15000.50")
    assert offer.amount_kzt == Decimal("15000.50") and offer.donor_user == donor


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_confirming_over_the_same_last_stock_never_hand_out_more_than_exists(
        people, org, almaty, make_user):
    import importlib

    from django.apps import apps

    importlib.import_module("qamqor.aid.migrations.0003_catalogue").load(apps, None)  # flushed by transaction tests
    meat = Item.objects.get(code="meat-portion")
    staff = people["org_staff"]
    second = make_user("coordinator2@test.kz", Role.COORDINATOR, region=almaty)
    warehouse = Warehouse.objects.create(organization=org, name="Main store", region=almaty)
    campaign = services.campaign_create(actor=staff, organizer=org, title="Kurban Ait", starts_on=dt.date(2026, 5, 20),
                                        ends_on=dt.date(2026, 6, 10), items=[(meat, 10)], regions=[almaty])
    for i in range(4):
        services.need_create(actor=staff, person=make_person(org, almaty, "Ахметова", f"Айгүл{i}"), item=meat,
                             quantity=1, campaign=campaign)
    stock(staff, warehouse, meat, 3)
    lot = services.lot_create(actor=staff, campaign=campaign, warehouse=warehouse, item=meat, quantity=3)
    runs = [services.allocation_preview(actor=people["coordinator"], campaign=campaign),
            services.allocation_preview(actor=second, campaign=campaign)]
    outcomes = []
    barrier = threading.Barrier(2)

    def confirm(actor, run):
        try:
            barrier.wait()
            services.allocation_confirm(actor=actor, run=run)
            outcomes.append("confirmed")
        except ServiceError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(a, r)) for a, r in
               zip([people["coordinator"], second], runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    lot.refresh_from_db()
    # One confirms; the other finds its preview replaced (conflict) or the stock gone (stale), and promises nothing.
    assert sorted(outcomes) in (["confirmed", "conflict"], ["confirmed", "stale"])
    assert lot.allocated == 3 and Distribution.objects.filter(lot=lot).count() == 3
    assert Lot.objects.get(pk=lot.pk).allocated <= lot.quantity


def test_cash_assistance_handed_over_is_paid_from_the_campaigns_restricted_money(staff, org, almaty, people):
    from qamqor.ledger import services as ledger
    from qamqor.ledger.selectors import campaign_totals

    cash = Item.objects.get(code="cash-assistance")
    campaign = services.campaign_create(actor=staff, organizer=org, title="Winter cash", items=[(cash, 100000)],
                                        starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 31))
    ledger.money_receive(actor=staff, organization=org, amount="30000", idempotency_key="gift-1", campaign=campaign)
    person = make_person(org, almaty, "Ахметова", "Айгүл")
    need = services.need_create(actor=staff, person=person, item=cash, quantity=20000, campaign=campaign)
    given = services.distribution_create(actor=staff, need=need, quantity=20000, organization=org)

    services.distribution_hand_over(actor=staff, distribution=given, signature=True)

    (funds,) = campaign_totals(organization=org, campaign=campaign)
    assert (funds.raised, funds.spent, funds.left) == (Decimal("30000.00"), Decimal("20000.00"), Decimal("10000.00"))
    second = services.distribution_create(actor=staff, need=services.need_create(
        actor=staff, person=person, item=cash, quantity=15000, campaign=campaign), quantity=15000, organization=org)
    with pytest.raises(ServiceError):
        services.distribution_hand_over(actor=staff, distribution=second, signature=True)
    assert Distribution.objects.get(pk=second.pk).status == "planned"  # nothing half-saved


def test_a_household_helped_in_an_earlier_run_is_not_helped_twice(staff, org, almaty, meat, warehouse, campaign):
    mother = make_person(org, almaty, "Ахметова", "Айгүл")
    household = registry_services.household_create(actor=staff, head=mother)
    son = make_person(org, almaty, "Ахметов", "Ерлан", born=dt.date(2010, 5, 1))
    registry_services.household_add_member(actor=staff, household=household, person=son, relationship="child",
                                           monthly_income=0)
    stock(staff, warehouse, meat, 10)
    services.lot_create(actor=staff, campaign=campaign, warehouse=warehouse, item=meat, quantity=10)
    services.need_create(actor=staff, person=mother, item=meat, quantity=2, campaign=campaign)
    services.allocation_confirm(actor=staff, run=services.allocation_preview(actor=staff, campaign=campaign))

    # The same family asks again through the son: the household already has the most any of its needs asks.
    again = services.need_create(actor=staff, person=son, item=meat, quantity=2, campaign=campaign)
    run = services.allocation_preview(actor=staff, campaign=campaign)

    decision = run.decisions.get(need=again)
    assert (decision.served, decision.reason) == (0, "household_cap")
    bigger = services.need_create(actor=staff, person=son, item=meat, quantity=3, campaign=campaign)
    run = services.allocation_preview(actor=staff, campaign=campaign)
    # A need asking for more lifts the household's share to 3: one more unit, not three.
    assert sum(d.served for d in run.decisions.all()) == 1 and run.decisions.get(need=bigger).served <= 1


def test_a_campaign_with_a_kazakh_title_gets_a_latin_address(staff, org, meat):
    first = services.campaign_create(actor=staff, organizer=org, title="Құрбан айт 2027: ет", items=[(meat, 1)],
                                     starts_on=dt.date(2027, 5, 1), ends_on=dt.date(2027, 5, 30))
    second = services.campaign_create(actor=staff, organizer=org, title="Құрбан айт 2027: ет", items=[(meat, 1)],
                                      starts_on=dt.date(2027, 5, 1), ends_on=dt.date(2027, 5, 30))
    assert (first.slug, second.slug) == ("kurban-ait-2027-et", "kurban-ait-2027-et-2")


def test_reading_a_campaign_for_allocation_costs_the_same_queries_for_3_or_30_applicants(
        staff, org, almaty, meat, warehouse, campaign):
    """An allocation preview reads thousands of applicants: their categories are read in bulk, not one by one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qamqor.aid.selectors import allocation_instance

    stock(staff, warehouse, meat, 10)
    services.lot_create(actor=staff, campaign=campaign, warehouse=warehouse, item=meat, quantity=10)
    counts = []
    for size in (3, 30):
        for i in range(size - Need.objects.filter(campaign=campaign).count()):
            person = make_person(org, almaty, f"Applicant{size}-{i}", "Test")
            services.need_create(actor=staff, person=person, item=meat, quantity=1, campaign=campaign)
        with CaptureQueriesContext(connection) as queries:
            needs, _lots, extra = allocation_instance(campaign, today=dt.date(2026, 5, 25))
        assert len(needs) == size and len(extra["priority"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
