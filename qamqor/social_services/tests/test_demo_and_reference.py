"""The catalogue loaded from the reference file with its sources; the demo data; who sees what (permission rows)."""

import random

import pytest
from django.utils import timezone

from qamqor.social_services import access, services
from qamqor.social_services.models import Act, Booking, Contract, DeliveryRecord, EligibilityRule

pytestmark = pytest.mark.django_db


def test_the_catalogue_keeps_the_reference_norms_and_sources(types):
    sign = types["sign_language_specialist"]
    assert sign.unit == "hour" and sign.staff_role == "interpreter" and sign.active
    assert sign.norm.startswith("60 hours per year") and "SOCCODE163" in sign.source
    assert sign.legal_basis.startswith("Social Code No. 224-VII")
    assert sign.tariff_kzt is None  # the file gives no tariff
    assert not types["personal_assistant"].active and types["personal_assistant"].norm == "NOT FOUND"
    rule = EligibilityRule.objects.get(service_type=sign)
    assert rule.units_per_year == 60 and rule.needs == ["deaf_sign_language"]
    assert EligibilityRule.objects.filter(service_type=types["invataxi"]).count() == 3
    assert EligibilityRule.objects.get(service_type=types["individual_assistant"]).units_per_day == 8


def test_the_demo_creates_contracts_staff_bookings_deliveries_and_an_act(people, org, almaty):
    from qamqor.social_services.demo import demo_social_services

    summary = demo_social_services(rng=random.Random(1), provider=org, provider_admin=people["org_admin"],
                                   region=almaty, admin=people["platform_admin"], domain="test.kz")
    assert Contract.objects.filter(provider=org).count() == 4
    assert DeliveryRecord.objects.count() > 10
    assert Booking.objects.filter(starts_at__gt=timezone.now()).count() > 10
    act = Act.objects.get()
    assert act.status == "issued" and act.total_units == sum(line.units for line in act.lines.all())
    assert "4 contracts" in summary
    services_summary = demo_social_services(rng=random.Random(1), provider=org, provider_admin=people["org_admin"],
                                            region=almaty)
    assert services_summary.endswith("already loaded")


def test_who_sees_bookings_and_contracts(people, deaf_person, types, make_contract, interpreter, customer_staff,
                                        make_user, tomorrow, at):
    contract = make_contract(types["sign_language_specialist"])
    booking = services.booking_create(actor=people["beneficiary"], person=deaf_person,
                                      service_type=types["sign_language_specialist"], starts_at=at(tomorrow, 10),
                                      staff=interpreter)
    sees_booking = {name: access.can_view_booking(user, booking) for name, user in people.items()}
    assert sees_booking == {"platform_admin": True, "coordinator": False, "org_admin": True, "org_staff": True,
                            "dispatcher": True, "driver": False, "volunteer": False, "donor": False,
                            "beneficiary": True, "jury": False}
    assert access.can_view_booking(interpreter.user, booking)
    assert not access.can_view_booking(customer_staff, booking)  # the customer sees totals, not persons
    sees_contract = {name: access.can_view_contract(user, contract) for name, user in people.items()}
    assert sees_contract == {"platform_admin": True, "coordinator": True, "org_admin": True, "org_staff": True,
                             "dispatcher": True, "driver": False, "volunteer": False, "donor": False,
                             "beneficiary": False, "jury": False}
    assert access.can_view_contract(customer_staff, contract) and access.can_manage_contract(customer_staff, contract)
    assert not access.can_manage_contract(people["org_admin"], contract)
    assert access.can_cancel(people["beneficiary"], booking) and not access.can_cancel(people["volunteer"], booking)
    assert access.can_record_delivery(interpreter.user, booking)
    assert not access.can_record_delivery(people["org_staff"], booking)
    assert access.can_view_totals(customer_staff) and access.can_view_totals(people["coordinator"])
    assert not access.can_view_totals(people["org_staff"])
    assert list(access.bookable_persons(people["beneficiary"])) == [deaf_person]
