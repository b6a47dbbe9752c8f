"""Every write to charity events, each with its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qamqor.core.errors import PermissionDenied, ServiceError
from qamqor.core.models import Holiday, Region
from qamqor.core.services import audit_record, snapshot

from . import access
from .models import Event, EventVolunteer

# An event within this many days of a public holiday is linked to it (the Caravan of Mercy before Nauryz).
NEAR_HOLIDAY_DAYS = 3
MAX_VOLUNTEERS = 10_000
# How far ahead an event may be planned.
MAX_YEARS_AHEAD = 5
EVENT_FIELDS = ("title", "description", "organizer", "starts_at", "ends_at", "place", "region", "campaign", "holiday",
                "volunteers_needed", "accessible_venue")


def _audited(event: Event) -> dict:
    state = snapshot(event, ("title", "organizer_id", "starts_at", "ends_at", "place", "region_id", "campaign_id",
                             "holiday_id", "volunteers_needed", "accessible_venue", "status", "cancel_reason"))
    state["partners"] = sorted(event.partners.values_list("pk", flat=True)) if event.pk else []
    return state


def nearest_holiday(day: dt.date) -> Holiday | None:
    """The public holiday on or nearest to `day`, within NEAR_HOLIDAY_DAYS."""
    window = dt.timedelta(days=NEAR_HOLIDAY_DAYS)
    candidates = Holiday.objects.filter(date__gte=day - window, date__lte=day + window)
    return min(candidates, key=lambda h: (abs((h.date - day).days), h.date), default=None)


def clean_event_data(data: dict, *, creating: bool, current: Event | None = None) -> dict:
    """Check what a form or the API gives for an event; raises ServiceError naming the field."""
    data = dict(data)
    now = timezone.now()
    for name in ("title", "place"):
        data[name] = " ".join((data.get(name) or "").split())
    data["description"] = (data.get("description") or "").strip()
    if not data["title"]:
        raise ServiceError(_("Write the title of the event."), field="title")
    if not data["place"]:
        raise ServiceError(_("Write where the event takes place: the address or the venue."), field="place")
    region = data.get("region")
    if isinstance(region, str):
        region = Region.objects.filter(kato_code=region).first()
        if region is None:
            raise ServiceError(_("There is no region with this KATO code. Choose one of the 20 regions."),
                               field="region")
    if not isinstance(region, Region):
        raise ServiceError(_("Choose the region where the event takes place."), field="region")
    data["region"] = region
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts is None:
        raise ServiceError(_("Give the date and time the event starts."), field="starts_at")
    if ends is None:
        raise ServiceError(_("Give the date and time the event ends."), field="ends_at")
    if timezone.is_naive(starts):
        starts = data["starts_at"] = timezone.make_aware(starts)
    if timezone.is_naive(ends):
        ends = data["ends_at"] = timezone.make_aware(ends)
    moved = creating or current is None or starts != current.starts_at
    if moved and starts < now:
        raise ServiceError(_("The start is in the past. Give a start date and time that is still ahead."),
                           field="starts_at")
    if starts > now + dt.timedelta(days=366 * MAX_YEARS_AHEAD):
        raise ServiceError(_("The start is more than five years ahead. Check the year."), field="starts_at")
    if ends <= starts:
        raise ServiceError(_("The end is before the start. The event must end after it starts."), field="ends_at")
    if ends - starts > dt.timedelta(days=31):
        raise ServiceError(_("The event lasts more than a month. Check the end date, or plan several events."),
                           field="ends_at")
    needed = data.get("volunteers_needed") or 0
    if not isinstance(needed, int) or needed < 0 or needed > MAX_VOLUNTEERS:
        raise ServiceError(_("Give the number of volunteers needed as a whole number from 0 to 10000."),
                           field="volunteers_needed")
    data["volunteers_needed"] = needed
    data["accessible_venue"] = bool(data.get("accessible_venue"))
    organizer = data.get("organizer")
    if organizer is None:
        raise ServiceError(_("Choose the organising organisation."), field="organizer")
    partners = [p for p in (data.get("partners") or []) if p.pk != organizer.pk]
    data["partners"] = partners
    if data.get("holiday") is None:
        data["holiday"] = nearest_holiday(timezone.localtime(starts).date())
    return data


def _may_hold(actor, organizer, region):
    if not access.may_hold_event(actor, organizer=organizer, region=region):
        raise PermissionDenied(_("You may hold events only for your own organisation, or as a coordinator in your "
                                 "region."), field="organizer")


def event_create(*, actor, data: dict) -> Event:
    """Plan an event: organiser, dates, place, region, optional campaign, holiday and partners."""
    data = clean_event_data(data, creating=True)
    _may_hold(actor, data["organizer"], data["region"])
    partners = data.pop("partners")
    with transaction.atomic():
        event = Event(**{k: data.get(k) for k in EVENT_FIELDS}, created_by=actor if actor.is_authenticated else None,
                      updated_at=timezone.now())
        event.save()
        event.partners.set(partners)
        audit_record(actor=actor, action="event.create", obj=event, after=_audited(event))
    return event


def _lock(event: Event) -> Event:
    """The event's row, locked: sign-ups and changes to one event are serialised on PostgreSQL."""
    return Event.objects.select_for_update().get(pk=event.pk)


