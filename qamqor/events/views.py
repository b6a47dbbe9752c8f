"""Pages of charity events: the public calendar and event pages, organisers' pages, a volunteer's events, period
summaries, campaign transparency reports and the calendar feed. Thin: access decides, services write, selectors
read."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qamqor.core.errors import PermissionDenied as ServicePermissionDenied
from qamqor.core.errors import ServiceError
from qamqor.core.models import Region
from qamqor.core.services import access_record_many

from . import access, charts, ics, selectors, services
from .forms import CalendarFilterForm, CancelForm, EventForm, HoursForm, SummaryForm
from .models import Event, EventVolunteer


def _event(request, pk) -> Event:
    event = selectors.event_detail(request.user, pk)
    if event is None:
        raise Http404(_("No such event."))
    return event


def _managed(request, pk) -> Event:
    event = _event(request, pk)
    if not access.can_manage_event(request.user, event):
        raise PermissionDenied
    return event


def _month_from(request):
    today = timezone.localdate()
    form = CalendarFilterForm(request.GET or None, initial={"month": today.month, "year": today.year})
    year, month, region = today.year, today.month, None
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"] or year
        month = form.cleaned_data["month"] or month
        kato = form.cleaned_data["region"]
        if kato:
            region = Region.objects.filter(kato_code=kato).first()
    return form, year, month, region


def calendar(request):
    """The public calendar: a month of events as a list grouped by day, filtered by region."""
    form, year, month, region = _month_from(request)
    start, end = selectors.month_bounds(year, month)
    events = list(selectors.events_between(request.user, start=start, end=end, region=region))
    prev_month = (start - dt.timedelta(days=1)).date()
    next_month = end.date()
    region_query = f"&region={region.kato_code}" if region else ""
    return render(request, "events/calendar.html", {
        "form": form, "days": selectors.calendar_days(events), "count": len(events), "month_start": start.date(),
        "region": region, "prev": f"?year={prev_month.year}&month={prev_month.month}{region_query}",
        "next": f"?year={next_month.year}&month={next_month.month}{region_query}",
        "ics": reverse("events:ics") + (f"?region={region.kato_code}" if region else ""),
        "can_create": access.can_create_event(request.user),
    })


def detail(request, pk):
    event = _event(request, pk)
    held = event.status == Event.Status.HELD
    return render(request, "events/detail.html", {
        "event": event, "outcome": selectors.event_outcome(event) if held else None,
        "signup": selectors.event_signup(request.user, event),
        "can_manage": access.can_manage_event(request.user, event),
        "can_volunteer": access.can_volunteer(request.user),
        "places_left": max(event.volunteers_needed - event.signed_up, 0),
        "open_for_volunteers": event.status == Event.Status.PLANNED and not event.is_past,
    })


def _event_form(request, data=None, **kwargs):
    from qamqor.aid.models import Campaign

    return EventForm(data, organizers=access.organizers_for(request.user).order_by("name"),
                     campaigns=Campaign.objects.exclude(status="draft").order_by("-starts_on", "title"), **kwargs)


def _save(request, form, action):
    try:
        return action(form.cleaned_data)
    except ServicePermissionDenied as exc:
        if exc.field:
            form.add_service_error(exc)
            return None
        raise PermissionDenied from None
    except ServiceError as exc:
        form.add_service_error(exc)
        return None


@login_required
def create(request):
    if not access.can_create_event(request.user):
        raise PermissionDenied
    form = _event_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = _save(request, form, lambda data: services.event_create(actor=request.user, data=data))
        if event is not None:
            messages.success(request, _("The event is planned and shown in the public calendar."))
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/form.html", {"form": form, "title": _("Plan a charity event")},
                  status=400 if form.errors else 200)


@login_required
def edit(request, pk):
    event = _managed(request, pk)
    initial = {name: getattr(event, name) for name in services.EVENT_FIELDS}
    initial["starts_at"] = timezone.localtime(event.starts_at)
    initial["ends_at"] = timezone.localtime(event.ends_at)
    initial["partners"] = list(event.partners.all())
    form = _event_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, lambda data: services.event_update(actor=request.user, event=event, data=data))
        if saved is not None:
            messages.success(request, _("Saved. Calendars that follow the feed will show the change."))
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/form.html", {"form": form, "event": event, "title": _("Change the event")},
                  status=400 if form.errors else 200)


@login_required
def cancel(request, pk):
    event = _managed(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, lambda data: services.event_cancel(actor=request.user, event=event,
                                                                          reason=data["reason"]))
        if saved is not None:
            messages.success(request, _("The event is cancelled. The calendar and the feed show it as cancelled."))
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/cancel.html", {"form": form, "event": event}, status=400 if form.errors else 200)


@login_required
@require_POST
def mark_held(request, pk):
    event = _managed(request, pk)
    try:
        services.event_mark_held(actor=request.user, event=event)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The event is marked as held. Its outcomes are counted from the help handed "
                                    "over at it."))
    return redirect("events:detail", pk=event.pk)


@login_required
def volunteers(request, pk, signup_id=None):
    """The organiser's list of volunteers, where hours are confirmed after the event."""
    event = _managed(request, pk)
    rows = list(selectors.event_volunteers(event))
    access_record_many(actor=request.user, subjects=[row.user for row in rows], purpose="event volunteers",
                       path=request.path)
    forms = {row.pk: HoursForm(initial={"hours": row.hours}, prefix=f"v{row.pk}") for row in rows}
    status = 200
    if signup_id is not None:
        if request.method != "POST":
            return redirect("events:volunteers", pk=event.pk)
        signup = next((row for row in rows if row.pk == signup_id), None)
        if signup is None:
            raise Http404(_("No such volunteer for this event."))
        form = HoursForm(request.POST, prefix=f"v{signup.pk}")
        forms[signup.pk] = form
        if form.is_valid():
            saved = _save(request, form, lambda data: services.volunteer_hours_confirm(
                actor=request.user, signup=signup, hours=data["hours"]))
            if saved is not None:
                messages.success(request, _("The hours of %(name)s are confirmed.") % {"name": signup.user})
                return redirect("events:volunteers", pk=event.pk)
        status = 400
    return render(request, "events/volunteers.html", {
        "event": event, "rows": [(row, forms[row.pk]) for row in rows],
        "errors": [(row, f) for row, f in ((r, forms[r.pk]) for r in rows) if f.errors],
        "can_confirm": event.status == Event.Status.HELD}, status=status)


