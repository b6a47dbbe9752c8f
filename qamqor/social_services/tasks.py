"""Background tasks of special social services (run by `qamqor worker`; the immediate backend runs them at once in
tests)."""

from django_tasks import task


@task()
def booking_notice_task(kind: str, booking_id: int, values: dict):
    """Send a booking's notice (assigned, cancelled, changed) queued after its commit."""
    from .services import booking_notice_send

    return booking_notice_send(kind=kind, booking_id=booking_id, **values)
