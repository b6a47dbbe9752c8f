"""The pages added to the portal and the workspaces: a person changes a booking (refused with the next free time,
which moves it in one click; not inside the notice), the provider records a no-show after asking to confirm, the
customer records a contract, and the registering organisation adds and revokes a person's representatives."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from qamqor.core.models import AccessLog
from qamqor.social_services import services
from qamqor.social_services.models import Booking, Contract, Representative

from .test_pages import EN, SIGN, errors_of, hidden_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(client_for, beneficiary):
    return client_for(beneficiary)


@pytest.fixture
def coming(beneficiary, deaf_person, types, make_contract, interpreter, at):
    """The person's interpreter booking in three days, 10:00-11:00, assigned."""
    make_contract(types[SIGN])
    day = timezone.localdate() + dt.timedelta(days=3)
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=at(day, 10), ends_at=at(day, 11), staff=interpreter,
                                      place="Медеу аудандық соты")
    return booking, day


def change(client, booking, day, start, **extra):
    return client.post(f"/services/bookings/{booking.pk}/change/",
                       {"date": day.isoformat(), "start": start, "minutes": "", "place": booking.place, **extra}, **EN)


def test_a_person_moves_a_booking_and_keeps_the_interpreter(me, coming, interpreter, at):
    booking, day = coming
    page = me.get(f"/services/bookings/{booking.pk}/", **EN).content.decode()
    assert "Change the time or place" in page and 'id="id_change_date"' in page
    assert "You may change the time or place until" in page

    response = change(me, booking, day, "15:00", place="Алматы, Абай даңғылы 10")

    assert response.status_code == 302, errors_of(response)
    booking.refresh_from_db()
    assert booking.starts_at == at(day, 15) and booking.ends_at == at(day, 16) and booking.staff == interpreter
    assert booking.place == "Алматы, Абай даңғылы 10"
    page = me.get(response.url, **EN).content.decode()
    assert f"The booking is moved to {day:%d.%m.%Y} at 15:00." in page
    assert f"Moved to {day:%d.%m.%Y} at 15:00" in page  # in the booking's history


def test_a_move_onto_the_interpreters_other_booking_tells_the_person_they_are_released(
        me, people, make_person, types, coming, interpreter, at):
    booking, day = coming
    services.booking_create(actor=people["org_staff"], person=make_person("group_1", deaf_sign_language=True),
                            service_type=types[SIGN], starts_at=at(day, 15), ends_at=at(day, 16), staff=interpreter)
    response = change(me, booking, day, "15:30")
    assert response.status_code == 302, errors_of(response)
    booking.refresh_from_db()
    assert booking.status == "requested" and booking.staff is None
    page = me.get(response.url, **EN).content.decode()
    assert "Айгүл Жестова is not free at the new time: the provider will assign another staff member" in page
    assert "the staff member was not free and was released" in page


def test_a_refused_change_names_the_reason_and_the_next_free_time_moves_it_in_one_click(me, coming, at):
    booking, day = coming
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    refused = change(me, booking, yesterday, "10:00")
    assert refused.status_code == 400
    [error] = errors_of(refused)
    assert error.startswith("New start time: A booking must start in the future. The next free time is")
    assert Booking.objects.get(pk=booking.pk).starts_at == at(day, 10)

    response = me.post(f"/services/bookings/{booking.pk}/change/", hidden_fields(refused), **EN)

    assert response.status_code == 302, errors_of(response)
    booking.refresh_from_db()
    assert timezone.now() < booking.starts_at < at(day, 10) and booking.place == "Медеу аудандық соты"


def test_bad_input_to_the_change_form_changes_nothing(me, coming, at):
    booking, day = coming
    response = change(me, booking, day, "15:00", minutes="an hour")
    assert response.status_code == 400
    assert errors_of(response) == ["Duration, minutes: Enter the duration in minutes, from 1 to 1440, such as 90."]
    assert 'href="#id_change_minutes"' in response.content.decode()
    response = me.post(f"/services/bookings/{booking.pk}/change/", {"date": "31.02.2026", "start": ""}, **EN)
    assert response.status_code == 400 and len(errors_of(response)) == 2
    booking.refresh_from_db()
    assert booking.starts_at == at(day, 10) and booking.place == "Медеу аудандық соты"