def _must_manage(actor, event):
    if not access.can_manage_event(actor, event):
        raise PermissionDenied(_("Only the organiser's staff, the region's coordinators and platform administrators "
                                 "may change this event."))


def event_update(*, actor, event: Event, data: dict) -> Event:
    """Change a planned event; calendar programs see the new version (SEQUENCE goes up)."""
    _must_manage(actor, event)
    data = clean_event_data(data, creating=False, current=event)
    if data["organizer"].pk != event.organizer_id or data["region"].pk != event.region_id:
        _may_hold(actor, data["organizer"], data["region"])
    partners = data.pop("partners")
    with transaction.atomic():
        locked = _lock(event)
        if locked.status != Event.Status.PLANNED:
            raise ServiceError(_("Only a planned event can be changed; this one is held or cancelled."),
                               code="conflict")
        before = _audited(locked)
        for name in EVENT_FIELDS:
            setattr(locked, name, data.get(name))
        locked.sequence += 1
        locked.updated_at = timezone.now()
        locked.save()
        locked.partners.set(partners)
        audit_record(actor=actor, action="event.update", obj=locked, before=before, after=_audited(locked))
    return locked


def event_cancel(*, actor, event: Event, reason: str) -> Event:
    """Cancel a planned event, with the reason volunteers and visitors will read."""
    _must_manage(actor, event)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError(_("Write why the event is cancelled: volunteers and visitors will read it."),
                           field="reason")
    if len(reason) > 300:
        raise ServiceError(_("Keep the reason under 300 characters."), field="reason")
    with transaction.atomic():
        locked = _lock(event)
        if locked.status != Event.Status.PLANNED:
            raise ServiceError(_("Only a planned event can be cancelled; this one is already held or cancelled."),
                               code="conflict")
        before = _audited(locked)
        locked.status, locked.cancel_reason = Event.Status.CANCELLED, reason
        locked.sequence += 1
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="event.cancel", obj=locked, before=before, after=_audited(locked),
                     reason=reason)
    return locked


def event_mark_held(*, actor, event: Event) -> Event:
    """Record that a planned event took place (once it has started); its outcomes come from its distributions."""
    _must_manage(actor, event)
    with transaction.atomic():
        locked = _lock(event)
        if locked.status != Event.Status.PLANNED:
            raise ServiceError(_("Only a planned event can be marked as held; this one is already held or cancelled."),
                               code="conflict")
        if locked.starts_at > timezone.now():
            raise ServiceError(_("The event has not started yet. Mark it as held once it has taken place."),
                               code="conflict")
        before = _audited(locked)
        locked.status = Event.Status.HELD
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="event.mark_held", obj=locked, before=before, after=_audited(locked))
    return locked


