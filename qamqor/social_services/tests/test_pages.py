"""The social services pages as their users use them: a person sees what they are entitled to and why, books, is
refused with the next free time and books it in one click, cancels; a provider assigns its staff (never twice at
once) and records a delivery with the person's code; an act is drawn up and issued; the customer sees the totals."""

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from qamqor.core.models import AccessLog
from qamqor.social_services import selectors, services
from qamqor.social_services.models import Act, Booking, DeliveryRecord, RecurrenceSeries

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SIGN = "sign_language_specialist"


def errors_of(response):
    """The error summary's lines: 'Label: message' for a field, the message alone for the whole form."""
    text = response.content.decode()
    summary = re.search(r'<div class="error-summary".*?</ul>', text, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", line)).strip()
            for line in re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)] if summary else []


def hidden_fields(response, form_class="alternative"):
    text = response.content.decode()
    form = re.search(rf'<form method="post" class="{form_class}".*?</form>', text, re.S).group(0)
    return {name: html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}


def book_data(person, service_type, day, start="10:00", **extra):
    return {"person": person.pk, "service_type": service_type.pk, "date": day.isoformat(), "start": start,
            "minutes": "60", "place": "Алматы, Медеу аудандық соты", "purpose": "court", "note": "", **extra}


@pytest.fixture
def me(client_for, beneficiary):
    return client_for(beneficiary)


def test_a_person_sees_what_they_are_entitled_to_and_why(me, deaf_person, types):
    page = me.get("/services/", **EN).content.decode()
    reason = selectors.entitlement(deaf_person, types[SIGN]).reason
    assert reason.startswith("eligible") and html.escape(reason) in page
    assert "not eligible" in page  # other services, with their reason too
    assert not AccessLog.objects.filter(purpose="social services portal").exists()  # their own page is not logged


def test_a_person_without_a_registry_record_is_told_how_to_get_one(client_for, people):
    page = client_for(people["donor"]).get("/services/", **EN)
    assert page.status_code == 200 and "not linked to a record in the registry" in page.content.decode()
    assert client_for(people["donor"]).get("/services/book/").status_code == 403


def test_a_person_books_and_sees_it_among_coming_bookings(me, deaf_person, types, make_contract, tomorrow):
    contract = make_contract(types[SIGN])
    response = me.post("/services/book/", book_data(deaf_person, types[SIGN], tomorrow), **EN)
    assert response.status_code == 302, errors_of(response)
    booking = Booking.objects.get()
    assert booking.contract == contract and booking.status == "requested" and booking.purpose == "court"
    assert selectors.local(booking.starts_at).time() == dt.time(10) and booking.ends_at - booking.starts_at == \
        dt.timedelta(hours=1)
    page = me.get(response.url, **EN).content.decode()
    assert "Not assigned yet" in page and "Booked:" in page


def test_a_refused_booking_names_the_reason_and_the_next_free_time_is_booked_in_one_click(
        me, deaf_person, types, make_contract, interpreter):
    make_contract(types[SIGN])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    refused = me.post("/services/book/", book_data(deaf_person, types[SIGN], yesterday), **EN)
    assert refused.status_code == 400
    [error] = errors_of(refused)
    assert error.startswith("Start time: A booking must start in the future. The next free time is")
    assert not Booking.objects.exists()
    assert re.search(r"Book \d\d:\d\d on \d\d\.\d\d\.\d{4} instead", refused.content.decode())

    response = me.post("/services/book/", hidden_fields(refused), **EN)

    assert response.status_code == 302, errors_of(response)
    booking = Booking.objects.get()
    assert booking.starts_at > timezone.now() and booking.place == "Алматы, Медеу аудандық соты"


