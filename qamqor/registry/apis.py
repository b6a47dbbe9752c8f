"""The social registry over HTTP, /api/v1/registry/: the same people, scope and rules as the registry's pages.

Who may see and change what is decided in access.py and in the services, exactly as for the pages. Every answer
that carries personal data writes its access-log row (channel "api") with the purpose the matching page uses, and
every change goes through registry.services, which writes its audit row in the same transaction.
"""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BeforeValidator, Strict, StrictBool, StrictInt, field_validator

from qamqor.api.auth import AUTH
from qamqor.api.errors import ErrorBody, responses
from qamqor.api.pagination import Pagination
from qamqor.api.schemas import BodyIn, Input, OrganizationRef, RegionRef
from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import DisabilityCategory, Region
from qamqor.core.services import access_record, access_record_many
from qamqor.lib.iin import InvalidNumber, normalise, parse_iin
from qamqor.lib.validators import IIN_MESSAGES

from . import access, selectors, services
from .models import Category, CategoryAssignment, Consent, Household, HouseholdMember, Person

router = Router(tags=["registry"])

CHANNEL = "api"
MAX_ID = 2**62
MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
MONEY_EXAMPLE = "120000.00"
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

Sex = Literal["M", "F"]
Citizenship = Literal[tuple(Person.Citizenship.values)]
DisabilityCause = Literal[tuple(Person.DisabilityCause.values)]
Purpose = Literal[tuple(Consent.Purpose.values)]
GivenBy = Literal[tuple(Consent.GivenBy.values)]
ConsentSource = Literal[tuple(Consent.Source.values)]
Evidence = Literal[tuple(CategoryAssignment.Evidence.values)]
# A household has one head, set when it is created; members join in another relationship (as on the page).
MemberRelationship = Literal[tuple(v for v in HouseholdMember.Relationship.values if v != "head")]


def _iso_date(value):
    # JSON has no dates: a date is a "YYYY-MM-DD" string. Pydantic would also take a number of seconds since 1970 or
    # a date and time, which a client never means.
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError(_("Write the date as YYYY-MM-DD, for example 1985-07-14."))
    return value


# Request fields take exactly the JSON type the document gives: no "1" for a number, no 0 for false.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Flag = StrictBool
Coordinate = Annotated[float, Strict()]
RecordId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


def money(value: Decimal | None) -> str | None:
    """Money leaves the API as a string with two decimals, never as a binary float."""
    return None if value is None else f"{value:.2f}"


# Answers.

class CategoryRef(Schema):
    code: str
    name_kk: str
    name_ru: str
    name_en: str


class CategoryOut(CategoryRef):
    applies_to: Literal[tuple(Category.AppliesTo.values)]
    weight: str = Field(..., description="Weight in the vulnerability score, a decimal string.")
    derived: bool = Field(..., description="Worked out from the record (large family, low income, disability); "
                                           "never assigned by hand.")

    @staticmethod
    def resolve_weight(obj):
        return money(obj.weight)


class DisabilityRef(Schema):
    code: str
    name_kk: str
    name_ru: str
    name_en: str
    severity: int | None


class PersonSummaryOut(Schema):
    id: int
    iin: str | None
    surname: str
    given_name: str
    patronymic: str
    full_name: str
    birth_date: dt.date | None
    sex: Sex | None
    region: RegionRef
    owner: OrganizationRef = Field(..., description="The organisation that registered the person and owns the record.")

    @staticmethod
    def resolve_sex(obj):
        return obj.sex or None


class PersonOut(PersonSummaryOut):
    citizenship: Citizenship
    phone: str
    email: str
    district: str
    locality: str
    address: str
    latitude: float | None
    longitude: float | None
    disability: DisabilityRef | None
    disability_cause: DisabilityCause | None
    disability_set_on: dt.date | None
    disability_review_on: dt.date | None
    disability_indefinite: bool
    uses_wheelchair: bool
    needs_escort: bool
    has_guide_dog: bool
    deaf_sign_language: bool
    blind_low_vision: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_latitude(obj):
        return None if obj.latitude is None else float(obj.latitude)

    @staticmethod
    def resolve_longitude(obj):
        return None if obj.longitude is None else float(obj.longitude)

    @staticmethod
    def resolve_disability_cause(obj):
        return obj.disability_cause or None


