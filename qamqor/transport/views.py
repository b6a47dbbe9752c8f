"""Pages of InvaTaxi: the dispatcher's board (the day's requests, plan and re-plan with progress, manual assignment,
requests taken by phone, route maps), the fleet and shifts, the driver's manifest (page and PDF, marking picked up,
dropped off, did not come), and the passenger's booking and "my rides" with the expected pick-up.

Views are thin: objects come through access.py, reads through selectors, writes through services; every view of
passengers' names, phones or addresses writes an access-log row. A service's refusal becomes the form's error in
the error summary; a bad id or parameter is a 404 or a message, never a 500."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qamqor.core.errors import PermissionDenied as ServicePermissionDenied
from qamqor.core.errors import ServiceError
from qamqor.core.services import access_record, access_record_many
from qamqor.organizations.models import Organization
from qamqor.social_services import access as services_access

from . import access, forms, selectors, services
from .models import Depot, ReplanRun, RideRequest, Vehicle

# The services' argument names that a form asks under another name.
FIELDS = {"pickup_at": "time", "arrive_by": "time", "day": "date", "return_pickup_at": "return_time",
          "starts_at": "start", "ends_at": "end", "break_starts_at": "break_start", "latitude": "latitude",
          "longitude": "longitude"}
EVENTS = ("picked_up", "dropped_off", "no_show")


def _apply(form, call, fields=FIELDS):
    """Run a service; its refusal becomes the form's error (the error summary names the field)."""
    try:
        return call()
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        if exc.field and exc.field not in form.fields and fields.get(exc.field) in form.fields:
            exc.field = fields[exc.field]
        form.add_service_error(exc)
        return None


def _local(moment):
    return timezone.localtime(moment) if moment else None


def _day(request):
    """The ?day= of the page; a missing or bad one is today (with a message for a bad one)."""
    raw = request.GET.get("day", "")
    if raw:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            messages.error(request, _("“%(value)s” is not a day. Give it as year-month-day, such as 2026-03-05; "
                                      "today is shown instead.") % {"value": raw[:20]})
    return timezone.localdate()


def _back(request, default):
    """Where to go after an action: the `next` field if it is a page of this site, else `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) \
            and target.startswith("/transport/"):
        return target
    return default


def _log(request, persons, purpose):
    """One access-log row per passenger shown, except a person looking at their own record."""
    shown = {p.pk: p for p in persons if p.user_id != request.user.pk}
    if shown:
        access_record_many(actor=request.user, subjects=list(shown.values()), purpose=purpose,
                           path=request.get_full_path())


# --- Which provider -----------------------------------------------------------------------------------------------

def _providers(user):
    return list(Organization.objects.filter(pk__in=access.dispatch_provider_ids(user)).order_by("name"))


def _provider(request, raw=None):
    """The provider the page is about (?org=), among those this user dispatches for: 403 for none, 404 for another."""
    providers = _providers(request.user)
    if not providers:
        raise PermissionDenied
    raw = request.GET.get("org", "") if raw is None else str(raw)
    if raw:
        for p in providers:
            if raw.isdigit() and p.pk == int(raw):
                return p, providers
        raise Http404(_("No such InvaTaxi service among those you dispatch for."))
    return providers[0], providers


def _board_url(provider_id, day):
    return f"{reverse('transport:board')}?org={provider_id}&day={day.isoformat()}"


# --- Start page ---------------------------------------------------------------------------------------------------

@login_required
def home(request):
    """What this user does in InvaTaxi: dispatch (board, fleet), drive (their shifts), ride (book, my rides)."""
    user = request.user
    today = timezone.localdate()
    my_shifts = selectors.driver_shifts(user=user, since=today - dt.timedelta(days=1))
    return render(request, "transport/home.html", {
        "providers": _providers(user), "my_shifts": my_shifts, "today": today,
        "passenger": services_access.bookable_persons(user).exists()})


# --- Dispatcher board ---------------------------------------------------------------------------------------------

def _stop_rows(board):
    """The stops of every shift with their ride's passenger, and who is on which shift (for the requests table)."""
    on_shift = {}
    for entry in board["shifts"]:
        for stop in entry["stops"]:
            on_shift.setdefault(stop["ride"].pk, entry["shift"])
    return on_shift


