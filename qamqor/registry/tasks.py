"""Background tasks of the registry (run by `qamqor worker`)."""

from __future__ import annotations

from django.db import connection, connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from qamqor.core.errors import ServiceError
from qamqor.core.models import TaskProgress
from qamqor.core.services import progress_update

from . import importing


class _SideProgress:
    """Moves the progress bar while the import's one transaction is open.

    On PostgreSQL an update made inside that transaction stays invisible to the polling page until the end, so it is
    written on a second connection of its own. SQLite allows one writer at a time, and the import holds it: there the
    bar shows the start and the end only.
    """

    def __init__(self, progress_id: int):
        self.progress_id = progress_id
        self.side = connections.create_connection("default") if connection.vendor == "postgresql" else None

    def __call__(self, done: int, total: int) -> None:
        if self.side is None:
            return
        table = self.side.ops.quote_name(TaskProgress._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET done = %s, total = %s, updated_at = %s WHERE id = %s",
                           [done, total, timezone.now(), self.progress_id])

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


@task()
def import_persons_task(progress_id: int, token: str, actor_id: int, confirmed: bool) -> str:
    """Write a checked import (claimed by the page that started it) in one transaction, reporting progress."""
    from qamqor.accounts.models import User

    batch = importing.ImportBatch.open(token, claimed=True)
    if batch is None:
        message = _("The checked file is no longer on the server. Upload it again.")
        progress_update(progress_id, status=TaskProgress.Status.FAILED, message=message)
        return message
    side = None
    with translation.override(batch.meta.get("language")):
        try:
            actor = User.objects.get(pk=actor_id)
            progress_update(progress_id, status=TaskProgress.Status.RUNNING, done=0, total=batch.total_rows,
                            message=_("Writing the persons to the registry."))
            side = _SideProgress(progress_id)
            count = importing.import_commit(actor=actor, batch=batch, confirmed=confirmed, report=side)
        except ServiceError as exc:
            progress_update(progress_id, status=TaskProgress.Status.FAILED, message=str(exc.message)[:1000])
            return str(exc.message)
        except Exception:
            progress_update(progress_id, status=TaskProgress.Status.FAILED,
                            message=_("The import failed and nothing was imported. Try again later."))
            raise
        finally:
            if side is not None:
                side.close()
            batch.delete()
        message = ngettext("%(count)s person is imported.", "%(count)s persons are imported.", count) % {"count": count}
        progress_update(progress_id, status=TaskProgress.Status.SUCCEEDED, done=count, total=count, message=message)
        return message
