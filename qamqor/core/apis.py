import datetime as dt

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from ninja.pagination import paginate

from qamqor.api.auth import AUTH
from qamqor.api.errors import responses
from qamqor.api.pagination import Pagination
from qamqor.api.schemas import RegionRef

from . import selectors
from .models import Holiday, Region

router = Router(tags=["reference"])


class RegionOut(RegionRef):
    admin_centre_en: str


class HolidayOut(Schema):
    date: dt.date
    name_kk: str
    name_ru: str
    name_en: str
    kind: str
    status: str


class ProgressOut(Schema):
    id: int
    kind: str
    label: str
    status: str
    done: int
    total: int
    percent: int
    message: str


@router.get("/regions", response={200: list[RegionOut], **responses(422)}, auth=None, summary="List regions")
@paginate(Pagination)
def list_regions(request):
    """The 20 first-level units of Kazakhstan with KATO and ISO codes and names in three languages."""
    return Region.objects.order_by("kato_code")


@router.get("/regions/{kato_code}", response={200: RegionOut, **responses(404, 422)}, auth=None,
            summary="Get a region")
def get_region(request, kato_code: str = Path(..., pattern=r"^[0-9]{9}$")):
    region = Region.objects.filter(kato_code=kato_code).first()
    if region is None:
        raise Http404(_("No region has this KATO code. GET /api/v1/regions lists them."))
    return region


@router.get("/holidays", response={200: list[HolidayOut], **responses(422)}, auth=None,
            summary="List public holidays")
@paginate(Pagination)
def list_holidays(request, year: int | None = Query(None, ge=2019, le=2030)):
    """Public holidays (days off), optionally for one year."""
    qs = Holiday.objects.order_by("date")
    return qs.filter(date__year=year) if year else qs


@router.get("/tasks/{task_id}", response={200: ProgressOut, **responses(401, 404, 422)}, auth=AUTH,
            summary="Progress of a task")
def get_task(request, task_id: int = Path(..., ge=1, le=2**62)):
    record = selectors.progress_for(request.auth, task_id)
    if record is None:
        raise Http404(_("You have no task with this number."))
    return record