def test_bad_input_is_named_in_the_error_summary_and_nothing_is_saved(me, deaf_person, types, make_contract,
                                                                     tomorrow):
    make_contract(types[SIGN])
    response = me.post("/services/book/", book_data(deaf_person, types[SIGN], tomorrow, minutes="an hour"), **EN)
    assert response.status_code == 400
    assert errors_of(response) == ["Duration, minutes: Enter the duration in minutes, from 1 to 1440, such as 90."]
    assert 'aria-describedby="id_minutes_error id_minutes_helptext"' in response.content.decode()
    assert not Booking.objects.exists()


def test_a_recurring_booking_refused_names_the_first_date_that_cannot_be_booked(me, deaf_person, types,
                                                                                make_contract, tomorrow):
    make_contract(types[SIGN], volume=2)
    page = me.get("/services/book/series/", **EN).content.decode()
    assert "<legend>Days of the week" in page
    response = me.post("/services/book/series/", {
        "person": deaf_person.pk, "service_type": types[SIGN].pk, "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "start_time": "10:00", "minutes": "60", "first_date": tomorrow.isoformat(),
        "until": (tomorrow + dt.timedelta(days=6)).isoformat(), "purpose": "home"}, **EN)
    assert response.status_code == 400
    third = (tomorrow + dt.timedelta(days=2)).strftime("%d.%m.%Y")
    assert f"the occurrence on {third} cannot be booked" in " ".join(errors_of(response))
    assert not Booking.objects.exists() and not RecurrenceSeries.objects.exists()

    response = me.post("/services/book/series/", {
        "person": deaf_person.pk, "service_type": types[SIGN].pk, "weekdays": [tomorrow.weekday()],
        "start_time": "10:00", "minutes": "60", "first_date": tomorrow.isoformat(),
        "until": (tomorrow + dt.timedelta(days=7)).isoformat(), "purpose": "home"}, **EN)
    assert response.status_code == 302, errors_of(response)
    assert Booking.objects.count() == 2


def test_a_person_cancels_with_the_late_cancellation_rule_explained(me, beneficiary, deaf_person, types,
                                                                   make_contract, tomorrow, at):
    make_contract(types[SIGN])
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(tomorrow + dt.timedelta(days=3), 10))
    page = me.get(f"/services/bookings/{booking.pk}/", **EN).content.decode()
    assert "is recorded as a late cancellation" in page

    response = me.post(f"/services/bookings/{booking.pk}/cancel/", {"reason": "The hearing moved"}, **EN)

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled" and not booking.late_cancellation
    assert booking.cancel_reason == "The hearing moved"


def test_the_provider_assigns_its_staff_and_an_overlap_is_refused(client_for, people, beneficiary, deaf_person,
                                                                  make_person, types, make_contract, interpreter,
                                                                  tomorrow, at):
    make_contract(types[SIGN])
    first = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                    starts_at=at(tomorrow, 10), ends_at=at(tomorrow, 11))
    other = make_person("group_2", deaf_sign_language=True)
    second = services.booking_create(actor=people["org_staff"], person=other, service_type=types[SIGN],
                                     starts_at=at(tomorrow, 10, 30), ends_at=at(tomorrow, 11, 30))
    admin = client_for(people["org_admin"])
    workspace = admin.get(f"/services/provider/?day={tomorrow.isoformat()}", **EN)
    assert workspace.status_code == 200 and "Requests to assign" in workspace.content.decode()

    response = admin.post(f"/services/bookings/{first.pk}/assign/",
                          {"staff": interpreter.pk, "next": f"/services/provider/?day={tomorrow.isoformat()}"}, **EN)
    assert response.status_code == 302 and response.url.startswith("/services/provider/")

    refused = admin.post(f"/services/bookings/{second.pk}/assign/", {"staff": interpreter.pk}, **EN)
    assert refused.status_code == 400
    [error] = errors_of(refused)
    assert error.startswith("Staff member: Айгүл Жестова already has a booking at this time. The next free time is")
    second.refresh_from_db()
    assert second.status == "requested" and second.staff is None
    assert Booking.objects.get(pk=first.pk).staff == interpreter


