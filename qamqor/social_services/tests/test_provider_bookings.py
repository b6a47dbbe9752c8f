"""A provider's dispatcher takes a booking for a person by phone: every check of a booking (eligibility, quota,
contract volume), under the provider's contract, naming the provider and, in the audit row, the dispatcher; only for
persons of the regions where the provider holds a contract for the service; the person's confirmation code stays
the person's."""

import datetime as dt

import pytest
from django.core import mail

from qamqor.accounts.models import Role
from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import AuditLog
from qamqor.social_services import access, services
from qamqor.social_services.models import Booking

pytestmark = pytest.mark.django_db
SIGN = "sign_language_specialist"


@pytest.fixture
def registrar(db, almaty):
    """Another organisation, which registered the persons below: the provider's dispatcher is not its staff."""
    from qamqor.organizations.models import Organization

    return Organization.objects.create(name="«Үміт» қоғамдық бірлестігі", kind="ngo", bin="190440000017",
                                       region=almaty, status="verified")


@pytest.fixture
def caller(make_person, registrar, make_user):
    """A deaf person with an account of their own, registered by the other organisation, who phones the provider."""
    person = make_person("group_2", user=make_user("caller@test.kz"), deaf_sign_language=True)
    person.owner = registrar
    person.save(update_fields=["owner"])
    return person


def take(actor, person, service_type, starts_at, taken_by, **kw):
    return services.booking_create(actor=actor, person=person, service_type=service_type, starts_at=starts_at,
                                   taken_by=taken_by, **kw)


def test_a_dispatcher_books_for_a_caller_under_the_providers_contract(people, org, caller, types, make_contract,
                                                                      tomorrow, at,
                                                                      django_capture_on_commit_callbacks):
    contract = make_contract(types[SIGN])
    dispatcher = people["dispatcher"]
    assert not access.can_book_for(dispatcher, caller)
    with pytest.raises(PermissionDenied):  # not as the person's side
        services.booking_create(actor=dispatcher, person=caller, service_type=types[SIGN], starts_at=at(tomorrow, 10))

    with django_capture_on_commit_callbacks(execute=True):
        booking = take(dispatcher, caller, types[SIGN], at(tomorrow, 10), org, purpose="hospital")

    assert booking.taken_by == org and booking.booked_by == dispatcher and booking.contract == contract
    row = AuditLog.objects.get(action="social_booking.create", object_id=str(booking.pk))
    assert row.actor == dispatcher and row.after["taken_by"] == org.pk and row.after["person"] == caller.pk
    # Assigned, the code is shown to the person, never to whoever took the booking for the provider.
    interpreter_user = people["org_staff"]
    staff = services.staff_add(actor=people["org_admin"], provider=org, user=interpreter_user, role="interpreter")
    services.staff_set_hours(actor=people["org_admin"], staff=staff,
                             hours=[(d, dt.time(8), dt.time(20)) for d in range(7)])
    with django_capture_on_commit_callbacks(execute=True):
        assigned = services.booking_assign(actor=dispatcher, booking=booking, staff=staff)
    assert not access.is_booking_side(dispatcher, assigned) and access.is_booking_side(caller.user, assigned)
    # The notices go to the person, not to the dispatcher who took the call.
    assert {address for m in mail.outbox for address in m.to} == {caller.user.email}


def test_every_check_of_a_booking_applies(people, org, caller, make_person, registrar, types, make_contract,
                                          tomorrow, at):
    make_contract(types[SIGN], volume=2)
    hearing = make_person("group_3")
    hearing.owner = registrar
    hearing.save(update_fields=["owner"])
    with pytest.raises(ServiceError) as refused:
        take(people["dispatcher"], hearing, types[SIGN], at(tomorrow, 10), org)
    assert refused.value.code == "not_eligible"
    with pytest.raises(ServiceError) as past:
        take(people["dispatcher"], caller, types[SIGN], at(tomorrow - dt.timedelta(days=2), 10), org)
    assert past.value.code == "past"
    take(people["dispatcher"], caller, types[SIGN], at(tomorrow, 10), org, ends_at=at(tomorrow, 12))
    with pytest.raises(ServiceError) as full:
        take(people["dispatcher"], caller, types[SIGN], at(tomorrow, 14), org)
    assert full.value.code == "contract_volume"
    assert Booking.objects.filter(person=caller).count() == 1 and not Booking.objects.filter(person=hearing).exists()


def test_only_the_providers_people_and_only_where_it_holds_a_contract(people, org, caller, types, make_contract,
                                                                      make_user, make_person, registrar, astana,
                                                                      tomorrow, at):
    from qamqor.organizations.models import Organization

    make_contract(types[SIGN])
    other = Organization.objects.create(name="«Жест» орталығы", kind="ngo", bin="200540000019", region=caller.region,
                                        status="verified")
    outsider = make_user("dispatcher.other@test.kz", Role.DISPATCHER, organization=other)
    for actor, provider in ((outsider, org), (outsider, other), (people["driver"], org), (people["volunteer"], org)):
        with pytest.raises(PermissionDenied):
            take(actor, caller, types[SIGN], at(tomorrow, 10), provider)
    # A person of a region where the provider holds no contract for the service.
    elsewhere = make_person("group_2", region=astana, deaf_sign_language=True)
    elsewhere.owner = registrar
    elsewhere.save(update_fields=["owner"])
    with pytest.raises(PermissionDenied):
        take(people["dispatcher"], elsewhere, types[SIGN], at(tomorrow, 10), org)
    with pytest.raises(ServiceError) as mixed:
        take(people["dispatcher"], caller, types[SIGN], at(tomorrow, 10), org, provider=other)
    assert mixed.value.field == "provider"
    # Staff and admins of the provider take calls too.
    assert take(people["org_admin"], caller, types[SIGN], at(tomorrow, 15), org).taken_by == org
    assert not Booking.objects.filter(taken_by=other).exists()


def test_a_series_taken_by_the_provider_is_booked_whole(people, org, caller, types, make_contract, tomorrow):
    make_contract(types[SIGN])
    series, bookings = services.booking_series_create(
        actor=people["dispatcher"], person=caller, service_type=types[SIGN], weekdays=[tomorrow.weekday()],
        start_time=dt.time(10), minutes=60, first_date=tomorrow, until=tomorrow + dt.timedelta(days=14), taken_by=org)
    assert len(bookings) == 3 and {b.taken_by_id for b in bookings} == {org.pk}
