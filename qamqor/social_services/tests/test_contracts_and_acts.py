"""Contracts: current terms are the original plus amendments; consumption from delivery records; no spending beyond
the volume. Acts: totals equal the sum of delivery records; a draft is regenerated, an issued act never changes.
The selectors a provider and a customer read."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.social_services import selectors, services
from qamqor.social_services.models import Act, ActLine, DeliveryRecord

pytestmark = pytest.mark.django_db


def deliver(staff, booking, start, end, at_now):
    return services.delivery_record(actor=staff.user, booking=booking, started_at=start, ended_at=end,
                                    signature=True, now=at_now)


@pytest.fixture
def delivered(people, deaf_person, types, make_contract, interpreter, tomorrow, at):
    """Three interpreter bookings tomorrow, delivered (1 h, 1.5 h, 2 h)."""
    contract = make_contract(types["sign_language_specialist"], volume=10, unit_price="4500.00")
    records = []
    for hour, minutes in ((9, 60), (11, 90), (14, 120)):
        start = at(tomorrow, hour)
        booking = services.booking_create(actor=people["org_staff"], person=deaf_person,
                                          service_type=types["sign_language_specialist"], starts_at=start,
                                          ends_at=start + dt.timedelta(minutes=minutes), staff=interpreter)
        records.append(deliver(interpreter, booking, start, start + dt.timedelta(minutes=minutes),
                               at(tomorrow, 20)))
    return contract, records


def test_the_customer_records_a_contract_and_its_budget_is_volume_times_price(customer_staff, customer, org, types,
                                                                             almaty, people):
    contract = services.contract_create(actor=customer_staff, customer=customer, provider=org,
                                        service_type=types["invataxi"], region=almaty, number="ГСЗ-7",
                                        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31), volume="1200",
                                        unit_price="2500.50")
    assert contract.budget == contract.current_budget == Decimal("3000600.00")
    with pytest.raises(ServiceError) as exc:
        services.contract_create(actor=customer_staff, customer=org, provider=customer, service_type=types["invataxi"],
                                 region=almaty, number="X", starts_on=dt.date(2026, 1, 1),
                                 ends_on=dt.date(2026, 12, 31), volume=1, unit_price=1)
    assert exc.value.field == "customer"
    with pytest.raises(PermissionDenied):
        services.contract_create(actor=people["org_staff"], customer=customer, provider=org,
                                 service_type=types["invataxi"], region=almaty, number="Y",
                                 starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31), volume=1, unit_price=1)
    with pytest.raises(ServiceError) as exc:
        services.contract_create(actor=customer_staff, customer=customer, provider=org, service_type=types["invataxi"],
                                 region=almaty, number="Z", starts_on=dt.date(2026, 1, 1),
                                 ends_on=dt.date(2025, 12, 31), volume=1, unit_price=1)
    assert exc.value.field == "ends_on"


def test_amendments_make_the_current_terms(customer_staff, types, make_contract):
    contract = make_contract(types["invataxi"], volume=100, unit_price="1000.00")
    services.contract_amend(actor=customer_staff, contract=contract, signed_on=contract.starts_on + dt.timedelta(days=5),
                            reason="Additional funding", volume=150)
    services.contract_amend(actor=customer_staff, contract=contract, signed_on=contract.starts_on + dt.timedelta(days=9),
                            reason="Tariff", unit_price="1100.00", ends_on=contract.ends_on + dt.timedelta(days=30))
    contract.refresh_from_db()
    assert (contract.volume, contract.unit_price) == (Decimal("100.00"), Decimal("1000.00"))  # as signed
    assert (contract.current_volume, contract.current_unit_price) == (Decimal("150.00"), Decimal("1100.00"))
    assert contract.current_budget == Decimal("165000.00")
    assert selectors.contract_terms(contract) == selectors.Terms(contract.current_volume, contract.current_unit_price,
                                                                 contract.current_ends_on, contract.current_budget)
    early = selectors.contract_terms(contract, on=contract.starts_on + dt.timedelta(days=6))
    assert (early.volume, early.unit_price) == (Decimal("150.00"), Decimal("1000.00"))
    with pytest.raises(ServiceError):
        services.contract_amend(actor=customer_staff, contract=contract, signed_on=contract.starts_on, reason="")


def test_consumption_counts_delivered_and_booked_units_with_warning_levels(delivered, people, deaf_person, types,
                                                                          tomorrow, at):
    contract, records = delivered
    consumption = selectors.contract_consumption(contract)
    assert consumption.delivered == Decimal("4.50") and consumption.booked == 0
    assert consumption.left == Decimal("5.50") and consumption.level == "ok"
    services.booking_create(actor=people["org_staff"], person=deaf_person,
                            service_type=types["sign_language_specialist"], starts_at=at(tomorrow, 17),
                            ends_at=at(tomorrow, 20, 30))
    consumption = selectors.contract_consumption(contract)
    assert consumption.booked == Decimal("3.50") and consumption.level == "warning" and consumption.percent == 80


def test_a_delivery_beyond_the_volume_is_refused(people, deaf_person, types, make_contract, interpreter, tomorrow,
                                                at):
    make_contract(types["sign_language_specialist"], volume=1)
    booking = services.booking_create(actor=people["org_staff"], person=deaf_person,
                                      service_type=types["sign_language_specialist"], starts_at=at(tomorrow, 9),
                                      staff=interpreter)
    with pytest.raises(ServiceError) as exc:
        deliver(interpreter, booking, at(tomorrow, 9), at(tomorrow, 10, 30), at(tomorrow, 12))
    assert exc.value.code == "contract_volume"
    assert not DeliveryRecord.objects.exists()
    assert deliver(interpreter, booking, at(tomorrow, 9), at(tomorrow, 10), at(tomorrow, 12)).units == 1


def test_an_acts_totals_equal_the_sum_of_its_delivery_records(delivered, people, tomorrow):
    contract, records = delivered
    act = services.act_generate(actor=people["org_admin"], contract=contract, month=tomorrow)
    assert act.total_units == sum(r.units for r in records) == Decimal("4.50")
    assert act.total_amount == Decimal("20250.00")
    assert sorted(line.delivery_id for line in act.lines.all()) == sorted(r.pk for r in records)
    assert act.total_amount == sum(line.amount for line in act.lines.all())


def test_regenerating_replaces_a_draft_and_an_issued_act_is_immutable(delivered, people, deaf_person, types,
                                                                      interpreter, customer_staff, tomorrow, at):
    contract, records = delivered
    first = services.act_generate(actor=people["org_admin"], contract=contract, month=tomorrow)
    again = services.act_generate(actor=people["org_admin"], contract=contract, month=tomorrow)
    assert again.pk == first.pk and ActLine.objects.filter(act=first).count() == 3
    booking = services.booking_create(actor=people["org_staff"], person=deaf_person,
                                      service_type=types["sign_language_specialist"], starts_at=at(tomorrow, 18),
                                      staff=interpreter)
    deliver(interpreter, booking, at(tomorrow, 18), at(tomorrow, 19), at(tomorrow, 20))
    third = services.act_generate(actor=people["org_admin"], contract=contract, month=tomorrow)
    assert third.pk == first.pk and third.total_units == Decimal("5.50") and Act.objects.count() == 1
    issued = services.act_issue(actor=customer_staff, act=third)
    assert issued.status == "issued"
    with pytest.raises(ServiceError) as exc:
        services.act_generate(actor=people["org_admin"], contract=contract, month=tomorrow)
    assert exc.value.code == "conflict"
    with pytest.raises(ServiceError):
        services.act_issue(actor=customer_staff, act=issued)
    assert Act.objects.get(pk=issued.pk).total_units == Decimal("5.50")


def test_reconciliation_burndown_and_customer_totals(delivered, people, deaf_person, types, customer_staff, tomorrow,
                                                    at):
    contract, records = delivered
    services.booking_create(actor=people["org_staff"], person=deaf_person,
                            service_type=types["sign_language_specialist"], starts_at=at(tomorrow, 18))
    services.act_generate(actor=people["org_admin"], contract=contract, month=tomorrow)
    rec = selectors.reconciliation(contract, tomorrow)
    assert (rec["booked"], rec["delivered"], rec["billed"]) == (Decimal("5.50"), Decimal("4.50"), Decimal("4.50"))
    assert rec["not_delivered"] == Decimal("1.00") and rec["not_billed"] == 0 and rec["act_status"] == "draft"
    rows = selectors.contract_burndown(contract)
    assert sum(r["planned"] for r in rows) == contract.current_volume
    assert rows[-1]["delivered_cumulative"] == Decimal("4.50") and rows[-1]["left"] == Decimal("5.50")
    from qamqor.social_services import access

    totals = selectors.customer_totals(scope=access.totals_scope(customer_staff), start=dt.date(tomorrow.year, 1, 1),
                                       end=dt.date(tomorrow.year, 12, 31))
    assert totals["total"]["services"] == 3 and totals["total"]["amount"] == Decimal("20250.00")
    assert totals["sentence"].startswith("3 services delivered")
    assert selectors.customer_totals(scope=access.totals_scope(people["volunteer"]), start=tomorrow,
                                     end=tomorrow)["total"]["services"] == 0


def test_schedule_utilisation_and_entitlements(delivered, people, org, interpreter, deaf_person, tomorrow):
    schedule = selectors.provider_schedule(org, tomorrow)
    assert [(s, len(b)) for s, b in schedule] == [(interpreter, 3)]
    row = selectors.utilisation(org, start=tomorrow, end=tomorrow)[0]
    assert row["available_hours"] == Decimal("12.00") and row["delivered_hours"] == Decimal("4.50")
    assert row["share"] == Decimal("0.38")
    assert [b.pk for b in selectors.staff_schedule(interpreter.user, start=tomorrow)] == \
        [r.booking_id for r in delivered[1]]
    ent = dict((st.code, r) for st, r in selectors.entitlements(deaf_person, on=tomorrow))
    assert ent["sign_language_specialist"].eligible
    assert "personal_assistant" not in ent and ent["invataxi"].eligible
    assert ent["individual_assistant"].reason == "not eligible: group II, not a wheelchair user"


def test_reminders_for_tomorrows_bookings_are_sent_once(people, deaf_person, types, make_contract, interpreter,
                                                       tomorrow, at, settings):
    make_contract(types["sign_language_specialist"])
    services.booking_create(actor=people["beneficiary"], person=deaf_person,
                            service_type=types["sign_language_specialist"], starts_at=at(tomorrow, 10),
                            staff=interpreter)
    mail.outbox.clear()
    call_command("social-reminders")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [people["beneficiary"].email]
    call_command("social-reminders")
    assert len(mail.outbox) == 1


@pytest.fixture
def sms_gateway():
    """A fake SMS gateway on a local port: records each message; answers with the status it is told to."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    gateway = {"received": [], "status": 202}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            gateway["received"].append({"auth": self.headers.get("Authorization"), **body})
            self.send_response(gateway["status"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gateway["url"] = f"http://127.0.0.1:{server.server_port}/send"
    yield gateway
    server.shutdown()


def test_sms_is_off_by_default_and_goes_to_the_gateway_when_switched_on(people, settings, sms_gateway):
    from django.core.exceptions import ImproperlyConfigured

    from qamqor.social_services.notifications import notify

    user = people["beneficiary"]
    user.phone = "8 (701) 123-45-67"
    assert notify(user, "Subject", "Text") == ["email"] and sms_gateway["received"] == []
    settings.QAMQOR_SMS_ENABLED = True
    settings.QAMQOR_SMS_GATEWAY_URL = ""
    with pytest.raises(ImproperlyConfigured):
        notify(user, "Subject", "Text")
    settings.QAMQOR_SMS_GATEWAY_URL = sms_gateway["url"]
    settings.QAMQOR_SMS_GATEWAY_TOKEN = "secret-token"
    assert notify(user, "Reminder", "Interpreter tomorrow at 10:00") == ["email", "sms"]
    assert sms_gateway["received"] == [{"auth": "Bearer secret-token", "to": "+77011234567",
                                        "text": "Reminder: Interpreter tomorrow at 10:00", "sender": "Qamqor"}]


def test_a_failing_sms_gateway_is_logged_and_the_e_mail_still_goes(people, settings, sms_gateway, mailoutbox,
                                                                  caplog):
    from qamqor.social_services.notifications import notify

    user = people["beneficiary"]
    user.phone = "+7 701 123 45 67"
    settings.QAMQOR_SMS_ENABLED = True
    settings.QAMQOR_SMS_GATEWAY_URL = sms_gateway["url"]
    sms_gateway["status"] = 503
    assert notify(user, "Subject", "Text") == ["email"]
    assert len(mailoutbox) == 1 and "the gateway answered 503" in caplog.text
    user.phone = "+1 212 555 0100"  # not a Kazakhstan mobile: never sent
    sms_gateway["status"] = 202
    assert notify(user, "Subject", "Text") == ["email"] and len(sms_gateway["received"]) == 1
