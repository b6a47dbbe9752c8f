"""Finding likely duplicates across the registry with the linkage engine, as a background task with progress.

The app turns active Person rows into the engine's plain records and stores the pairs it finds above the review
threshold as DuplicateCandidate rows for the review queue; pairs already decided stay decided.
"""

from django_tasks import task

from qamqor.core.models import TaskProgress
from qamqor.core.services import progress_update

ROLES = {"iin": "iin", "surname": "surname", "given_name": "given_name", "patronymic": "patronymic",
         "birth_date": "birth_date", "sex": "sex", "phone": "phone", "address": "address", "locality": "locality"}


def registry_records(region_id=None):
    from .models import Person

    qs = Person.objects.filter(status=Person.Status.ACTIVE)
    if region_id:
        qs = qs.filter(region_id=region_id)
    for row in qs.values("id", *ROLES.values()).iterator(chunk_size=5000):
        row["birth_date"] = row["birth_date"].isoformat() if row["birth_date"] else ""
        row["iin"] = row["iin"] or ""
        yield row


def find_duplicates(*, progress_id: int, region_id=None) -> int:
    """Run the engine over the registry (or one region) and queue the likely duplicates; returns pairs stored."""
    from .linkage import dedupe
    from .models import DuplicateCandidate

    records = list(registry_records(region_id))
    progress_update(progress_id, status=TaskProgress.Status.RUNNING, done=0, total=100,
                    message=f"{len(records)} records")
    if len(records) < 2:
        progress_update(progress_id, status=TaskProgress.Status.SUCCEEDED, done=100, message="0 pairs")
        return 0
    result = dedupe(records, roles=ROLES, id_column="id",
                    progress=lambda stage, fraction: progress_update(progress_id, done=int(fraction * 95), message=stage))
    pairs = [DuplicateCandidate(left_id=min(p.id_l, p.id_r), right_id=max(p.id_l, p.id_r),
                                probability=round(p.probability, 4)) for p in result.pairs if p.id_l != p.id_r]
    DuplicateCandidate.objects.bulk_create(pairs, ignore_conflicts=True, batch_size=2000)
    progress_update(progress_id, status=TaskProgress.Status.SUCCEEDED, done=100, message=f"{len(pairs)} pairs")
    return len(pairs)


@task()
def find_duplicates_task(progress_id: int, region_id: int | None = None):
    try:
        return find_duplicates(progress_id=progress_id, region_id=region_id)
    except Exception as exc:
        progress_update(progress_id, status=TaskProgress.Status.FAILED, message=str(exc)[:500])
        raise
