"""Special social services over HTTP, /api/v1/services/: the catalogue, a person's entitlements, bookings (single
and recurring, cancel, assign), delivery records, contracts with their consumption, acts and the customer's totals.

The same people, scope and rules as the pages: who may see what is decided in access.py, every write goes through
social_services.services (which checks permission and writes the audit row). A record you may not see answers 404.
Every answer that names a person writes an access-log row (channel "api"), except the person's own. A refused
booking answers 422 (409 when it conflicts with another booking, such as an overlap) in the one error shape, with
`alternative`: the next free time, when there is one. Units and money travel as decimal strings ("1.50")."""

import datetime as dt
import re
from typing import Annotated, Literal

from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StrictBool, StrictInt

from qamqor.api.auth import AUTH
from qamqor.api.errors import ErrorBody, responses
from qamqor.api.pagination import Pagination
from qamqor.api.schemas import BodyIn, Input
from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import Region
from qamqor.core.services import access_record, access_record_many
from qamqor.registry.models import Person

from . import access, act_documents, selectors, services
from .models import Act, Booking, Contract, ProviderStaff, Purpose, ServiceType

router = Router(tags=["social services"])

CHANNEL = "api"
MAX_ID = 2**62
CODE_PATTERN = r"^[-a-zA-Z0-9_]{1,40}$"
UNITS_PATTERN = r"^[0-9]{1,7}(\.[0-9]{1,2})?$"
MONTH_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"
# Years Qamqor can hold: a date such as 0001-01-01 or 9999-12-31 would overflow the day's bounds in local time.
ISO_DATE = re.compile(r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$")
# Refusals that conflict with the state of another record answer 409; the others 422.
CONFLICTS = {"overlap", "conflict", "duplicate"}

RecordId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
TypeCode = Annotated[str, Field(pattern=CODE_PATTERN, description="A service type's code: GET "
                                                                  "/api/v1/services/service-types.")]


def _iso_date(value):
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError(_("Write the date as YYYY-MM-DD, for example 2026-05-27."))
    return value


def _moment_in_range(value):
    if not 1900 <= value.year <= 2099:
        raise ValueError(_("Write a date and time between the years 1900 and 2099."))
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Moment = Annotated[AwareDatetime, AfterValidator(_moment_in_range)]


def decimal_text(value) -> str | None:
    return None if value is None else f"{value:.2f}"


# Answers.

class ServiceOrganizationRef(Schema):
    id: int
    name: str


class ServiceTypeOut(Schema):
    code: str
    name: str = Field(..., description="In the language of the request.")
    name_kk: str
    name_ru: str
    name_en: str
    unit: Literal[tuple(ServiceType.Unit.values)]
    staff_role: str = Field(..., description="Who delivers it; empty when it is not booked with a staff member.")
    bookable: bool = Field(..., description="Whether it can be booked in Qamqor.")
    default_minutes: int
    cancel_notice_hours: int = Field(..., description="A cancellation later than this before the start is late.")
    tariff_kzt: str | None = Field(..., examples=["5000.00"])
    norm: str
    legal_basis: str

    @staticmethod
    def resolve_bookable(obj):
        return obj.active and bool(obj.staff_role)

    @staticmethod
    def resolve_tariff_kzt(obj):
        return decimal_text(obj.tariff_kzt)


class ServiceEntitlementOut(Schema):
    person_id: int
    service_type: str
    name: str
    eligible: bool
    reason: str = Field(..., description="Such as “eligible: group II, uses sign language”, in the request's "
                                         "language.")
    quota_left_day: str | None = Field(..., description="Units left today; null when there is no such limit.")
    quota_left_month: str | None
    quota_left_year: str | None


class BookingStaffRef(Schema):
    id: int
    name: str


class BookingOut(Schema):
    id: int
    person_id: int
    person_name: str
    service_type: str
    contract_id: int
    provider: ServiceOrganizationRef
    starts_at: dt.datetime
    ends_at: dt.datetime
    units: str = Field(..., examples=["1.50"])
    place: str
    purpose: Literal[tuple(Purpose.values)]
    note: str
    status: Literal[tuple(Booking.Status.values)]
    staff: BookingStaffRef | None
    series_id: int | None
    late_cancellation: bool
    code: str | None = Field(..., description="The person's confirmation code, shown only to the person and whoever "
                                              "books for them, once a staff member is assigned.")
    warnings: list[str] = Field([], description="The contract's consumption warnings (80%, 100%) after a booking.")

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.full_name

    @staticmethod
    def resolve_service_type(obj):
        return obj.service_type.code

    @staticmethod
    def resolve_provider(obj):
        return obj.contract.provider

    @staticmethod
    def resolve_units(obj):
        return decimal_text(obj.units)

    @staticmethod
    def resolve_staff(obj):
        return {"id": obj.staff.pk, "name": obj.staff.user.full_name} if obj.staff_id else None

    @staticmethod
    def resolve_code(obj):
        return getattr(obj, "code", None)

    @staticmethod
    def resolve_warnings(obj):
        return getattr(obj, "warnings", [])


class BookingSeriesOut(Schema):
    id: int
    bookings: list[BookingOut]


class BookingAlternativeOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime


class BookingRefusalBody(ErrorBody):
    alternative: BookingAlternativeOut | None = None


class BookingRefusalError(Schema):
    """A refusal in the one error shape; a refused booking also carries `alternative`, the next free time (null when
    there is none)."""

    error: BookingRefusalBody


class ServiceDeliveryOut(Schema):
    id: int
    booking_id: int
    started_at: dt.datetime
    ended_at: dt.datetime
    units: str
    confirmation: Literal["code", "signature"]
    warnings: list[str] = []

    @staticmethod
    def resolve_units(obj):
        return decimal_text(obj.units)

    @staticmethod
    def resolve_warnings(obj):
        return getattr(obj, "warnings", [])


class ServiceConsumptionOut(Schema):
    volume: str
    delivered: str
    booked: str
    left: str
    percent: int
    level: Literal["ok", "warning", "exhausted"] = Field(..., description="warning at 80%, exhausted at 100%.")
    message: str


class ServiceSignedTermsOut(Schema):
    ends_on: dt.date
    volume: str
    unit_price: str
    budget: str


class ServiceContractOut(Schema):
    id: int
    number: str
    customer: ServiceOrganizationRef
    provider: ServiceOrganizationRef
    service_type: str
    region_kato: str
    status: Literal[tuple(Contract.Status.values)]
    starts_on: dt.date
    ends_on: dt.date = Field(..., description="As amended.")
    volume: str = Field(..., description="As amended.")
    unit_price: str = Field(..., description="As amended.")
    budget: str = Field(..., description="As amended.")
    allows_overrun: bool
    signed: ServiceSignedTermsOut = Field(..., description="The terms as signed, before any amendment.")

    @staticmethod
    def resolve_service_type(obj):
        return obj.service_type.code

    @staticmethod
    def resolve_region_kato(obj):
        return obj.region.kato_code

    @staticmethod
    def resolve_ends_on(obj):
        return obj.current_ends_on

    @staticmethod
    def resolve_volume(obj):
        return decimal_text(obj.current_volume)

    @staticmethod
    def resolve_unit_price(obj):
        return decimal_text(obj.current_unit_price)

    @staticmethod
    def resolve_budget(obj):
        return decimal_text(obj.current_budget)

    @staticmethod
    def resolve_signed(obj):
        return {"ends_on": obj.ends_on, "volume": decimal_text(obj.volume), "unit_price": decimal_text(obj.unit_price),
                "budget": decimal_text(obj.budget)}


class ServiceAmendmentOut(Schema):
    sequence: int
    signed_on: dt.date
    reason: str
    new_volume: str | None
    new_unit_price: str | None
    new_ends_on: dt.date | None
    new_budget: str | None

    @staticmethod
    def resolve_new_volume(obj):
        return decimal_text(obj.new_volume)

    @staticmethod
    def resolve_new_unit_price(obj):
        return decimal_text(obj.new_unit_price)

    @staticmethod
    def resolve_new_budget(obj):
        return decimal_text(obj.new_budget)


class ServiceContractDetailOut(ServiceContractOut):
    amendments: list[ServiceAmendmentOut]
    consumption: ServiceConsumptionOut

    @staticmethod
    def resolve_amendments(obj):
        return list(selectors.amendments_of(obj))

    @staticmethod
    def resolve_consumption(obj):
        return _consumption_out(obj)


class ServiceActLineOut(Schema):
    delivery_id: int
    date: dt.date
    units: str
    unit_price: str
    amount: str


class ServiceActOut(Schema):
    id: int
    contract_id: int
    month: str = Field(..., examples=["2026-11"])
    status: Literal[tuple(Act.Status.values)]
    total_units: str
    total_amount: str
    generated_at: dt.datetime
    issued_at: dt.datetime | None
    lines: list[ServiceActLineOut]


class ServiceTotalsRowOut(Schema):
    region_kato: str
    region: str
    service_type: str
    services: int
    units: str
    amount: str


class ServiceTotalsSumOut(Schema):
    services: int
    units: str
    amount: str


class ServiceTotalsOut(Schema):
    start: dt.date
    end: dt.date
    sentence: str = Field(..., description="Such as “10,412 services delivered from 01.01.2018 to 31.12.2018.”")
    total: ServiceTotalsSumOut
    rows: list[ServiceTotalsRowOut]


# Requests.

class ServiceBodyIn(BodyIn):
    """A request body: a JSON object with no fields beyond those documented."""

    model_config = {"extra": "forbid"}


class BookingIn(ServiceBodyIn):
    person_id: RecordId = Field(..., description="Yourself or a person you represent (GET /entitlements shows them).")
    service_type: TypeCode
    starts_at: Moment = Field(..., description="With its time zone, such as 2026-11-25T10:00:00+05:00.")
    ends_at: Moment | None = Field(None, description="Empty for the service's usual duration.")
    place: str = Field("", max_length=300)
    purpose: Literal[tuple(Purpose.values)] = Purpose.OTHER
    note: str = Field("", max_length=300)


class BookingSeriesIn(ServiceBodyIn):
    person_id: RecordId
    service_type: TypeCode
    weekdays: list[Annotated[StrictInt, Field(ge=0, le=6)]] = Field(..., min_length=1, max_length=7,
                                                                     description="0 Monday … 6 Sunday.")
    start_time: str = Field(..., pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["10:00"])
    minutes: Annotated[StrictInt, Field(ge=1, le=24 * 60)]
    first_date: IsoDate
    until: IsoDate
    place: str = Field("", max_length=300)
    purpose: Literal[tuple(Purpose.values)] = Purpose.OTHER
    note: str = Field("", max_length=300)


class BookingCancelIn(ServiceBodyIn):
    reason: str = Field("", max_length=300)


class BookingChangeIn(ServiceBodyIn):
    starts_at: Moment = Field(..., description="The new start, with its time zone.")
    ends_at: Moment | None = Field(None, description="Empty: the booking keeps its duration.")
    place: str | None = Field(None, max_length=300, description="Empty: unchanged.")
    purpose: Literal[tuple(Purpose.values)] | None = None
    note: str | None = Field(None, max_length=300)


class BookingAssignIn(ServiceBodyIn):
    staff_id: RecordId


class BookingDeliveryIn(ServiceBodyIn):
    started_at: Moment
    ended_at: Moment
    units: str | None = Field(None, pattern=UNITS_PATTERN, description="Empty: counted from the times.")
    code: str = Field("", max_length=12, description="The six digits the person reads from their booking.")
    signature: StrictBool = Field(False, description="The person has no code and signed the paper record.")
    note: str = Field("", max_length=300)


class ServiceActIn(ServiceBodyIn):
    month: str = Field(..., pattern=MONTH_PATTERN, examples=["2026-11"])


class BookingFilter(Input):
    status: Literal[tuple(Booking.Status.values)] | None = None
    person_id: int | None = Field(None, ge=1, le=MAX_ID)
    on: IsoDate | None = Field(None, description="Bookings of one day.")


class ServiceTotalsFilter(Input):
    start: IsoDate
    end: IsoDate
    region_kato: str | None = Field(None, pattern=r"^[0-9]{9}$")
    service_type: str | None = Field(None, pattern=CODE_PATTERN)


# Helpers.

_FIELDS = {"person": "person_id", "staff": "staff_id"}


def _refusal(exc: ServiceError):
    """A service's refusal: 409 for a conflict, else 422, with the next free time when the service found one."""
    if isinstance(exc, PermissionDenied):
        raise exc  # a ServiceError too: the shared handler answers it 403
    field = _FIELDS.get(exc.field, exc.field)
    slot = getattr(exc, "alternative", None)
    body = {"code": exc.code, "message": str(exc.message),
            "fields": [{"field": field, "message": str(exc.message)}] if field else [],
            "alternative": {"starts_at": slot.starts_at.isoformat(), "ends_at": slot.ends_at.isoformat()}
            if slot is not None else None}
    status = 409 if exc.code in CONFLICTS else 404 if exc.code == "not_found" else 422
    return JsonResponse({"error": body}, status=status, json_dumps_params={"ensure_ascii": False})


def _service_type(code):
    service_type = ServiceType.objects.filter(code=code).first()
    if service_type is None:
        raise ServiceError(_("No service has this code. GET /api/v1/services/service-types lists them."),
                           field="service_type")
    return service_type


def _bookable_person(user, pk):
    # The region and disability joined: the entitlement check reads both.
    person = Person.objects.select_related("region", "disability").filter(pk=pk).first()
    if person is None or not access.can_book_for(user, person):
        raise ServiceError(_("You may not book for a person with this id. Book for yourself or for a person you "
                                 "represent."), field="person_id")
    return person


def _bookings(user):
    return (access.visible_bookings(user)
            .select_related("person", "service_type", "contract__provider", "staff__user")
            .order_by("starts_at", "pk"))


def _show(request, bookings, purpose, *, logged=False):
    """Each booking's code for the person's side; everyone named but the caller written to the access log (unless
    `logged`: this request has written their rows already, when it read the booking before changing it)."""
    user = request.auth
    for b in bookings:
        b.code = (services.booking_confirmation_code(b) if b.status == Booking.Status.ASSIGNED
                  and access.is_booking_side(user, b) else None)
    others = {b.person_id: b.person for b in bookings if b.person.user_id != user.pk}
    if others and not logged:
        access_record_many(actor=user, subjects=list(others.values()), purpose=purpose, channel=CHANNEL,
                           path=request.get_full_path())
    return bookings


def _booking(request, pk, purpose, *, warnings=None):
    booking = _bookings(request.auth).filter(pk=pk).first()
    if booking is None:
        raise Http404(_("No booking with this number is visible to you."))
    booking.warnings = warnings or []
    return _show(request, [booking], purpose)[0]


def _contracts(user):
    return access.visible_contracts(user).select_related("customer", "provider", "service_type", "region")


def _contract(user, pk):
    contract = _contracts(user).filter(pk=pk).first()
    if contract is None:
        raise Http404(_("No contract with this number is visible to you."))
    return contract


def _consumption_out(contract):
    c = selectors.contract_consumption(contract)
    return {"volume": decimal_text(c.volume), "delivered": decimal_text(c.delivered), "booked": decimal_text(c.booked),
            "left": decimal_text(c.left), "percent": c.percent, "level": c.level, "message": c.message}


def _act(user, pk):
    act = Act.objects.select_related("contract").filter(pk=pk).first()
    if act is None or not access.can_view_contract(user, act.contract):
        raise Http404(_("No act with this number is visible to you."))
    return act


def _act_out(act):
    return {"id": act.pk, "contract_id": act.contract_id, "month": act.month.strftime("%Y-%m"), "status": act.status,
            "total_units": decimal_text(act.total_units), "total_amount": decimal_text(act.total_amount),
            "generated_at": act.generated_at, "issued_at": act.issued_at,
            "lines": [{"delivery_id": line.delivery_id, "date": line.date, "units": decimal_text(line.units),
                       "unit_price": decimal_text(line.unit_price), "amount": decimal_text(line.amount)}
                      for line in act.lines.order_by("date", "pk")]}


class BookingPagination(Pagination):
    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        return {**page, "items": _show(request, list(page["items"]), "social bookings list")}


REFUSALS = {409: BookingRefusalError, 422: BookingRefusalError}


# The catalogue and entitlements.

@router.get("/service-types", response={200: list[ServiceTypeOut]}, auth=None, summary="List the service catalogue")
def list_service_types(request):
    """Every special social service with its unit, who delivers it, its norm and legal basis; `bookable` says which
    can be booked in Qamqor."""
    return list(ServiceType.objects.order_by("code"))


@router.get("/entitlements", response={200: list[ServiceEntitlementOut], **responses(401, 404, 422)}, auth=AUTH,
            summary="My entitlements")
def my_entitlements(request, person_id: int | None = Query(None, ge=1, le=MAX_ID,
                                                           description="A person you represent; yourself when "
                                                                       "empty.")):
    """What you (or a person you represent) are entitled to, with the reason and the quota left today, this month
    and this year."""
    persons = access.bookable_persons(request.auth).select_related("region")
    person = persons.filter(pk=person_id).first() if person_id else persons.order_by("pk").first()
    if person is None:
        raise Http404(_("No registry record you may book for. Ask the organisation that registered you to link "
                        "your account."))
    if person.user_id != request.auth.pk:
        access_record(actor=request.auth, subject=person, purpose="social entitlements", channel=CHANNEL,
                      path=request.path)
    return [{"person_id": person.pk, "service_type": st.code, "name": st.name, "eligible": r.eligible,
             "reason": r.reason, "quota_left_day": decimal_text(r.quota_left_day),
             "quota_left_month": decimal_text(r.quota_left_month), "quota_left_year": decimal_text(r.quota_left_year)}
            for st, r in selectors.entitlements(person)]


# Bookings.

@router.get("/bookings", response={200: list[BookingOut], **responses(401, 422)}, auth=AUTH, summary="List bookings")
@paginate(BookingPagination)
def list_bookings(request, filters: Query[BookingFilter]):
    """Bookings you may see: your own and those of persons you represent, those under your provider's contracts,
    those assigned to you. Every other person named is written to the access log."""
    qs = _bookings(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.person_id:
        qs = qs.filter(person_id=filters.person_id)
    if filters.on:
        d0, d1 = selectors.day_bounds(filters.on)
        qs = qs.filter(starts_at__lt=d1, ends_at__gt=d0)
    return qs


@router.post("/bookings/series", response={201: BookingSeriesOut, **responses(400, 401, 403), **REFUSALS},
             auth=AUTH, summary="Book a recurring service")
def create_series(request, payload: BookingSeriesIn):
    """Weekly on the weekdays from first_date until a date: every occurrence is booked, or none; a refusal names the
    first date that cannot be booked."""
    try:
        person = _bookable_person(request.auth, payload.person_id)
        series, bookings = services.booking_series_create(
            actor=request.auth, person=person, service_type=_service_type(payload.service_type),
            weekdays=payload.weekdays, start_time=dt.time.fromisoformat(payload.start_time), minutes=payload.minutes,
            first_date=payload.first_date, until=payload.until, place=payload.place, purpose=payload.purpose,
            note=payload.note)
    except ServiceError as exc:
        return _refusal(exc)
    shown = _show(request, list(_bookings(request.auth).filter(series=series)), "book a service")
    return Status(201, {"id": series.pk, "bookings": shown})


@router.get("/bookings/{booking_id}", response={200: BookingOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="Get a booking")
def get_booking(request, booking_id: int = Path(..., ge=1, le=MAX_ID)):
    """With the person's code when you are the person or book for them and a staff member is assigned."""
    return _booking(request, booking_id, "view a booking")


@router.post("/bookings", response={201: BookingOut, **responses(400, 401, 403), **REFUSALS}, auth=AUTH,
             summary="Book a service")
def create_booking(request, payload: BookingIn):
    """For yourself or a person you represent. Refused with the reason (422; 409 for an overlap) when in the past,
    for a person not eligible, beyond the quota or the contracted volume; `error.alternative` then gives the next
    free time when there is one: send it back as starts_at and ends_at to book it."""
    try:
        person = _bookable_person(request.auth, payload.person_id)
        booking = services.booking_create(
            actor=request.auth, person=person, service_type=_service_type(payload.service_type),
            starts_at=payload.starts_at, ends_at=payload.ends_at, place=payload.place, purpose=payload.purpose,
            note=payload.note)
    except ServiceError as exc:
        return _refusal(exc)
    # The answer is the booking the service made (its person, service, contract and provider read on the way): the
    # caller booked it, so they see it.
    return Status(201, _show(request, [booking], "book a service")[0])


@router.post("/bookings/{booking_id}/cancel", response={200: BookingOut, **responses(400, 401, 403, 404), **REFUSALS},
             auth=AUTH, summary="Cancel a booking")
def cancel_booking(request, payload: BookingCancelIn, booking_id: int = Path(..., ge=1, le=MAX_ID)):
    """Before it starts. The person's cancellation later than the service's notice (cancel_notice_hours) is recorded
    as late (`late_cancellation`); a booking already cancelled or delivered is a 409."""
    booking = _booking(request, booking_id, "cancel a booking")
    try:
        cancelled = services.booking_cancel(actor=request.auth, booking=booking, reason=payload.reason)
    except ServiceError as exc:
        return _refusal(exc)
    return _show(request, [cancelled], "cancel a booking", logged=True)[0]


@router.post("/bookings/{booking_id}/change", response={200: BookingOut, **responses(400, 401, 403, 404), **REFUSALS},
             auth=AUTH, summary="Change a booking")
def change_booking(request, payload: BookingChangeIn, booking_id: int = Path(..., ge=1, le=MAX_ID)):
    """Move a coming booking to another time or place, with every check of a new booking; it stays with its provider.
    The assigned staff member is kept when free at the new time; otherwise the answer's `status` is "requested" and
    `staff` null: the provider assigns another. Refusals (nothing changes): 422 `past`, `quota`, `not_eligible`,
    `contract_volume`, `no_contract` (with `error.alternative`, the next free time, when there is one), `notice` (the
    person's side, less than the service's cancel_notice_hours before the current start: cancel and book again, or
    ask the provider, who may change it until the start), `unchanged`; 409 `conflict` (the booking started, was
    cancelled or delivered, or changed meanwhile)."""
    booking = _booking(request, booking_id, "change a booking")
    try:
        changed = services.booking_change(actor=request.auth, booking=booking, starts_at=payload.starts_at,
                                          ends_at=payload.ends_at, place=payload.place, purpose=payload.purpose,
                                          note=payload.note)
    except ServiceError as exc:
        return _refusal(exc)
    return _show(request, [changed], "change a booking", logged=True)[0]


@router.post("/bookings/{booking_id}/assign", response={200: BookingOut, **responses(400, 401, 403, 404), **REFUSALS},
             auth=AUTH, summary="Assign a staff member")
def assign_booking(request, payload: BookingAssignIn, booking_id: int = Path(..., ge=1, le=MAX_ID)):
    """The provider assigns one of its staff: refused outside their hours (422) or when it overlaps another of their
    bookings (409 overlap), with the staff member's next free time in `error.alternative`."""
    booking = _booking(request, booking_id, "assign a booking")
    if not access.can_assign(request.auth, booking):
        raise PermissionDenied(_("Only the provider under whose contract this booking is made assigns its staff."))
    staff = ProviderStaff.objects.select_related("user").filter(pk=payload.staff_id,
                                                                provider=booking.contract.provider).first()
    try:
        if staff is None:
            raise ServiceError(_("Choose a staff member of the provider."), field="staff_id")
        assigned = services.booking_assign(actor=request.auth, booking=booking, staff=staff)
    except ServiceError as exc:
        return _refusal(exc)
    return _show(request, [assigned], "assign a booking", logged=True)[0]


@router.post("/bookings/{booking_id}/delivery",
             response={201: ServiceDeliveryOut, **responses(400, 401, 403, 404), **REFUSALS}, auth=AUTH,
             summary="Record a delivery")
def record_delivery(request, payload: BookingDeliveryIn, booking_id: int = Path(..., ge=1, le=MAX_ID)):
    """By the assigned staff member (or the provider's admins), after the service: the actual times, the units
    (counted from the times when empty) and the person's code, or `signature: true`."""
    booking = _booking(request, booking_id, "record a delivery")
    try:
        record = services.delivery_record(actor=request.auth, booking=booking, started_at=payload.started_at,
                                          ended_at=payload.ended_at, units=payload.units, code=payload.code,
                                          signature=payload.signature, note=payload.note)
    except ServiceError as exc:
        return _refusal(exc)
    return Status(201, record)


# Contracts and acts.

@router.get("/contracts", response={200: list[ServiceContractOut], **responses(401, 422)}, auth=AUTH,
            summary="List contracts")
@paginate(Pagination)
def list_contracts(request):
    """State social order contracts you may see: the customer's and the provider's people, the region's
    coordinators, platform admins. Terms as amended, and as signed under `signed`."""
    return _contracts(request.auth).order_by("-starts_on", "number")


@router.get("/contracts/{contract_id}", response={200: ServiceContractDetailOut, **responses(401, 404, 422)},
            auth=AUTH, summary="Get a contract")
def get_contract(request, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    """With its amendments and consumption."""
    return _contract(request.auth, contract_id)


@router.get("/contracts/{contract_id}/consumption", response={200: ServiceConsumptionOut, **responses(401, 404, 422)},
            auth=AUTH, summary="Get a contract's consumption")
def get_consumption(request, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    """Delivered, booked and left of the volume as amended; `level` is warning at 80% and exhausted at 100%."""
    return _consumption_out(_contract(request.auth, contract_id))


@router.post("/contracts/{contract_id}/acts", response={201: ServiceActOut, **responses(400, 401, 403, 404),
                                                        **REFUSALS}, auth=AUTH, summary="Draw up an act")
def generate_act(request, payload: ServiceActIn, contract_id: int = Path(..., ge=1, le=MAX_ID)):
    """The provider draws up the act of services rendered for a month from its delivery records; again for a draft
    replaces its lines; an issued act is a 409."""
    contract = _contract(request.auth, contract_id)
    month = dt.datetime.strptime(payload.month, "%Y-%m").date()
    try:
        act = services.act_generate(actor=request.auth, contract=contract, month=month)
    except ServiceError as exc:
        return _refusal(exc)
    return Status(201, _act_out(act))


@router.get("/acts/{act_id}", response={200: ServiceActOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="Get an act")
def get_act(request, act_id: int = Path(..., ge=1, le=MAX_ID)):
    """Its lines (one per delivery record, no persons) and totals, which equal the sums of the lines."""
    return _act_out(_act(request.auth, act_id))


@router.post("/acts/{act_id}/issue", response={200: ServiceActOut, **responses(401, 403, 404), **REFUSALS},
             auth=AUTH, summary="Issue an act")
def issue_act(request, act_id: int = Path(..., ge=1, le=MAX_ID)):
    """For payment, by the provider or the customer; from then on it never changes. An issued act is a 409."""
    act = _act(request.auth, act_id)
    try:
        services.act_issue(actor=request.auth, act=act)
    except ServiceError as exc:
        return _refusal(exc)
    return _act_out(_act(request.auth, act_id))


def _document_format(value):
    if value not in act_documents.FORMATS:
        raise ValueError(_("Choose the document's format: pdf or xlsx."))
    return value


def _document_language(value):
    if value is not None and value not in act_documents.LANGUAGES:
        raise ValueError(_("Choose the document's language: kk, ru or en."))
    return value


class ActDocumentQuery(Input):
    format: Annotated[str, BeforeValidator(_document_format)] = Field(
        ..., description="pdf (application/pdf) or xlsx (an Excel workbook).",
        json_schema_extra={"enum": ["pdf", "xlsx"]})
    lang: Annotated[str | None, BeforeValidator(_document_language)] = Field(
        None, description="kk, ru or en; empty: the language of the request (Accept-Language).",
        json_schema_extra={"enum": ["kk", "ru", "en"]})


DOCUMENT_CONTENT = {content_type: {"schema": {"type": "string", "format": "binary"}}
                    for content_type in act_documents.FORMATS.values()}


@router.get("/acts/{act_id}/document", response={200: None, **responses(401, 404, 422)}, auth=AUTH,
            summary="Download an act as PDF or XLSX",
            openapi_extra={"responses": {200: {"description": "The act as a file (Content-Disposition: attachment).",
                                               "content": DOCUMENT_CONTENT}}})
def act_document(request, query: Query[ActDocumentQuery], act_id: int = Path(..., ge=1, le=MAX_ID)):
    """The act of services rendered for payment, in Kazakh, Russian or English: the parties with their BIN, the
    lines with their booking numbers (no names), the totals, who issued it and when, and the month's booked,
    delivered and billed units. An issued act's document is the same file every time. A draft's is marked as a
    draft, not for payment."""
    act = _act(request.auth, act_id)
    document = act_documents.render(act, query.format, act_documents.language(query.lang))
    access_record_many(actor=request.auth, subjects=document.subjects, purpose=act_documents.PURPOSE,
                       channel=CHANNEL, path=request.path)
    return document.response()


# The customer's view.

@router.get("/totals", response={200: ServiceTotalsOut, **responses(401, 403, 422)}, auth=AUTH,
            summary="Services delivered")
def customer_totals(request, filters: Query[ServiceTotalsFilter]):
    """Services delivered (delivery records), units and cost by region and service from `start` to `end`, within
    the contracts you may see; no persons. For customers, coordinators and platform admins."""
    if not access.can_view_totals(request.auth):
        raise PermissionDenied(_("Only the customer, coordinators and platform administrators see these totals."))
    if filters.end < filters.start:
        raise ServiceError(_("The period must end on or after the day it starts."), field="end")
    region = service_type = None
    if filters.region_kato:
        region = Region.objects.filter(kato_code=filters.region_kato).first()
        if region is None:
            raise ServiceError(_("No region has this KATO code. GET /api/v1/regions lists them."), field="region_kato")
    if filters.service_type:
        service_type = _service_type(filters.service_type)
    result = selectors.customer_totals(scope=access.totals_scope(request.auth), start=filters.start, end=filters.end,
                                       region=region, service_type=service_type)
    regions = {r.pk: r for r in Region.objects.filter(pk__in={r["contract__region"] for r in result["rows"]})}
    kinds = {t.pk: t for t in ServiceType.objects.filter(pk__in={r["contract__service_type"] for r in result["rows"]})}
    return {"start": result["start"], "end": result["end"], "sentence": result["sentence"],
            "total": {"services": result["total"]["services"], "units": decimal_text(result["total"]["units"]),
                      "amount": decimal_text(result["total"]["amount"])},
            "rows": [{"region_kato": regions[r["contract__region"]].kato_code,
                      "region": regions[r["contract__region"]].name,
                      "service_type": kinds[r["contract__service_type"]].code, "services": r["services"],
                      "units": decimal_text(r["delivered_units"]), "amount": decimal_text(r["amount"] or 0)}
                     for r in result["rows"]]}