def _board_context(request, org, providers, day, *, errors=(), assign_forms=None):
    from .templatetags.transport_map import day_box

    board = selectors.day_board(provider=org, day=day)
    _log(request, [r.person for r in board["requests"]], "dispatcher board")
    shifts = [s for s in selectors.day_shifts(provider=org, day=day) if s.cancelled_at is None]
    assign_forms = assign_forms or {}
    unassigned = []
    for ride, reason in board["unassigned"]:
        form = assign_forms.get(ride.pk) or forms.AssignForm(shifts=shifts, auto_id=f"id_r{ride.pk}_%s")
        unassigned.append({"ride": ride, "reason": reason, "form": form})
    run = board["run"]
    return {
        "org": org, "providers": providers, "day": day, "board": board, "unassigned": unassigned,
        "on_shift": _stop_rows(board), "box": day_box(board["shifts"]), "run": run,
        "running": run is not None and run.status in (ReplanRun.Status.QUEUED, ReplanRun.Status.RUNNING),
        "plan_form": forms.PlanForm(), "errors": list(errors),
        "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
        "open_statuses": RideRequest.OPEN,
    }


@login_required
def board(request):
    org, providers = _provider(request)
    day = _day(request)
    return render(request, "transport/board.html", _board_context(request, org, providers, day))


@login_required
def board_progress(request):
    """The progress block of the latest plan run (polled by the board while a run is going on)."""
    org, _providers_list = _provider(request)
    day = _day(request)
    board_data = selectors.day_board(provider=org, day=day)
    run = board_data["run"]
    return render(request, "transport/board.html#progress", {
        "org": org, "day": day, "run": run, "board": board_data,
        "running": run is not None and run.status in (ReplanRun.Status.QUEUED, ReplanRun.Status.RUNNING)})


@login_required
@require_POST
def board_plan(request):
    """Plan or re-plan the day in the background; the board shows the progress."""
    org, _providers_list = _provider(request, request.POST.get("org", ""))
    try:
        day = dt.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        raise Http404(_("No such day.")) from None
    form = forms.PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(_board_url(org.pk, day))
    try:
        services.plan_start(actor=request.user, provider=org, day=day, time_limit=form.cleaned_data["time_limit"])
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Planning has started. You can stay here to follow it or leave and come back."))
    return redirect(_board_url(org.pk, day) + "#plan")


# --- One ride: dispatcher's actions, the passenger's cancel, the driver's marks -------------------------------------

def _ride(request, pk):
    ride = (access.visible_rides(request.user).select_related("person", "provider", "booking")
            .filter(pk=pk).first())
    if ride is None:
        raise Http404(_("No such ride."))
    return ride


def _dispatched_ride(request, pk):
    ride = _ride(request, pk)
    if not access.can_dispatch(request.user, ride.provider):
        raise PermissionDenied
    return ride


@login_required
@require_POST
def ride_assign(request, pk):
    ride = _dispatched_ride(request, pk)
    shifts = [s for s in selectors.day_shifts(provider=ride.provider, day=ride.day) if s.cancelled_at is None]
    form = forms.AssignForm(request.POST, shifts=shifts, auto_id=f"id_r{ride.pk}_%s")
    if form.is_valid():
        done = _apply(form, lambda: services.plan_assign(actor=request.user, ride=ride,
                                                         shift=form.cleaned_data["shift"]),
                      fields={"ride": "shift", "request": "shift"})
        if done is not None:
            messages.success(request, _("%(passenger)s is assigned to %(vehicle)s.") % {
                "passenger": ride.person.full_name, "vehicle": form.cleaned_data["shift"].vehicle.plate})
            return redirect(_board_url(ride.provider_id, ride.day) + "#vehicles")
    providers = _providers(request.user)
    errors = [(f"#{form['shift'].auto_id}", _("Assign %(passenger)s") % {"passenger": ride.person.full_name}, e)
              for e in form.errors.get("shift", [])] + [("", "", e) for e in form.non_field_errors()]
    context = _board_context(request, ride.provider, providers, ride.day, errors=errors,
                             assign_forms={ride.pk: form})
    return render(request, "transport/board.html", context, status=400)


def _board_action(request, pk, call, done_message):
    ride = _dispatched_ride(request, pk)
    try:
        call(ride)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        context = _board_context(request, ride.provider, _providers(request.user), ride.day,
                                 errors=[("", "", exc.message)])
        return render(request, "transport/board.html", context, status=400)
    messages.success(request, done_message % {"passenger": ride.person.full_name})
    return redirect(_back(request, _board_url(ride.provider_id, ride.day)))


@login_required
@require_POST
def ride_unassign(request, pk):
    return _board_action(request, pk, lambda ride: services.plan_unassign(actor=request.user, ride=ride),
                         _("%(passenger)s is taken off the vehicle and held back: no re-plan puts the ride on a "
                           "vehicle until you release it."))