def test_inside_the_notice_the_person_is_told_to_cancel_or_ask_the_provider(me, client_for, people, beneficiary,
                                                                            deaf_person, types, make_contract, at):
    make_contract(types[SIGN])
    soon = timezone.now() + dt.timedelta(hours=5)
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=soon)
    page = me.get(f"/services/bookings/{booking.pk}/", **EN).content.decode()
    assert "can no longer be changed" in page and 'id="id_change_date"' not in page
    later = timezone.localtime(soon + dt.timedelta(hours=2))
    data = {"date": later.date().isoformat(), "start": later.strftime("%H:%M"), "minutes": "", "place": ""}
    refused = me.post(f"/services/bookings/{booking.pk}/change/", data, **EN)
    assert refused.status_code == 400 and "Less than 24 hours before the start" in errors_of(refused)[0]
    assert Booking.objects.get(pk=booking.pk).starts_at == booking.starts_at
    # The provider still may.
    provider = client_for(people["dispatcher"])
    assert 'id="id_change_date"' in provider.get(f"/services/bookings/{booking.pk}/", **EN).content.decode()
    assert provider.post(f"/services/bookings/{booking.pk}/change/", data, **EN).status_code == 302


def test_the_provider_records_a_no_show_after_confirming_and_the_person_sees_it(me, client_for, interpreter,
                                                                               beneficiary, deaf_person, types,
                                                                               make_contract, people, at):
    make_contract(types[SIGN])
    start = timezone.now() - dt.timedelta(minutes=30)
    booking = services.booking_create(actor=beneficiary, person=deaf_person, service_type=types[SIGN],
                                      starts_at=start, now=start - dt.timedelta(days=2))
    services.booking_assign(actor=people["org_admin"], booking=booking, staff=interpreter)
    worker = client_for(interpreter.user)
    page = worker.get(f"/services/bookings/{booking.pk}/", **EN).content.decode()
    assert "Record that the person did not come" in page
    assert "Record that the person did not come" not in me.get(f"/services/bookings/{booking.pk}/", **EN) \
        .content.decode()
    confirm = worker.get(f"/services/bookings/{booking.pk}/no-show/", **EN)
    assert confirm.status_code == 200 and "This cannot be undone" in confirm.content.decode()

    unconfirmed = worker.post(f"/services/bookings/{booking.pk}/no-show/", {}, **EN)
    assert unconfirmed.status_code == 400
    assert errors_of(unconfirmed) == ["Yes, the person did not come and did not cancel: Tick the box to confirm "
                                      "that the person did not come."]
    assert Booking.objects.get(pk=booking.pk).status == "assigned"

    done = worker.post(f"/services/bookings/{booking.pk}/no-show/", {"confirm": "on"}, **EN)

    assert done.status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == "no_show"
    history = me.get("/services/", **EN).content.decode().split("History", 1)[1]
    assert "Person did not come" in history
    assert "Recorded: the person did not come" in me.get(f"/services/bookings/{booking.pk}/", **EN).content.decode()
    closed = worker.get(f"/services/bookings/{booking.pk}/no-show/", **EN).content.decode()
    assert "Status: Person did not come." in closed and 'name="confirm"' not in closed
    assert worker.post(f"/services/bookings/{booking.pk}/no-show/", {"confirm": "on"}, **EN).status_code == 400


def test_no_no_show_before_the_start(client_for, coming, interpreter):
    booking, _day = coming
    worker = client_for(interpreter.user)
    assert "Record that the person did not come" not in worker.get(f"/services/bookings/{booking.pk}/", **EN) \
        .content.decode()
    early = worker.get(f"/services/bookings/{booking.pk}/no-show/", **EN).content.decode()
    assert "after its start" in early and 'name="confirm"' not in early
    refused = worker.post(f"/services/bookings/{booking.pk}/no-show/", {"confirm": "on"}, **EN)
    assert refused.status_code == 400 and "after its start" in errors_of(refused)[0]
    assert Booking.objects.get(pk=booking.pk).status == "assigned"


def contract_data(buyer, org, types, almaty, **extra):
    today = timezone.localdate()
    return {"customer": buyer.pk, "provider": org.pk, "service_type": types[SIGN].pk, "region": almaty.pk,
            "number": "ГСЗ-77/2026", "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=200)).isoformat(), "volume": "1 200", "unit_price": "4500,50",
            "budget": "", **extra}


def test_the_customer_records_a_contract(client_for, customer_staff, customer, org, types, almaty):
    akimat = client_for(customer_staff)
    assert "Record a contract" in akimat.get("/services/contracts/", **EN).content.decode()
    page = akimat.get("/services/contracts/new/", **EN).content.decode()
    assert customer.name in page and org.name in page

    response = akimat.post("/services/contracts/new/", contract_data(customer, org, types, almaty,
                                                                     allows_overrun="on"), **EN)

    assert response.status_code == 302, errors_of(response)
    contract = Contract.objects.get()
    assert response.url == f"/services/contracts/{contract.pk}/"
    assert contract.customer == customer and contract.provider == org and contract.allows_overrun
    assert contract.volume == Decimal("1200.00") and contract.unit_price == Decimal("4500.50")
    assert contract.budget == Decimal("5400600.00") and contract.created_by == customer_staff
    assert "Contract ГСЗ-77/2026 is recorded." in akimat.get(response.url, **EN).content.decode()