def _open_for_volunteers(event: Event):
    if event.status == Event.Status.CANCELLED:
        raise ServiceError(_("This event is cancelled: volunteers can no longer sign up or withdraw."),
                           code="conflict")
    if event.status == Event.Status.HELD or event.starts_at <= timezone.now():
        raise ServiceError(_("This event has already taken place or started: sign-up is closed."), code="conflict")


def volunteer_sign_up(*, actor, event: Event) -> EventVolunteer:
    """Sign the volunteer up, while the event is planned, not started and has places left."""
    if not access.can_volunteer(actor):
        raise PermissionDenied(_("Only volunteers may sign up. Add the volunteer role to your account first."))
    with transaction.atomic():
        # The lock on the event serialises sign-ups, so two volunteers never take the last place together.
        locked = _lock(event)
        _open_for_volunteers(locked)
        signup = EventVolunteer.objects.filter(event=locked, user=actor).first()
        if signup is not None and signup.withdrawn_at is None:
            raise ServiceError(_("You are already signed up for this event."), code="duplicate")
        taken = EventVolunteer.objects.filter(event=locked, withdrawn_at__isnull=True).count()
        if taken >= locked.volunteers_needed:
            raise ServiceError(_("All volunteer places for this event are taken. Look for another event in the "
                                 "calendar."), code="conflict")
        if signup is None:
            signup = EventVolunteer.objects.create(event=locked, user=actor)
        else:
            signup.withdrawn_at = None
            signup.save(update_fields=["withdrawn_at"])
        audit_record(actor=actor, action="event.volunteer_sign_up", obj=signup,
                     after={"event": locked.pk, "user": actor.pk})
    return signup


def volunteer_withdraw(*, actor, event: Event) -> EventVolunteer:
    """The volunteer gives their place back, before the event starts."""
    if not access.can_volunteer(actor):
        raise PermissionDenied(_("Only volunteers sign up for events and withdraw from them."))
    with transaction.atomic():
        locked = _lock(event)
        signup = EventVolunteer.objects.filter(event=locked, user=actor, withdrawn_at__isnull=True).first()
        if signup is None:
            raise ServiceError(_("You are not signed up for this event."), code="not_found")
        _open_for_volunteers(locked)
        signup.withdrawn_at = timezone.now()
        signup.save(update_fields=["withdrawn_at"])
        audit_record(actor=actor, action="event.volunteer_withdraw", obj=signup,
                     after={"event": locked.pk, "user": actor.pk})
    return signup


def parse_hours(value) -> Decimal:
    """Hours as a decimal with at most one place, from 0 to 24; "3,5" is read as 3.5."""
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
    try:
        hours = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ServiceError(_("Write the hours as a number, for example 4 or 3.5."), field="hours") from None
    if not hours.is_finite() or hours < 0 or hours > 24:
        raise ServiceError(_("The hours must be from 0 to 24: one event day at most."), field="hours")
    if hours != hours.quantize(Decimal("0.1")):
        raise ServiceError(_("Give the hours to a tenth at most, for example 3.5."), field="hours")
    return hours.quantize(Decimal("0.1"))


def volunteer_hours_confirm(*, actor, signup: EventVolunteer, hours) -> EventVolunteer:
    """The organiser confirms the hours a volunteer gave at a held event."""
    event = signup.event
    _must_manage(actor, event)
    hours = parse_hours(hours)
    with transaction.atomic():
        locked = EventVolunteer.objects.select_for_update().select_related("event").get(pk=signup.pk)
        if locked.event.status != Event.Status.HELD:
            raise ServiceError(_("Hours are confirmed after the event: mark it as held first."), code="conflict")
        if locked.withdrawn_at is not None:
            raise ServiceError(_("This volunteer withdrew before the event; there are no hours to confirm."),
                               code="conflict")
        before = {"hours": locked.hours}
        locked.hours = hours
        locked.hours_confirmed_by = actor
        locked.hours_confirmed_at = timezone.now()
        locked.save(update_fields=["hours", "hours_confirmed_by", "hours_confirmed_at"])
        audit_record(actor=actor, action="event.volunteer_hours_confirm", obj=locked, before=before,
                     after={"hours": hours, "event": locked.event_id, "user": locked.user_id})
    return locked
