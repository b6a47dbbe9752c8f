"""Background tasks of the core app (run by `qamqor worker`)."""

from django_tasks import task

from .models import TaskProgress
from .services import progress_update


@task()
def seed_demo_task(progress_id: int, size: str, seed: int):
    """Generate demo data as a background task, reporting progress to its TaskProgress record."""
    from .demo import demo_seed

    progress_update(progress_id, status=TaskProgress.Status.RUNNING)
    try:
        summary = demo_seed(size=size, seed=seed,
                            report=lambda done, total, message="": progress_update(progress_id, done=done, total=total,
                                                                                   message=message))
    except Exception as exc:
        progress_update(progress_id, status=TaskProgress.Status.FAILED, message=str(exc)[:500])
        raise
    progress_update(progress_id, status=TaskProgress.Status.SUCCEEDED, message=summary)
    return summary