def _volunteer_action(request, pk, action, done):
    event = _event(request, pk)
    if not access.can_volunteer(request.user):
        raise PermissionDenied
    try:
        action(actor=request.user, event=event)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("events:detail", pk=event.pk)


@login_required
@require_POST
def sign_up(request, pk):
    return _volunteer_action(request, pk, services.volunteer_sign_up,
                             _("You are signed up. The organiser will see your name and e-mail address."))


@login_required
@require_POST
def withdraw(request, pk):
    return _volunteer_action(request, pk, services.volunteer_withdraw,
                             _("You withdrew from the event; your place is free for someone else."))


@login_required
def mine(request):
    """A volunteer's events: signed up, withdrawn, and hours confirmed."""
    return render(request, "events/mine.html", {"signups": list(selectors.my_signups(request.user)),
                                                "now": timezone.now()})


@login_required
def manage(request):
    """The events this user runs, newest first, with a way to plan a new one."""
    if not access.can_create_event(request.user):
        raise PermissionDenied
    events = (access.managed_events(request.user).select_related("organizer", "region")
              .order_by("-starts_at")[:200])
    return render(request, "events/manage.html", {"events": events})


def summary(request):
    """A period summary from data, per region or per organisation: "Q1 2019: 22 events, 1,200 people helped"."""
    today = timezone.localdate()
    default = {"year": today.year, "quarter": (today.month - 1) // 3 + 1, "group_by": "region"}
    form = SummaryForm(request.GET or None, initial=default)
    result = None
    if not form.is_bound:
        result = selectors.period_summary(period=selectors.Period(today.year, quarter=default["quarter"]))
    elif form.is_valid():
        data = form.cleaned_data
        result = selectors.period_summary(period=selectors.Period(data["year"], data["quarter"], data["month"]),
                                          region=data["region"], organization=data["organization"],
                                          group_by=data["group_by"])
    return render(request, "events/summary.html", {"form": form, "summary": result},
                  status=400 if form.errors else 200)


def calendar_feed(request):
    """/events/calendar.ics: upcoming and recent public events, optionally of one region (?region=KATO)."""
    events = access.public_events().select_related("organizer", "region")
    name = _("Qamqor charity events")
    kato = request.GET.get("region", "")
    if kato:
        region = Region.objects.filter(kato_code=kato).first()
        if region is None:
            raise Http404(_("There is no region with this KATO code."))
        events = events.filter(region=region)
        name = f"{name}: {region.name}"
    since = timezone.now() - dt.timedelta(days=366)
    events = events.filter(ends_at__gte=since).order_by("starts_at", "pk")[:2000]
    body = ics.build_calendar(events, name=name,
                              url_for=lambda e: request.build_absolute_uri(reverse("events:detail", args=[e.pk])))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="qamqor-events.ics"'
    return response


def campaigns(request):
    return render(request, "events/campaigns.html", {"campaigns": selectors.report_campaigns(request.user)})


def campaign(request, slug):
    """A campaign's public report: target, raised and delivered, as a chart and as a table; no names."""
    found = access.visible_campaigns(request.user).select_related("organizer", "holiday").filter(slug=slug).first()
    if found is None:
        raise Http404(_("No such campaign."))
    report = selectors.campaign_report(found)
    rows = [(line, charts.formatted(line, line.target), charts.formatted(line, line.raised),
             charts.formatted(line, line.delivered)) for line in report.lines]
    return render(request, "events/campaign.html", {"campaign": found, "report": report, "rows": rows,
                                                    "chart": charts.campaign_chart(report),
                                                    "events": found.events.filter(organizer__status="verified")
                                                    .exclude(status=Event.Status.CANCELLED).select_related("region")
                                                    .order_by("starts_at")})