class AssignmentOut(Schema):
    id: int
    category: CategoryRef
    evidence: Evidence
    evidence_reference: str
    valid_from: dt.date
    valid_to: dt.date | None
    verified_by: str = Field(..., description="Who checked the evidence.")
    verified_at: dt.datetime
    ended_at: dt.datetime | None
    in_force: bool = Field(..., description="Not ended, and today is within the validity dates.")

    @staticmethod
    def resolve_verified_by(obj):
        return str(obj.verified_by)

    @staticmethod
    def resolve_in_force(obj):
        today = timezone.localdate()
        return obj.ended_at is None and obj.valid_from <= today and (obj.valid_to is None or obj.valid_to >= today)


class ConsentOut(Schema):
    id: int
    purpose: Purpose
    given_by: GivenBy
    representative_name: str
    given_on: dt.date
    source: ConsentSource
    document_reference: str
    withdrawn_at: dt.datetime | None


class PersonDetailOut(PersonOut):
    categories: list[AssignmentOut] = Field(..., description="Every category assignment, ended ones included.")
    consents: list[ConsentOut] = Field(..., description="The consents in force; a withdrawn one is gone at once.")
    household_id: int | None
    vulnerability_score: str = Field(..., description="Sum of the weights of the categories in force, a decimal "
                                                      "string.")
    can_edit: bool = Field(..., description="Whether you may change this record (its organisation's staff).")

    @staticmethod
    def resolve_categories(obj):
        return list(obj.categories.all())

    @staticmethod
    def resolve_consents(obj):
        return [c for c in obj.consents.all() if c.withdrawn_at is None]

    @staticmethod
    def resolve_household_id(obj):
        household = selectors.current_household(obj)
        return household.pk if household else None

    @staticmethod
    def resolve_vulnerability_score(obj):
        return money(selectors.vulnerability_score(obj))

    @staticmethod
    def resolve_can_edit(obj, context):
        return access.can_edit_person(context["request"].auth, obj)


class CandidateOut(Schema):
    """A likely duplicate: in full if you may see the record, otherwise only who registered it (as on the page)."""

    id: int | None
    full_name: str | None
    birth_date: dt.date | None
    region: str | None
    registered_by: str


class PossibleDuplicateBody(ErrorBody):
    candidates: list[CandidateOut] = []


class PossibleDuplicateError(Schema):
    """409: `duplicate` (the IIN is registered) or `possible_duplicate` (same name and birth date), with the
    likely duplicates in `candidates`."""

    error: PossibleDuplicateBody


class MemberOut(Schema):
    id: int
    person_id: int
    full_name: str
    birth_date: dt.date | None
    relationship: Literal[tuple(HouseholdMember.Relationship.values)]
    in_full_time_study: bool
    monthly_income: str = Field(..., description="Tenge a month, a decimal string with two decimals.",
                                examples=[MONEY_EXAMPLE])
    joined_on: dt.date

    @staticmethod
    def resolve_full_name(obj):
        return obj.person.full_name

    @staticmethod
    def resolve_birth_date(obj):
        return obj.person.birth_date

    @staticmethod
    def resolve_monthly_income(obj):
        return money(obj.monthly_income)


class TsaOut(Schema):
    valid_from: dt.date
    valid_to: dt.date | None


class FlagsOut(Schema):
    members: int
    children: int = Field(..., description="Children under 18, or under 23 in full-time study.")
    large_family: bool = Field(..., description="Four children or more.")
    income: str = Field(..., description="The household's monthly income in tenge, a decimal string.")
    income_per_head: str | None = Field(..., description="Monthly income per person in tenge, a decimal string.")
    poverty_line: str | None = Field(..., description="The national poverty line per person a month in force today, "
                                                      "a decimal string; null when the reference data has none.")
    low_income: bool
    tsa: TsaOut | None = Field(..., description="Targeted social assistance in force today.")


class HouseholdOut(Schema):
    id: int
    owner: OrganizationRef
    region: RegionRef
    address: str
    members: list[MemberOut]
    flags: FlagsOut
    categories: list[AssignmentOut]
    can_edit: bool


class CoordinationOut(Schema):
    exists: bool = Field(..., description="Someone with this IIN is registered.")
    shared: bool = Field(..., description="The person consents to sharing with other organisations; without it "
                                          "nothing more is told.")
    categories: list[CategoryRef] = Field(..., description="Categories in force, only while consent to share is in "
                                                           "force.")


