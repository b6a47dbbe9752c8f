import datetime as dt

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema, Status
from pydantic import field_validator

from qamqor.api.auth import AUTH
from qamqor.api.errors import responses
from qamqor.api.schemas import Input

from . import services
from .models import ApiToken

router = Router(tags=["accounts"])


class RoleOut(Schema):
    role: str
    organization_id: int | None
    region_id: int | None


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    language: str
    roles: list[RoleOut]


class TokenOut(Schema):
    id: int
    name: str
    lookup: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(Input):
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: dt.datetime | None = Field(None, description="Without a UTC offset, read as Asia/Almaty time.")

    @field_validator("expires_at")
    @classmethod
    def _storable_expiry(cls, value):
        if value is None:
            return None
        if timezone.is_naive(value):
            # Comparing a naive time with the aware "now" raised a TypeError (a 500); read it as local time.
            value = timezone.make_aware(value)
        try:
            storable = value.astimezone(dt.UTC).year < 9999
        except OverflowError:
            storable = False
        if not storable:
            # Times past 9998 in UTC cannot be read back from the database.
            raise ValueError(_("Choose an expiry date before the year 9999."))
        # Stored in UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
        return value.astimezone(dt.UTC)


class TokenCreated(TokenOut):
    token: str


@router.get("/me", response={200: MeOut, **responses(401)}, auth=AUTH, summary="Who am I")
def me(request):
    user = request.auth
    return {"id": user.pk, "email": user.email, "full_name": user.full_name, "language": user.language,
            "roles": [{"role": a.role, "organization_id": a.organization_id, "region_id": a.region_id}
                      for a in user.active_roles()]}


@router.get("/tokens", response={200: list[TokenOut], **responses(401)}, auth=AUTH, summary="My API tokens")
def list_tokens(request):
    return list(ApiToken.objects.filter(user=request.auth).order_by("-created_at")[:200])


@router.post("/tokens", response={201: TokenCreated, **responses(400, 401, 403, 422)}, auth=AUTH,
             summary="Create an API token")
def create_token(request, payload: TokenIn):
    """The token value is in the answer once; only its hash is stored."""
    token, raw = services.token_create(user=request.auth, name=payload.name, expires_at=payload.expires_at)
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None, **responses(401, 403, 404, 422)}, auth=AUTH,
               summary="Revoke an API token")
def revoke_token(request, token_id: int = Path(..., ge=1, le=2**62)):
    token = ApiToken.objects.filter(pk=token_id, user=request.auth).first()
    if token is None:
        raise Http404(_("You have no API token with this number."))
    services.token_revoke(actor=request.auth, token=token)
    return Status(204, None)