@login_required
@require_POST
def ride_release(request, pk):
    return _board_action(request, pk, lambda ride: services.plan_release(actor=request.user, ride=ride),
                         _("The ride of %(passenger)s is released: the next plan may put it on a vehicle."))


@login_required
@require_POST
def ride_cancel(request, pk):
    ride = _ride(request, pk)
    form = forms.CancelForm(request.POST)
    if not access.can_cancel_ride(request.user, ride):
        raise PermissionDenied
    passenger_side = not access.can_dispatch(request.user, ride.provider)
    default = reverse("transport:my_rides") if passenger_side else _board_url(ride.provider_id, ride.day)
    if form.is_valid():
        try:
            services.ride_cancel(actor=request.user, ride=ride, reason=form.cleaned_data["reason"])
        except ServicePermissionDenied:
            raise PermissionDenied from None
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The ride on %(date)s is cancelled.") % {"date": ride.day.strftime("%d.%m.%Y")})
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(_back(request, default))


@login_required
@require_POST
def ride_mark(request, pk):
    """The driver (or a dispatcher) records what happened at a stop; the page says what was recorded."""
    # A driver sees the rides of their shifts only through can_mark (visible_rides is the passengers' and
    # dispatchers' list): a ride they may not mark is as good as absent.
    ride = RideRequest.objects.select_related("person", "provider").filter(pk=pk).first()
    if ride is None or not access.can_mark(request.user, ride):
        raise Http404(_("No such ride."))
    event = request.POST.get("event", "")
    if event not in EVENTS:
        messages.error(request, _("Choose what happened: picked up, dropped off or did not come."))
        return redirect(_back(request, reverse("transport:home")))
    try:
        services.ride_mark(actor=request.user, ride=ride, event=event,
                           code=request.POST.get("code", "").strip()[:12] if event == "dropped_off" else "")
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        now = timezone.localtime().strftime("%H:%M")
        text = {"picked_up": _("Recorded: %(passenger)s picked up at %(time)s."),
                "dropped_off": _("Recorded: %(passenger)s dropped off at %(time)s."),
                "no_show": _("Recorded: %(passenger)s did not come (%(time)s).")}[event]
        messages.success(request, text % {"passenger": ride.person.full_name, "time": now})
    return redirect(_back(request, reverse("transport:home")))


# --- A request taken by phone -------------------------------------------------------------------------------------

def find_passengers(user, query, *, provider):
    """Persons a dispatcher may take a ride request for, matching what the caller said: the registry's own search
    for those who may use it (names in any script), and an exact IIN for anyone registered, so that a dispatcher
    sees nobody the caller did not identify themselves as. A pure read (the access decision is can_request_ride)."""
    from qamqor.registry import access as registry_access
    from qamqor.registry import selectors as registry_selectors
    from qamqor.registry.models import Person

    query = (query or "").strip()
    if not query:
        return []
    found = {}
    if registry_access.can_use_registry(user):
        for person in registry_selectors.person_search(user=user, query=query)[:20]:
            found[person.pk] = person
    if registry_selectors.IIN_QUERY.match(query):
        for person in Person.objects.filter(iin=query, status=Person.Status.ACTIVE).select_related("region"):
            found.setdefault(person.pk, person)
    return [p for p in found.values() if access.can_request_ride(user, p, provider)]


def _phone_person(request, org):
    from qamqor.registry.models import Person

    raw = request.GET.get("person", "")
    if not raw:
        return None
    person = Person.objects.select_related("region").filter(pk=raw if raw.isdigit() else -1,
                                                            status=Person.Status.ACTIVE).first()
    if person is None or not access.can_request_ride(request.user, person, org):
        raise Http404(_("No such passenger."))
    return person