@pytest.fixture
def delivered_yesterday(beneficiary, deaf_person, types, make_contract, interpreter, people, at):
    """A booking of yesterday 10:00-11:00, assigned to the interpreter."""
    contract = make_contract(types[SIGN])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(yesterday, 10), ends_at=at(yesterday, 11),
                                      now=at(yesterday, 10) - dt.timedelta(days=1))
    booking = services.booking_assign(actor=people["org_admin"], booking=booking, staff=interpreter)
    return contract, booking, yesterday


def test_the_staff_member_records_a_delivery_with_the_persons_code(client_for, me, interpreter,
                                                                   delivered_yesterday):
    _contract, booking, yesterday = delivered_yesterday
    code = services.booking_confirmation_code(booking)
    assert code in me.get(f"/services/bookings/{booking.pk}/", **EN).content.decode()
    worker = client_for(interpreter.user)
    data = {"date": yesterday.isoformat(), "start": "10:05", "end": "11:00", "units": "", "code": "000000",
            "note": ""}
    if code == "000000":
        data["code"] = "111111"
    wrong = worker.post(f"/services/bookings/{booking.pk}/deliver/", data, **EN)
    assert wrong.status_code == 400
    assert errors_of(wrong) == ["The person's code: This code does not match. Ask the person to read it again from "
                                "their booking."]
    assert not DeliveryRecord.objects.exists()

    response = worker.post(f"/services/bookings/{booking.pk}/deliver/", {**data, "code": code}, **EN)

    assert response.status_code == 302, errors_of(response)
    record = DeliveryRecord.objects.get()
    assert record.confirmation == "code" and str(record.units) == "1.00"


def test_an_act_is_drawn_up_and_issued_and_the_customer_sees_the_totals(client_for, people, customer_staff,
                                                                        interpreter, delivered_yesterday):
    contract, booking, yesterday = delivered_yesterday
    services.delivery_record(actor=interpreter.user, booking=booking, started_at=booking.starts_at,
                             ended_at=booking.ends_at, signature=True)
    admin = client_for(people["org_admin"])
    page = admin.get(f"/services/contracts/{contract.pk}/", **EN).content.decode()
    assert 'role="img"' in page and "<title id=\"burndown-title\">" in page and "Burn-down by month" in page

    response = admin.post(f"/services/contracts/{contract.pk}/acts/", {"month": yesterday.strftime("%Y-%m")}, **EN)
    act = Act.objects.get()
    assert response.status_code == 302 and response.url == f"/services/acts/{act.pk}/"
    assert admin.get(response.url, **EN).content.decode().count("5000.00") >= 2
    assert admin.post(f"/services/acts/{act.pk}/issue/", **EN).status_code == 302
    act.refresh_from_db()
    assert act.status == "issued" and act.total_amount == 5000

    customer = client_for(customer_staff)
    assert customer.get(f"/services/acts/{act.pk}/", **EN).status_code == 200
    totals = customer.get("/services/totals/", {"start": yesterday.isoformat(), "end": yesterday.isoformat()}, **EN)
    text = totals.content.decode()
    assert totals.status_code == 200
    assert f"1 services delivered from {yesterday:%d.%m.%Y} to {yesterday:%d.%m.%Y}." in text
    assert 'role="img"' in text and 'id="totals-table"' in text
    assert booking.person.surname not in text


def test_bad_input_to_the_act_and_amendment_forms_is_refused(client_for, people, customer_staff, types,
                                                             make_contract):
    contract = make_contract(types[SIGN])
    admin = client_for(people["org_admin"])
    admin.post(f"/services/contracts/{contract.pk}/acts/", {"month": "November"}, **EN)
    assert not Act.objects.exists()
    response = client_for(customer_staff).post(f"/services/contracts/{contract.pk}/amend/", {
        "signed_on": timezone.localdate().isoformat(), "reason": "More hours", "volume": "-5"}, **EN)
    assert response.status_code == 400 and errors_of(response)[0].startswith("New volume in units:")
    assert not contract.amendments.exists()