class ExportPerson(Schema):
    iin: str | None
    surname: str
    given_name: str
    patronymic: str
    birth_date: dt.date | None
    sex: str
    citizenship: str
    phone: str
    email: str
    region: str
    district: str
    locality: str
    address: str
    disability: str | None
    disability_cause: str
    disability_set_on: dt.date | None
    disability_review_on: dt.date | None
    disability_indefinite: bool
    uses_wheelchair: bool
    needs_escort: bool
    has_guide_dog: bool
    deaf_sign_language: bool
    blind_low_vision: bool
    registered_by: str


class ExportCategory(Schema):
    category: str
    valid_from: dt.date
    valid_to: dt.date | None
    evidence: str
    ended: bool


class ExportConsent(Schema):
    purpose: str
    given_on: dt.date
    given_by: str
    source: str
    withdrawn_at: dt.datetime | None


class ExportChange(Schema):
    at: dt.datetime
    action: str


class ExportView(Schema):
    at: dt.datetime
    purpose: str
    by_organisation_staff: bool


class OwnRecordOut(Schema):
    person: ExportPerson
    categories: list[ExportCategory]
    consents: list[ExportConsent]
    changes: list[ExportChange]
    views: list[ExportView] = Field(..., description="Every time the record was opened, and why.")


# Requests.



class PersonFilter(Input):
    q: str | None = Field(None, max_length=200, description="An IIN (12 digits, exact) or a name in any script and "
                                                            "spelling: Кусаинова Ляззат, Kussainova Lyazzat, "
                                                            "Kusainova L.")
    birth_year: int | None = Field(None, ge=1900, le=2100)
    region_kato: str | None = Field(None, pattern=r"^[0-9]{9}$")
    category: str | None = Field(None, max_length=40, description="A category code: GET /api/v1/registry/categories.")


class PersonPatch(BodyIn):
    """The fields of a person; in a PATCH, only those sent change, and null clears an optional one."""

    iin: str | None = Field(None, max_length=20, description="12 digits with a valid check digit; it must agree "
                                                             "with the birth date and sex. Null for people without "
                                                             "documents.")
    surname: str = Field(None, max_length=100)
    given_name: str = Field(None, max_length=100)
    patronymic: str | None = Field(None, max_length=100)
    birth_date: IsoDate | None = Field(None, description="Taken from the IIN when one is given.")
    sex: Sex | None = Field(None, description="Taken from the IIN when one is given.")
    citizenship: Citizenship = Field(None)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    region_kato: str = Field(None, pattern=r"^[0-9]{9}$", description="GET /api/v1/regions lists the codes.")
    district: str | None = Field(None, max_length=120)
    locality: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=300)
    latitude: Coordinate | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: Coordinate | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    disability: str | None = Field(None, max_length=40, description="A disability group or child category code; "
                                                                    "null for none.")
    disability_cause: DisabilityCause | None = None
    disability_set_on: IsoDate | None = None
    disability_review_on: IsoDate | None = Field(None, description="Cleared when disability_indefinite is true.")
    disability_indefinite: Flag = Field(None, description="Set without a re-examination date.")
    uses_wheelchair: Flag = Field(None)
    needs_escort: Flag = Field(None)
    has_guide_dog: Flag = Field(None)
    deaf_sign_language: Flag = Field(None)
    blind_low_vision: Flag = Field(None)

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value):
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise ValueError(_("Enter a valid e-mail address, such as name@example.kz.")) from None
        return value


class PersonIn(PersonPatch):
    owner_id: RecordId = Field(..., description="Your verified organisation that registers the person.")
    surname: str = Field(..., max_length=100)
    given_name: str = Field(..., max_length=100)
    citizenship: Citizenship = "citizen"
    region_kato: str = Field(..., pattern=r"^[0-9]{9}$", description="GET /api/v1/regions lists the codes.")
    disability_indefinite: Flag = False
    uses_wheelchair: Flag = False
    needs_escort: Flag = False
    has_guide_dog: Flag = False
    deaf_sign_language: Flag = False
    blind_low_vision: Flag = False
    confirmed_new: Flag = Field(False, description="Register even though likely duplicates were reported (409 "
                                                   "possible_duplicate), after checking them.")