@login_required
def phone_request(request):
    """Find the caller (by IIN or name), then enter the ride: addresses with their points, the time, the needs, a
    return trip and a weekly repetition. Same-day requests go into the running plan at once."""
    org, providers = _provider(request)
    day = _day(request)
    person = _phone_person(request, org)
    context = {"org": org, "providers": providers, "day": day, "person": person}
    if person is None:
        search = forms.PassengerSearchForm(request.GET or None)
        results = []
        if search.is_valid() and search.cleaned_data["q"]:
            results = find_passengers(request.user, search.cleaned_data["q"], provider=org)
            access_record_many(actor=request.user, subjects=results, purpose="ride request by phone: search",
                               path=request.get_full_path())
        context.update(search=search, results=results, searched=bool(search.is_bound and search.data.get("q")))
        return render(request, "transport/phone.html", context)
    access_record(actor=request.user, subject=person, purpose="ride request by phone", path=request.path)
    form = forms.RideForm(request.POST if request.method == "POST" else None, persons=[person], providers=[org],
                          places=selectors.known_places(persons=[person]),
                          initial={"person": person.pk, "provider": org.pk, "date": day,
                                   "wheelchair": bool(getattr(person, "uses_wheelchair", False))})
    if request.method == "POST" and form.is_valid():
        rides = _apply(form, lambda: services.ride_request_create(actor=request.user, source="phone",
                                                                  **form.request_arguments()))
        if rides is not None:
            first = rides[0]
            messages.success(request, _("The request of %(passenger)s for %(date)s is taken (%(count)s rides).") % {
                "passenger": person.full_name, "date": first.day.strftime("%d.%m.%Y"), "count": len(rides)})
            return redirect(_board_url(org.pk, first.day))
    context["form"] = form
    return render(request, "transport/phone.html", context, status=400 if form.errors else 200)


# --- Fleet and shifts ---------------------------------------------------------------------------------------------

