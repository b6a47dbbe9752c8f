import datetime as dt

from django.http import Http404
from ninja import Field, Path, Router, Schema

from qamqor.api.auth import AUTH
from qamqor.api.errors import Error

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


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: dt.datetime | None = None


class TokenCreated(TokenOut):
    token: str


@router.get("/me", response={200: MeOut, 401: Error}, auth=AUTH, summary="Who am I")
def me(request):
    user = request.auth
    return {"id": user.pk, "email": user.email, "full_name": user.full_name, "language": user.language,
            "roles": [{"role": a.role, "organization_id": a.organization_id, "region_id": a.region_id}
                      for a in user.active_roles()]}


@router.get("/tokens", response={200: list[TokenOut], 401: Error}, auth=AUTH, summary="My API tokens")
def list_tokens(request):
    return list(ApiToken.objects.filter(user=request.auth).order_by("-created_at")[:200])


@router.post("/tokens", response={201: TokenCreated, 401: Error, 422: Error}, auth=AUTH, summary="Create an API token")
def create_token(request, payload: TokenIn):
    """The token value is in the answer once; only its hash is stored."""
    token, raw = services.token_create(user=request.auth, name=payload.name, expires_at=payload.expires_at)
    return 201, {**TokenOut.from_orm(token).dict(), "token": raw}


@router.delete("/tokens/{token_id}", response={204: None, 401: Error, 404: Error}, auth=AUTH, summary="Revoke an API token")
def revoke_token(request, token_id: int = Path(..., ge=1, le=2**62)):
    token = ApiToken.objects.filter(pk=token_id, user=request.auth).first()
    if token is None:
        raise Http404("No such token.")
    services.token_revoke(actor=request.auth, token=token)
    return 204, None
