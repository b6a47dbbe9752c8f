import datetime as dt

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from qamqor.api.auth import AUTH, OptionalAuth
from qamqor.api.errors import responses
from qamqor.api.pagination import Pagination
from qamqor.api.schemas import Input, RegionRef
from qamqor.core.errors import ServiceError
from qamqor.core.models import Region

from . import selectors, services
from .models import Organization

router = Router(tags=["organizations"])


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    bin: str
    region: RegionRef
    address: str
    phone: str
    email: str
    website: str
    description: str
    status: str
    rejection_reason: str
    verified_at: dt.datetime | None
    created_at: dt.datetime


class OrganizationIn(Input):
    name: str = Field(..., min_length=1, max_length=250)
    kind: str = Field(..., description="One of: " + ", ".join(Organization.Kind.values))
    bin: str = Field(..., description="12 digits with a valid check digit", max_length=20)
    region_kato: str = Field(..., pattern=r"^[0-9]{9}$")
    address: str = Field("", max_length=300)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    website: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)


class OrganizationFilter(Input):
    region_kato: str | None = Field(None, pattern=r"^[0-9]{9}$")
    kind: str | None = Field(None, max_length=30)
    q: str | None = Field(None, max_length=100)
    status: str | None = Field(None, max_length=10)


class RejectIn(Input):
    reason: str = Field(..., min_length=1, max_length=2000)


def _region(kato):
    region = Region.objects.filter(kato_code=kato).first()
    if region is None:
        raise ServiceError(_("No region has this KATO code. GET /api/v1/regions lists them."), field="region_kato")
    return region


def _visible(user, org_id):
    org = selectors.organization_detail(user=user, pk=org_id)
    if org is None:
        raise Http404(_("No organisation with this number is visible to you."))
    return org


@router.get("", response={200: list[OrganizationOut], **responses(401, 422)}, auth=OptionalAuth(),
            summary="List organisations")
@paginate(Pagination)
def list_organizations(request, filters: Query[OrganizationFilter]):
    """Verified organisations for everyone; pending ones too for their members and their region's coordinators."""
    region = Region.objects.filter(kato_code=filters.region_kato).first() if filters.region_kato else None
    if filters.region_kato and region is None:
        return Organization.objects.none()
    return selectors.organization_list(user=request.user, region=region, kind=filters.kind or "", q=filters.q or "",
                                       status=filters.status or "")


@router.get("/{org_id}", response={200: OrganizationOut, **responses(401, 404, 422)}, auth=OptionalAuth(),
            summary="Get an organisation")
def get_organization(request, org_id: int = Path(..., ge=1, le=2**62)):
    return _visible(request.user, org_id)


@router.post("", response={201: OrganizationOut, **responses(400, 401, 403, 409, 422)}, auth=AUTH,
             summary="Register an organisation")
def register_organization(request, payload: OrganizationIn):
    data = payload.model_dump()
    region = _region(data.pop("region_kato"))
    org = services.organization_register(actor=request.auth, region=region, **data)
    return Status(201, org)


@router.post("/{org_id}/verify", response={200: OrganizationOut, **responses(401, 403, 404, 409, 422)},
             auth=AUTH, summary="Verify an organisation")
def verify_organization(request, org_id: int = Path(..., ge=1, le=2**62)):
    """For a coordinator of the organisation's region who is not its member."""
    org = _visible(request.auth, org_id)
    return services.organization_verify(actor=request.auth, org=org)


@router.post("/{org_id}/reject", response={200: OrganizationOut, **responses(400, 401, 403, 404, 422)},
             auth=AUTH, summary="Reject an organisation's registration")
def reject_organization(request, payload: RejectIn, org_id: int = Path(..., ge=1, le=2**62)):
    """For a coordinator of the organisation's region who is not its member; the reason is shown to the organisation."""
    org = _visible(request.auth, org_id)
    return services.organization_reject(actor=request.auth, org=org, reason=payload.reason)
