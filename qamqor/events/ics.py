"""The public calendar as an iCalendar feed (RFC 5545), built with the icalendar library.

Only what the public calendar page shows goes in: title, times, place, region, organiser, status and the page's
address. Times are written in UTC, so every calendar program reads them alike without a VTIMEZONE block.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event as VEvent

from .models import Event

UID_DOMAIN = "qamqor.kz"


def event_uid(event: Event) -> str:
    # Stable across renames and host changes: a calendar program keeps one copy per event.
    return f"event-{event.pk}@{UID_DOMAIN}"


def build_calendar(events, *, url_for, name: str) -> bytes:
    """The feed for `events`; url_for(event) gives the absolute address of its public page."""
    cal = Calendar()
    cal.add("prodid", "-//Qamqor//Charity events//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Almaty")
    now = timezone.now()
    for event in events:
        item = VEvent()
        item.add("uid", event_uid(event))
        item.add("dtstamp", (event.updated_at or event.created_at or now).astimezone(dt.timezone.utc))
        item.add("dtstart", event.starts_at.astimezone(dt.timezone.utc))
        item.add("dtend", event.ends_at.astimezone(dt.timezone.utc))
        item.add("sequence", event.sequence)
        item.add("summary", event.title)
        item.add("location", f"{event.place}, {event.region.name}")
        item.add("url", url_for(event))
        description = [event.description] if event.description else []
        description.append(_("Organiser: %(name)s") % {"name": event.organizer.name})
        if event.status == Event.Status.CANCELLED:
            description.append(_("Cancelled: %(reason)s") % {"reason": event.cancel_reason})
        item.add("description", "\n\n".join(description))
        item.add("status", "CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED")
        cal.add_component(item)
    return cal.to_ical()