class ConsentIn(BodyIn):
    purpose: Purpose
    given_by: GivenBy
    representative_name: str = Field("", max_length=200, description="Required when given by a legal "
                                                                     "representative.")
    given_on: IsoDate = Field(..., description="Not in the future.")
    source: ConsentSource
    document_reference: str = Field("", max_length=200)


class AssignmentIn(BodyIn):
    category: str = Field(..., max_length=40, description="A category code for a person that is not derived: "
                                                          "GET /api/v1/registry/categories.")
    evidence: Evidence
    evidence_reference: str = Field(..., max_length=200, description="The document or the source system.")
    valid_from: IsoDate
    valid_to: IsoDate | None = None


class HouseholdIn(BodyIn):
    address: str = Field("", max_length=300, description="The head's address when empty.")


class MemberIn(BodyIn):
    person_id: RecordId | None = Field(None, description="The member's record; or give their IIN.")
    iin: str | None = Field(None, max_length=20, description="The member's IIN, instead of person_id.")
    relationship: MemberRelationship
    in_full_time_study: Flag = False
    monthly_income: str = Field("0.00", max_length=13, description="Tenge a month, a decimal string.",
                                examples=[MONEY_EXAMPLE], json_schema_extra={"pattern": MONEY_PATTERN})

    @field_validator("monthly_income")
    @classmethod
    def _money(cls, value):
        if not re.fullmatch(MONEY_PATTERN, value):
            raise ValueError(_("Write the income in tenge as digits with up to two decimals, such as 120000.00."))
        return value


class CoordinationQuery(Input):
    iin: str = Field(..., max_length=20, description="The person's IIN.")


# Helpers: the same fetches, checks and access-log rows as the pages' views.

def _registry_user(user):
    if not access.can_use_registry(user):
        raise PermissionDenied(_("The registry is open to staff of verified organisations, coordinators and "
                                 "platform administrators."))


def _person(request, pk, purpose):
    """A person this user may see; the view is written to the access log."""
    person = selectors.person_detail(user=request.auth, pk=pk)
    if person is None:
        raise Http404(_("No person with this number is visible to you."))
    access_record(actor=request.auth, subject=person, purpose=purpose, channel=CHANNEL, path=request.path)
    return person


def _can_edit(user, person):
    if not access.can_edit_person(user, person):
        raise PermissionDenied(_("Only staff of the organisation that registered this person may change the record."))


def _can_edit_household(user, household):
    return access.can_edit_household(user, household)


def _may_see_household(user, household, members):
    return access.can_view_household(user, household, [m.person_id for m in members])


def _household(request, pk, purpose="view household"):
    """A household this user may see, with its current members; the members' view is written to the access log."""
    household = Household.objects.select_related("region", "owner").filter(pk=pk).first()
    if household is None:
        raise Http404(_("No household with this number is visible to you."))
    members = list(selectors.household_members(household))
    if not _may_see_household(request.auth, household, members):
        raise Http404(_("No household with this number is visible to you."))
    access_record_many(actor=request.auth, subjects=[m.person for m in members], purpose=purpose, channel=CHANNEL,
                       path=request.path)
    return household, members


def _household_out(user, household, members):
    flags = selectors.household_flags(household)
    tsa = flags["tsa"]
    return {
        "id": household.pk, "owner": household.owner, "region": household.region, "address": household.address,
        "members": members,
        "flags": {"members": flags["members"], "children": flags["children"], "large_family": flags["large_family"],
                  "income": money(flags["income"]), "income_per_head": money(flags["income_per_head"]),
                  "poverty_line": money(flags["poverty_line"]), "low_income": flags["low_income"],
                  "tsa": {"valid_from": tsa.valid_from, "valid_to": tsa.valid_to} if tsa else None},
        "categories": list(household.categories.select_related("category", "verified_by")),
        "can_edit": _can_edit_household(user, household),
    }


def _region(kato):
    region = Region.objects.filter(kato_code=kato).first()
    if region is None:
        raise ServiceError(_("No region has this KATO code. GET /api/v1/regions lists them."), field="region_kato")
    return region


