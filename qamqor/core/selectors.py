from django.db.models import Count, Q

from .models import Holiday, Region, TaskProgress


def regions_with_counts():
    """Regions with the number of verified organisations in each (one query)."""
    return Region.objects.annotate(
        organization_count=Count("organizations", filter=Q(organizations__status="verified"))
    ).order_by("kato_code")


def holidays_for_year(year: int):
    return Holiday.objects.filter(date__year=year).order_by("date")


def holiday_years():
    return sorted({d.year for d in Holiday.objects.dates("date", "year")})


def progress_for(user, progress_id: int):
    """A progress record its owner (or a platform admin) may see; None otherwise."""
    from qamqor.accounts.access import is_platform_admin

    record = TaskProgress.objects.filter(pk=progress_id).first()
    if record is None:
        return None
    if record.owner_id is None or record.owner_id == getattr(user, "pk", None) or is_platform_admin(user):
        return record
    return None


def progress_count(*, kind: str) -> int:
    return TaskProgress.objects.filter(kind=kind).count()
