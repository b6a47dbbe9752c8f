"""Background tasks of InvaTaxi (run by `qamqor worker`)."""

from django_tasks import task


@task()
def plan_day_task(run_id: int):
    """Plan or re-plan a provider's day (services.plan_run): the run's progress moves while the engine searches."""
    from .services import plan_run

    version = plan_run(run_id)
    return version.number if version is not None else None