def _person_data(payload, *, partial):
    """The service's `data` from a request body: region and disability by their codes, coordinates as decimals."""
    data = payload.model_dump(exclude_unset=partial, exclude={"owner_id", "confirmed_new"})
    if "region_kato" in data:
        data["region"] = _region(data.pop("region_kato"))
    if data.get("disability") is not None:
        disability = DisabilityCategory.objects.filter(code=data["disability"]).first()
        if disability is None:
            raise ServiceError(_("No disability category has this code. Check the code."), field="disability")
        data["disability"] = disability
    for name in ("latitude", "longitude"):
        if data.get(name) is not None:
            # The columns keep six decimals (about 10 cm).
            data[name] = Decimal(str(round(data[name], 6)))
    return data


def _possible_duplicates(request, exc):
    """409 in the one error shape, with the likely duplicates as the registration page shows them."""
    user = request.auth
    visible = [c for c in exc.candidates if access.can_view_person(user, c)]
    access_record_many(actor=user, subjects=visible, purpose="duplicate check on registration", channel=CHANNEL,
                       path=request.path)
    candidates = [
        CandidateOut(id=c.pk, full_name=c.full_name, birth_date=c.birth_date, region=c.region.name,
                     registered_by=c.owner.name) if c in visible else
        CandidateOut(id=None, full_name=None, birth_date=None, region=None, registered_by=c.owner.name)
        for c in exc.candidates]
    body = {"error": {"code": exc.code, "message": str(exc.message), "fields": [],
                      "candidates": [c.model_dump(mode="json") for c in candidates]}}
    return JsonResponse(body, status=409, json_dumps_params={"ensure_ascii": False})


# Persons.