def test_bad_contract_input_is_named_and_nothing_is_saved(client_for, customer_staff, customer, org, types, almaty,
                                                          make_contract):
    akimat = client_for(customer_staff)
    today = timezone.localdate()
    response = akimat.post("/services/contracts/new/", contract_data(
        customer, org, types, almaty, ends_on=(today - dt.timedelta(days=1)).isoformat()), **EN)
    assert response.status_code == 400
    assert errors_of(response) == ["Ends on: The contract must end on or after the day it starts."]
    response = akimat.post("/services/contracts/new/", contract_data(customer, org, types, almaty, volume="-5"),
                           **EN)
    assert response.status_code == 400 and errors_of(response)[0].startswith("Volume in units: Enter a number")
    response = akimat.post("/services/contracts/new/", contract_data(customer, org, types, almaty,
                                                                     unit_price="free"), **EN)
    assert errors_of(response)[0].startswith("Unit price, ₸: Enter the amount in tenge")
    # A state body that is not the user's own is not offered, and cannot be posted.
    response = akimat.post("/services/contracts/new/", contract_data(customer, org, types, almaty,
                                                                     customer=org.pk), **EN)
    assert response.status_code == 400 and errors_of(response)[0].startswith("Customer (state body):")
    assert not Contract.objects.exists()
    existing = make_contract(types[SIGN])
    response = akimat.post("/services/contracts/new/", contract_data(customer, org, types, almaty,
                                                                     number=existing.number), **EN)
    assert errors_of(response) == ["Contract number: A contract with this number is already recorded."]
    assert Contract.objects.count() == 1


def test_the_registering_organisation_adds_and_revokes_a_representative(client_for, people, deaf_person, make_user,
                                                                        types, make_contract):
    make_contract(types[SIGN])
    daughter = make_user("daughter@test.kz", name="Дана Кусаинова")
    staff = client_for(people["org_staff"])
    url = f"/services/persons/{deaf_person.pk}/representatives/"
    page = staff.get(url, **EN)
    assert page.status_code == 200 and "No representatives." in page.content.decode()
    assert AccessLog.objects.filter(actor=people["org_staff"], subject_id=str(deaf_person.pk),
                                    purpose="representatives").exists()

    missing = staff.post(url, {"email": "nobody@test.kz", "relationship": "daughter",
                               "consent_reference": "Сенімхат № 12"}, **EN)
    assert missing.status_code == 400 and errors_of(missing)[0].startswith("E-mail of the representative's account:")
    no_consent = staff.post(url, {"email": "daughter@test.kz", "relationship": "", "consent_reference": " "}, **EN)
    assert no_consent.status_code == 400 and errors_of(no_consent)[0].startswith("Consent document:")
    assert not Representative.objects.exists()

    added = staff.post(url, {"email": "DAUGHTER@test.kz", "relationship": "daughter",
                             "consent_reference": "Сенімхат № 12, 01.03.2026"}, **EN)

    assert added.status_code == 302, errors_of(added)
    rep = Representative.objects.get()
    assert rep.user == daughter and rep.relationship == "daughter" and rep.created_by == people["org_staff"]
    assert "Сенімхат № 12, 01.03.2026" in staff.get(url, **EN).content.decode()
    again = staff.post(url, {"email": "daughter@test.kz", "consent_reference": "Another"}, **EN)
    assert errors_of(again) == ["E-mail of the representative's account: This user already represents the person."]
    # The representative now books for the person in the portal.
    assert deaf_person.full_name in client_for(daughter).get("/services/", **EN).content.decode()

    revoked = staff.post(f"/services/representatives/{rep.pk}/revoke/", **EN)

    assert revoked.status_code == 302
    rep.refresh_from_db()
    assert rep.revoked_at is not None
    assert "revoked on" in staff.get(url, **EN).content.decode()
    assert client_for(daughter).get("/services/book/").status_code == 403


def test_the_provider_workspace_shows_each_contracts_burn_down_with_its_table(client_for, people, types,
                                                                              make_contract):
    contract = make_contract(types[SIGN], volume=40)
    page = client_for(people["org_admin"]).get("/services/provider/", **EN).content.decode()
    assert f'aria-labelledby="burndown-{contract.pk}-title burndown-{contract.pk}-desc"' in page
    assert f'<table id="burndown-{contract.pk}-table">' in page
    assert f"<caption>Contract {contract.number} by month</caption>" in page
    assert "Volume 40.00 hour; delivered 0, 40.00 left after" in page
