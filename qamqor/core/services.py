"""Writes of the core app: audit rows, access-log rows, accessibility preferences, task progress."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from django.db import transaction
from django.db.models import Model

from .models import AccessibilityPreference, AccessLog, AuditLog, TaskProgress


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: Model, fields: tuple[str, ...] | None = None) -> dict:
    """The audited state of an object: its concrete fields, foreign keys as ids."""
    names = fields or tuple(f.attname for f in obj._meta.concrete_fields)
    return {name: _jsonable(getattr(obj, name)) for name in names}


def audit_record(*, actor, action: str, obj: Model | None = None, object_type: str = "", object_id="",
                 before: dict | None = None, after: dict | None = None, reason: str = "") -> AuditLog:
    """Write one audit row; call inside the transaction of the change it records."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor_id=actor_id, action=action, object_type=object_type, object_id=str(object_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None, reason=reason,
    )


def access_record(*, actor, subject: Model | None = None, subject_type: str = "", subject_id="",
                  purpose: str, channel: str = "web", path: str = "") -> AccessLog:
    """Write one personal-data access row: who saw whose data, why, when."""
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or subject.pk
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AccessLog.objects.create(actor_id=actor_id, subject_type=subject_type, subject_id=str(subject_id),
                                    purpose=purpose, channel=channel, path=path[:300])


def access_record_many(*, actor, subjects, purpose: str, channel: str = "web", path: str = "") -> int:
    """One access-log row per person shown in a list (one INSERT)."""
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    rows = [AccessLog(actor_id=actor_id, subject_type=s._meta.label_lower, subject_id=str(s.pk), purpose=purpose,
                      channel=channel, path=path[:300]) for s in subjects]
    AccessLog.objects.bulk_create(rows)
    return len(rows)


def accessibility_save(*, user, values: dict) -> AccessibilityPreference:
    """Store a signed-in user's accessibility settings (already validated)."""
    with transaction.atomic():
        pref, _ = AccessibilityPreference.objects.select_for_update().get_or_create(user=user)
        for name in AccessibilityPreference.FIELDS:
            if name in values:
                setattr(pref, name, values[name])
        pref.save()
    return pref


def progress_start(*, kind: str, label: str, owner=None, total: int = 0) -> TaskProgress:
    """Create the progress record for a piece of long work before it is queued."""
    owner_id = owner.pk if owner is not None and getattr(owner, "is_authenticated", False) else None
    return TaskProgress.objects.create(kind=kind, label=label, owner_id=owner_id, total=total)


def progress_update(progress_id: int, *, done: int | None = None, total: int | None = None,
                    status: str | None = None, message: str | None = None, task_result_id: str | None = None) -> None:
    """Move a progress record on; a single UPDATE so that the page polling it sees it at once."""
    changes = {}
    if done is not None:
        changes["done"] = done
    if total is not None:
        changes["total"] = total
    if status is not None:
        changes["status"] = status
    if message is not None:
        changes["message"] = message
    if task_result_id is not None:
        changes["task_result_id"] = task_result_id
    if changes:
        from django.utils import timezone

        changes["updated_at"] = timezone.now()
        TaskProgress.objects.filter(pk=progress_id).update(**changes)