class LoggedPagination(Pagination):
    """The project's paging; every person on the page answered is written to the access log, as the search page
    does for the page it shows."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(page["items"])
        access_record_many(actor=request.auth, subjects=items, purpose="registry search", channel=CHANNEL,
                           path=request.get_full_path())
        return {**page, "items": items}


@router.get("/persons", response={200: list[PersonSummaryOut], **responses(401, 403, 422)}, auth=AUTH,
            summary="Search persons")
@paginate(LoggedPagination)
def search_persons(request, filters: Query[PersonFilter]):
    """Records you may see (your organisation's; a coordinator's region), by IIN or by name in any script, filtered
    by birth year, region and category. Every person answered is written to the access log."""
    _registry_user(request.auth)
    region = category = None
    if filters.region_kato:
        region = Region.objects.filter(kato_code=filters.region_kato).first()
        if region is None:
            return Person.objects.none()
    if filters.category:
        category = Category.objects.filter(code=filters.category).first()
        if category is None:
            return Person.objects.none()
    return selectors.person_search(user=request.auth, query=filters.q or "", birth_year=filters.birth_year,
                                   region=region, category=category)


@router.get("/persons/{person_id}", response={200: PersonDetailOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="Get a person's record")
def get_person(request, person_id: int = Path(..., ge=1, le=MAX_ID)):
    """The whole record with categories, consents in force and household; written to the access log."""
    return _person(request, person_id, "view record")


@router.post("/persons", response={201: PersonDetailOut, 409: PossibleDuplicateError, **responses(400, 401, 403, 422)},
             auth=AUTH,
             summary="Register a person")
def create_person(request, payload: PersonIn):
    """For staff of a verified organisation. A known IIN is refused (409 duplicate). A person who looks already
    registered (same name and birth date) is refused with 409 possible_duplicate, whose error object also lists
    `candidates`: the records you may see in full (id, full_name, birth_date, region, registered_by) and, for the
    others, only the organisation that registered them; check them, then send `confirmed_new: true` to register a
    different person."""
    user = request.auth
    if not access.can_register_persons(user):
        raise PermissionDenied(_("Only staff of a verified organisation may register persons."))
    owner = access.owners_for(user).filter(pk=payload.owner_id).first()
    if owner is None:
        raise ServiceError(_("Choose one of your own verified organisations as the one registering the person."),
                           field="owner_id")
    data = _person_data(payload, partial=False)
    try:
        person = services.person_create(actor=user, owner=owner, data=data, confirmed_new=payload.confirmed_new)
    except services.PossibleDuplicates as exc:
        return _possible_duplicates(request, exc)
    return Status(201, _person(request, person.pk, "view record"))


@router.patch("/persons/{person_id}", response={200: PersonDetailOut, **responses(400, 401, 403, 404, 409, 422)},
              auth=AUTH, summary="Change a person's record")
def update_person(request, payload: PersonPatch, person_id: int = Path(..., ge=1, le=MAX_ID)):
    """Only the fields sent change; for staff of the organisation that registered the person."""
    person = _person(request, person_id, "edit record")
    _can_edit(request.auth, person)
    services.person_update(actor=request.auth, person=person, data=_person_data(payload, partial=True))
    return selectors.person_detail(user=request.auth, pk=person.pk)


# Consent.

@router.post("/persons/{person_id}/consents", response={201: ConsentOut, **responses(400, 401, 403, 404, 409, 422)},
             auth=AUTH, summary="Record a consent")
def give_consent(request, payload: ConsentIn, person_id: int = Path(..., ge=1, le=MAX_ID)):
    """One consent in force per purpose (409 duplicate while one is); a legal representative is named."""
    person = _person(request, person_id, "record consent")
    _can_edit(request.auth, person)
    consent = services.consent_give(actor=request.auth, person=person, **payload.model_dump())
    return Status(201, consent)


@router.post("/persons/{person_id}/consents/{consent_id}/withdraw",
             response={204: None, **responses(401, 403, 404, 422)}, auth=AUTH, summary="Withdraw a consent")
def withdraw_consent(request, person_id: int = Path(..., ge=1, le=MAX_ID),
                     consent_id: int = Path(..., ge=1, le=MAX_ID)):
    """By the person themself or the staff of the organisation that registered them; it takes effect at once."""
    consent = (Consent.objects.filter(pk=consent_id, person_id=person_id, withdrawn_at__isnull=True)
               .select_related("person").first())
    if consent is None or not access.can_view_person(request.auth, consent.person):
        raise Http404(_("No consent in force with this number is visible to you."))
    services.consent_withdraw(actor=request.auth, consent=consent)
    return Status(204, None)


# Categories.

@router.get("/categories", response={200: list[CategoryOut]}, auth=None, summary="List vulnerability categories")
def list_categories(request):
    """The categories as data, with their weights; derived ones are worked out from the record, not assigned."""
    return list(Category.objects.order_by("code"))


@router.post("/persons/{person_id}/categories", response={201: AssignmentOut, **responses(400, 401, 403, 404, 422)},
             auth=AUTH, summary="Assign a category to a person")
def assign_category(request, payload: AssignmentIn, person_id: int = Path(..., ge=1, le=MAX_ID)):
    """With the evidence and its validity dates; you are recorded as who checked it."""
    person = _person(request, person_id, "assign category")
    _can_edit(request.auth, person)
    data = payload.model_dump()
    category = Category.objects.filter(code=data.pop("category")).first()
    if category is None:
        raise ServiceError(_("No category has this code. GET /api/v1/registry/categories lists them."),
                           field="category")
    assignment = services.category_assign(actor=request.auth, person=person, category=category, **data)
    return Status(201, assignment)


@router.post("/categories/{assignment_id}/end", response={204: None, **responses(401, 403, 404, 422)}, auth=AUTH,
             summary="End a category assignment")
def end_category(request, assignment_id: int = Path(..., ge=1, le=MAX_ID)):
    """From today; for staff of the organisation that registered the person or household."""
    assignment = CategoryAssignment.objects.select_related("person", "household").filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404(_("No category assignment with this number is visible to you."))
    if assignment.person is not None:
        visible = access.can_view_person(request.auth, assignment.person)
    else:
        household = assignment.household
        visible = _may_see_household(request.auth, household, list(selectors.household_members(household)))
    if not visible:
        raise Http404(_("No category assignment with this number is visible to you."))
    services.category_end(actor=request.auth, assignment=assignment)
    return Status(204, None)


# Households.

@router.get("/households/{household_id}", response={200: HouseholdOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="Get a household")
def get_household(request, household_id: int = Path(..., ge=1, le=MAX_ID)):
    """Members, derived flags (large family, income per head against the poverty line, targeted social assistance)
    and categories; money as decimal strings. Every member is written to the access log."""
    household, members = _household(request, household_id)
    return _household_out(request.auth, household, members)


@router.post("/persons/{person_id}/household", response={201: HouseholdOut, **responses(400, 401, 403, 404, 409, 422)},
             auth=AUTH, summary="Start a household with this person as its head")
def create_household(request, payload: HouseholdIn | None = None, person_id: int = Path(..., ge=1, le=MAX_ID)):
    """The head's organisation owns the household; 409 if the person already belongs to one."""
    person = _person(request, person_id, "create household")
    household = services.household_create(actor=request.auth, head=person, address=payload.address if payload else "")
    household = Household.objects.select_related("region", "owner").get(pk=household.pk)
    return Status(201, _household_out(request.auth, household, list(selectors.household_members(household))))