@login_required
def fleet(request):
    org, providers = _provider(request)
    day = _day(request)
    shifts = list(selectors.day_shifts(provider=org, day=day))
    return render(request, "transport/fleet.html", {
        "org": org, "providers": providers, "day": day, "fleet": selectors.fleet(provider=org), "shifts": shifts,
        "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1)})


def _fleet_url(org_id, day=None):
    url = f"{reverse('transport:fleet')}?org={org_id}"
    return url + (f"&day={day.isoformat()}" if day else "")


def _form_page(request, form, *, org, title, back, status=None):
    return render(request, "transport/form.html", {"form": form, "org": org, "title": title, "back": back},
                  status=status or (400 if form.errors else 200))


@login_required
def depot_new(request):
    org, _providers_list = _provider(request)
    form = forms.DepotForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if _apply(form, lambda: services.depot_create(actor=request.user, provider=org,
                                                      **form.cleaned_data)) is not None:
            messages.success(request, _("The depot is added."))
            return redirect(_fleet_url(org.pk))
    return _form_page(request, form, org=org, title=_("Add a depot"), back=_fleet_url(org.pk))


@login_required
def vehicle_new(request):
    org, _providers_list = _provider(request)
    depots = list(Depot.objects.filter(provider=org, active=True))
    form = forms.VehicleForm(request.POST if request.method == "POST" else None, depots=depots)
    if request.method == "POST" and form.is_valid():
        if _apply(form, lambda: services.vehicle_create(actor=request.user, provider=org,
                                                        **form.cleaned_data)) is not None:
            messages.success(request, _("The vehicle is added."))
            return redirect(_fleet_url(org.pk))
    return _form_page(request, form, org=org, title=_("Add a vehicle"), back=_fleet_url(org.pk))


@login_required
@require_POST
def vehicle_active(request, pk):
    vehicle = Vehicle.objects.select_related("provider").filter(pk=pk).first()
    if vehicle is None or not access.can_dispatch(request.user, vehicle.provider):
        raise Http404(_("No such vehicle."))
    active = request.POST.get("active") == "1"
    try:
        services.vehicle_set_active(actor=request.user, vehicle=vehicle, active=active)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, (_("%(plate)s is back in service.") if active
                                   else _("%(plate)s is out of service.")) % {"plate": vehicle.plate})
    return redirect(_fleet_url(vehicle.provider_id))


@login_required
def shift_new(request):
    org, _providers_list = _provider(request)
    day = _day(request)
    vehicles = list(Vehicle.objects.filter(provider=org, active=True))
    form = forms.ShiftForm(request.POST if request.method == "POST" else None, vehicles=vehicles,
                           drivers=selectors.fleet(provider=org)["drivers"],
                           initial={"date": day, "start": dt.time(8), "end": dt.time(17)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        starts_at, ends_at, break_at = form.moments()
        shift = _apply(form, lambda: services.shift_create(
            actor=request.user, vehicle=data["vehicle"], driver=data["driver"], starts_at=starts_at, ends_at=ends_at,
            break_starts_at=break_at, break_minutes=data["break_minutes"]))
        if shift is not None:
            messages.success(request, _("The shift is added."))
            return redirect(_fleet_url(org.pk, shift.day))
    return _form_page(request, form, org=org, title=_("Add a shift"), back=_fleet_url(org.pk, day))


def _shift(request, pk):
    shift = (access.visible_shifts(request.user).select_related("vehicle__depot", "driver__user", "provider")
             .filter(pk=pk).first())
    if shift is None:
        raise Http404(_("No such shift."))
    return shift


@login_required
@require_POST
def shift_cancel(request, pk):
    shift = _shift(request, pk)
    if not access.can_dispatch(request.user, shift.provider):
        raise Http404(_("No such shift."))
    try:
        services.shift_cancel(actor=request.user, shift=shift)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The shift of %(vehicle)s is cancelled.") % {"vehicle": shift.vehicle.plate})
    return redirect(_fleet_url(shift.provider_id, shift.day))


# --- Driver's manifest --------------------------------------------------------------------------------------------

def _manifest(request, pk, purpose):
    shift = _shift(request, pk)
    if not access.can_view_manifest(request.user, shift):
        raise Http404(_("No such shift."))
    data = selectors.manifest(shift=shift)
    _log(request, [s["ride"].person for s in data["stops"]], purpose)
    return shift, data


@login_required
def manifest(request, pk):
    shift, data = _manifest(request, pk, "driver's manifest")
    # Every stop listed is planned on this shift in the current plan: its driver and the dispatchers mark them all
    # (access.can_mark for each would ask the plan again per stop).
    marks = access.is_driver_of(request.user, shift) or access.can_dispatch(request.user, shift.provider_id)
    return render(request, "transport/manifest.html", {"shift": shift, "manifest": data, "marks": marks,
                                                        "dispatches": access.can_dispatch(request.user,
                                                                                          shift.provider)})


@login_required
def manifest_pdf(request, pk):
    """The manifest to print, in the language asked for (?lang=kk|ru|en), else the page's language."""
    from . import manifest_pdf as pdf

    shift, data = _manifest(request, pk, "driver's manifest (PDF)")
    lang = request.GET.get("lang", "") or translation.get_language()
    if lang not in pdf.LANGUAGES:
        lang = "kk"
    with translation.override(lang):
        content = pdf.manifest_pdf(data, lang=lang)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (f'inline; filename="manifest-{shift.vehicle.plate.replace(" ", "")}-'
                                       f'{shift.day.isoformat()}.pdf"')
    return response


# --- Passenger ----------------------------------------------------------------------------------------------------

@login_required
def book(request):
    persons = list(services_access.bookable_persons(request.user).select_related("region").order_by("surname", "pk"))
    if not persons:
        raise PermissionDenied
    providers = selectors.invataxi_providers(persons=persons)
    initial = {}
    if request.GET.get("person", "").isdigit():
        initial["person"] = int(request.GET["person"])
        chosen = next((p for p in persons if p.pk == initial["person"]), None)
        if chosen is not None:
            initial["wheelchair"] = bool(getattr(chosen, "uses_wheelchair", False))
    elif len(persons) == 1:
        initial["wheelchair"] = bool(getattr(persons[0], "uses_wheelchair", False))
    form = forms.RideForm(request.POST if request.method == "POST" else None, persons=persons, providers=providers,
                          initial=initial, places=selectors.known_places(persons=persons))
    if request.method == "POST" and form.is_valid():
        rides = _apply(form, lambda: services.ride_request_create(actor=request.user, source="portal",
                                                                  **form.request_arguments()))
        if rides is not None:
            first = rides[0]
            when = _local(first.pickup_at or first.arrive_by)
            messages.success(request, _("Your ride on %(date)s at %(time)s is booked (%(count)s rides in all). The "
                                        "expected pick-up time appears here once the day is planned.") % {
                "date": first.day.strftime("%d.%m.%Y"), "time": when.strftime("%H:%M") if when else "",
                "count": len(rides)})
            return redirect("transport:my_rides")
    return render(request, "transport/book.html", {"form": form, "providers": providers},
                  status=400 if form.errors else 200)


@login_required
def my_rides(request):
    rides = list(selectors.passenger_rides(user=request.user))
    _log(request, [r.person for r in rides], "my rides")
    now = timezone.now()
    rows = []
    for ride in rides:
        eta = ride.eta  # attached by passenger_rides from the current plans, in two queries for all
        when = ride.pickup_at or ride.arrive_by
        rows.append({"ride": ride, "eta": eta, "when": when,
                     # Every ride listed is of the user's own record or of a person they represent.
                     "can_cancel": ride.status in RideRequest.OPEN and (when is None or when > now)})
    return render(request, "transport/my_rides.html", {
        "rows": rows, "cancel_form": forms.CancelForm(),
        "passenger": services_access.bookable_persons(request.user).exists()})