@router.post("/households/{household_id}/members",
             response={201: HouseholdOut, **responses(400, 401, 403, 404, 409, 422)}, auth=AUTH,
             summary="Add a member to a household")
def add_member(request, payload: MemberIn, household_id: int = Path(..., ge=1, le=MAX_ID)):
    """The member must be registered already and visible to you (by person_id or IIN); answers the household."""
    user = request.auth
    household, _members = _household(request, household_id)
    if not _can_edit_household(user, household):
        raise PermissionDenied(_("Only staff of the organisation that registered this household may change it."))
    if payload.person_id is not None and payload.iin is not None:
        raise ServiceError(_("Give either person_id or iin, not both."), field="person_id")
    if payload.person_id is not None:
        member = selectors.person_detail(user=user, pk=payload.person_id)
        if member is None:
            raise ServiceError(_("No person with this number is in your records."), field="person_id")
    elif payload.iin:
        member = Person.objects.filter(iin=normalise(payload.iin), status=Person.Status.ACTIVE).first()
        if member is None or not access.can_view_person(user, member):
            raise ServiceError(_("No registered person with this IIN is in your records. Register them first."),
                               field="iin")
    else:
        raise ServiceError(_("Give the member's person_id or IIN."), field="person_id")
    services.household_add_member(actor=user, household=household, person=member, relationship=payload.relationship,
                                  in_full_time_study=payload.in_full_time_study,
                                  monthly_income=Decimal(payload.monthly_income))
    # The answer shows the new member too.
    access_record(actor=user, subject=member, purpose="view household", channel=CHANNEL, path=request.path)
    return Status(201, _household_out(user, household, list(selectors.household_members(household))))


# Coordination between organisations.

@router.get("/coordination", response={200: CoordinationOut, **responses(401, 403, 422)}, auth=AUTH,
            summary="Is this person known to the registry")
def coordination(request, query: Query[CoordinationQuery]):
    """For any organisation's staff and coordinators: whether someone with this IIN is registered and, only while
    they consent to share, their categories in force. No more is told."""
    user = request.auth
    if not access.can_use_coordination_view(user):
        raise PermissionDenied(_("The coordination view is open to staff of verified organisations, coordinators "
                                 "and platform administrators."))
    try:
        parse_iin(query.iin)
    except InvalidNumber as exc:
        raise ServiceError(IIN_MESSAGES[exc.code], field="iin", code=f"iin_{exc.code}") from None
    result = selectors.coordination_lookup(iin=normalise(query.iin))
    if result is None:
        return {"exists": False, "shared": False, "categories": []}
    if not result["shared"]:
        return {"exists": True, "shared": False, "categories": []}
    access_record(actor=user, subject=result["person"], purpose="coordination view", channel=CHANNEL,
                  path=request.path)
    return {"exists": True, "shared": True, "categories": result["categories"]}


# The person's own record.

def _own_person_id(user):
    pk = Person.objects.filter(user=user, status=Person.Status.ACTIVE).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404(_("No registry record is linked to your account. The organisation that helps you can link it."))
    return pk


@router.get("/me", response={200: PersonDetailOut, **responses(401, 404)}, auth=AUTH, summary="My own record")
def my_record(request):
    """The record linked to your account; the opening is written to its access log, as any other."""
    return _person(request, _own_person_id(request.auth), "own record")


@router.get("/me/export", response={200: OwnRecordOut, **responses(401, 404)}, auth=AUTH,
            summary="Export my own record and its history")
def my_record_export(request):
    """Everything held about you: the record, categories, consents, every change and every opening."""
    person = (Person.objects.select_related("region", "owner", "disability")
              .get(pk=_own_person_id(request.auth)))
    access_record(actor=request.auth, subject=person, purpose="own record export", channel=CHANNEL, path=request.path)
    return selectors.own_record_export(person)
