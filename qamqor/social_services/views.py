"""Pages of special social services: the self-service portal (entitlements, book, recurring bookings, cancel), the
provider workspace (schedule, assignment, delivery records, staff and hours, utilisation), contracts with their
burn-down and acts, and the customer's totals. Views fetch through access.py and selectors, write through services,
and log every view of a person's data."""

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qamqor.accounts.access import coordinator_region_ids, is_platform_admin
from qamqor.accounts.models import User
from qamqor.core.errors import PermissionDenied as ServicePermissionDenied
from qamqor.core.errors import ServiceError
from qamqor.core.services import access_record, access_record_many
from qamqor.organizations.models import Organization

from . import access, forms, selectors, services
from .models import Act, Booking, Contract, ProviderStaff


# The services' field names that a form asks under another name.
FORM_FIELDS = {"starts_at": "start", "ends_at": "end", "started_at": "start", "ended_at": "end"}


def _apply_service(form, call, fields=FORM_FIELDS):
    """Run a service; its refusal becomes the form's error (the error summary names the field)."""
    try:
        return call()
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        if exc.field in fields and fields[exc.field] in form.fields:
            exc.field = fields[exc.field]
        form.add_service_error(exc)
        form.refusal = exc
        return None


def _errors_text(form):
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _day(raw, default=None):
    try:
        return dt.date.fromisoformat(raw)
    except (TypeError, ValueError):
        return default or timezone.localdate()


# --- Self-service portal ---------------------------------------------------------------------------------------------

def _persons(user):
    return list(access.bookable_persons(user).select_related("region", "disability").order_by("surname", "pk"))


def _chosen(request, persons):
    raw = request.GET.get("person", "")
    if raw.isdigit():
        for p in persons:
            if p.pk == int(raw):
                return p
        raise Http404(_("No such person among those you book for."))
    return persons[0] if persons else None


def _log_person(request, person, purpose):
    """A person's own page is not logged; a representative's view of the person they represent is."""
    if person.user_id != request.user.pk:
        access_record(actor=request.user, subject=person, purpose=purpose, path=request.path)


@login_required
def my_services(request):
    """What the person is entitled to and why, their coming bookings with the code to tell the staff member, and
    their history."""
    persons = _persons(request.user)
    person = _chosen(request, persons)
    context = {"persons": persons, "person": person}
    if person is not None:
        _log_person(request, person, "social services portal")
        now = timezone.now()
        bookings = (Booking.objects.filter(person=person).select_related("service_type", "staff__user",
                                                                           "contract__provider")
                    .order_by("starts_at", "pk"))
        upcoming = [b for b in bookings if b.status in Booking.ACTIVE and b.ends_at > now]
        for b in upcoming:
            b.code = services.booking_confirmation_code(b) if b.status == Booking.Status.ASSIGNED else ""
        history = [b for b in bookings if b not in upcoming][::-1][:50]
        context.update(entitlements=selectors.entitlements(person), upcoming=upcoming, history=history)
    return render(request, "social_services/my.html", context)


def _bookable_or_403(request):
    persons = _persons(request.user)
    if not persons:
        raise PermissionDenied
    return persons


def _alternative_data(form, slot):
    """The refused request with the slot's time: the one-click form's hidden fields."""
    start = selectors.local(slot.starts_at)
    data = form.cleaned_data
    return {"person": data["person"].pk, "service_type": data["service_type"].pk, "date": start.date().isoformat(),
            "start": start.strftime("%H:%M"), "minutes": int((slot.ends_at - slot.starts_at).total_seconds() // 60),
            "place": data.get("place", ""), "purpose": data.get("purpose", ""), "note": data.get("note", "")}


@login_required
def book(request):
    persons = _bookable_or_403(request)
    initial = {}
    if request.GET.get("service", "").isdigit():
        initial["service_type"] = int(request.GET["service"])
    if request.GET.get("person", "").isdigit():
        initial["person"] = int(request.GET["person"])
    form = forms.BookForm(request.POST or None, persons=persons, initial=initial)
    alternative = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        starts_at, ends_at = form.times()
        booking = _apply_service(form, lambda: services.booking_create(
            actor=request.user, person=data["person"], service_type=data["service_type"], starts_at=starts_at,
            ends_at=ends_at, place=data["place"], purpose=data["purpose"], note=data["note"]))
        if booking is not None:
            messages.success(request, _("Booked: %(service)s on %(date)s at %(time)s. The provider will assign a "
                                        "staff member and you will be told.") % {
                "service": booking.service_type.name, "date": selectors.local(booking.starts_at).strftime("%d.%m.%Y"),
                "time": selectors.local(booking.starts_at).strftime("%H:%M")})
            return redirect(f"/services/?person={booking.person_id}")
        slot = getattr(getattr(form, "refusal", None), "alternative", None)
        if slot is not None:
            start = selectors.local(slot.starts_at)
            alternative = {"fields": _alternative_data(form, slot),
                           "label": _("Book %(time)s on %(date)s instead") % {
                               "time": start.strftime("%H:%M"), "date": start.strftime("%d.%m.%Y")}}
    return render(request, "social_services/book.html", {"form": form, "alternative": alternative},
                  status=400 if form.errors else 200)


@login_required
def book_series(request):
    persons = _bookable_or_403(request)
    form = forms.SeriesForm(request.POST or None, persons=persons)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        result = _apply_service(form, lambda: services.booking_series_create(actor=request.user, **data),
                                fields={"starts_at": "start_time", "ends_at": "minutes"})
        if result is not None:
            _series, bookings = result
            messages.success(request, _("Booked %(count)s times, from %(first)s to %(last)s.") % {
                "count": len(bookings), "first": selectors.local(bookings[0].starts_at).strftime("%d.%m.%Y"),
                "last": selectors.local(bookings[-1].starts_at).strftime("%d.%m.%Y")})
            return redirect(f"/services/?person={data['person'].pk}")
    return render(request, "social_services/series.html", {"form": form}, status=400 if form.errors else 200)


# --- One booking -----------------------------------------------------------------------------------------------------

def _booking(request, pk, purpose):
    booking = (access.visible_bookings(request.user)
               .select_related("person", "person__region", "service_type", "contract__provider", "staff__user",
                               "booked_by")
               .filter(pk=pk).first())
    if booking is None:
        raise Http404(_("No such booking."))
    if booking.person.user_id != request.user.pk:
        access_record(actor=request.user, subject=booking.person, purpose=purpose, path=request.path)
    return booking


def _booking_context(request, booking, **forms_given):
    user = request.user
    now = timezone.now()
    active = booking.status in Booking.ACTIVE
    side = access.is_booking_side(user, booking)
    notice = dt.timedelta(hours=booking.service_type.cancel_notice_hours)
    context = {
        "booking": booking, "delivery": getattr(booking, "delivery", None) if booking.status == "delivered" else None,
        "code": services.booking_confirmation_code(booking) if side and booking.status == Booking.Status.ASSIGNED
        else "",
        "notice_hours": booking.service_type.cancel_notice_hours,
        "free_until": selectors.local(booking.starts_at - notice),
        "late": side and booking.starts_at - now < notice,
        "is_passenger_side": side,
    }
    context["ride"], context["ride_eta"] = selectors.booking_ride(booking)
    if active and booking.starts_at > now and access.can_cancel(user, booking):
        context["cancel_form"] = forms_given.get("cancel_form") or forms.CancelForm()
    if active and booking.starts_at > now and access.can_change(user, booking):
        # The person's side changes until the notice; the provider at any time before the start (services).
        if access.is_provider_of(user, booking.contract) or booking.starts_at - now >= notice:
            context["change_form"] = forms_given.get("change_form") or forms.ChangeForm(
                initial=forms.ChangeForm.initial_from(booking))
            context["change_alternative"] = forms_given.get("change_alternative")
            context["change_until"] = None if access.is_provider_of(user, booking.contract) else context["free_until"]
        else:
            context["change_closed"] = True
            if forms_given.get("change_form") is not None:  # a refused change: its error stays in view
                context["change_form"] = forms_given["change_form"]
    if booking.status == Booking.Status.ASSIGNED and booking.starts_at <= now \
            and access.can_mark_no_show(user, booking):
        context["can_mark_no_show"] = True
    if booking.person.status == "active" and access.can_manage_representatives(user, booking.person):
        context["manages_representatives"] = True
    context["history"] = selectors.booking_history(booking)
    if active and access.can_assign(user, booking):
        staff = (ProviderStaff.objects.filter(provider=booking.contract.provider, active=True)
                 .select_related("user").order_by("user__full_name", "pk"))
        if booking.service_type.staff_role:
            staff = staff.filter(role=booking.service_type.staff_role)
        context["assign_form"] = forms_given.get("assign_form") or forms.AssignForm(staff=staff)
    if booking.status == Booking.Status.ASSIGNED and access.can_record_delivery(user, booking):
        start = selectors.local(booking.starts_at)
        end = selectors.local(booking.ends_at)
        context["delivery_form"] = forms_given.get("delivery_form") or forms.DeliveryForm(
            initial={"date": start.date(), "start": start.time(), "end": end.time()})
    return context


@login_required
def booking_detail(request, pk):
    booking = _booking(request, pk, "view a booking")
    return render(request, "social_services/booking.html", _booking_context(request, booking))


@login_required
@require_POST
def booking_cancel(request, pk):
    booking = _booking(request, pk, "cancel a booking")
    form = forms.CancelForm(request.POST)
    if form.is_valid():
        done = _apply_service(form, lambda: services.booking_cancel(actor=request.user, booking=booking,
                                                                    reason=form.cleaned_data["reason"]))
        if done is not None:
            if done.late_cancellation:
                messages.warning(request, _("The booking is cancelled. It was cancelled late and is recorded so."))
            else:
                messages.success(request, _("The booking is cancelled."))
            return redirect("social_services:booking", pk=booking.pk)
    return render(request, "social_services/booking.html", _booking_context(request, booking, cancel_form=form),
                  status=400)


@login_required
@require_POST
def booking_change(request, pk):
    booking = _booking(request, pk, "change a booking")
    if not access.can_change(request.user, booking):
        raise PermissionDenied
    form = forms.ChangeForm(request.POST)
    alternative = None
    if form.is_valid():
        starts_at, ends_at = form.times()
        done = _apply_service(form, lambda: services.booking_change(
            actor=request.user, booking=booking, starts_at=starts_at, ends_at=ends_at,
            place=form.cleaned_data["place"]), fields={"starts_at": "start", "ends_at": "minutes"})
        if done is not None:
            start = selectors.local(done.starts_at)
            values = {"date": start.strftime("%d.%m.%Y"), "time": start.strftime("%H:%M")}
            if done.unassigned is not None:
                messages.warning(request, _("The booking is moved to %(date)s at %(time)s. %(name)s is not free at "
                                            "the new time: the provider will assign another staff member and you "
                                            "will be told.") % {**values, "name": done.unassigned.user.full_name})
            else:
                messages.success(request, _("The booking is moved to %(date)s at %(time)s.") % values)
            for warning in done.warnings:
                messages.warning(request, warning)
            return redirect("social_services:booking", pk=booking.pk)
        slot = getattr(getattr(form, "refusal", None), "alternative", None)
        if slot is not None:
            start = selectors.local(slot.starts_at)
            alternative = {"fields": {"date": start.date().isoformat(), "start": start.strftime("%H:%M"),
                                      "minutes": int((slot.ends_at - slot.starts_at).total_seconds() // 60),
                                      "place": form.cleaned_data.get("place", "")},
                           "label": _("Move it to %(time)s on %(date)s instead") % {
                               "time": start.strftime("%H:%M"), "date": start.strftime("%d.%m.%Y")}}
    return render(request, "social_services/booking.html",
                  _booking_context(request, booking, change_form=form, change_alternative=alternative), status=400)


@login_required
def booking_no_show(request, pk):
    """Ask first, then record that the person did not come (the provider's people, after the start)."""
    booking = _booking(request, pk, "record a no-show")
    if not access.can_mark_no_show(request.user, booking):
        raise PermissionDenied
    form = forms.NoShowForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if _apply_service(form, lambda: services.booking_mark_no_show(actor=request.user,
                                                                      booking=booking)) is not None:
            messages.success(request, _("Recorded: the person did not come."))
            return redirect("social_services:booking", pk=booking.pk)
    # Before the start, or once closed, there is nothing to confirm: the page says why instead of asking.
    recordable = booking.status == Booking.Status.ASSIGNED and booking.starts_at <= timezone.now()
    return render(request, "social_services/no_show.html", {"booking": booking, "form": form,
                                                            "recordable": recordable or form.errors},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def booking_assign(request, pk):
    booking = _booking(request, pk, "assign a booking")
    if not access.can_assign(request.user, booking):
        raise PermissionDenied
    staff = ProviderStaff.objects.filter(provider=booking.contract.provider, active=True).select_related("user")
    form = forms.AssignForm(request.POST, staff=staff)
    if form.is_valid():
        done = _apply_service(form, lambda: services.booking_assign(actor=request.user, booking=booking,
                                                                    staff=form.cleaned_data["staff"]))
        if done is not None:
            messages.success(request, _("%(name)s is assigned.") % {"name": done.staff.user.full_name})
            back = request.POST.get("next", "")
            if back.startswith("/services/provider/"):
                return redirect(back)
            return redirect("social_services:booking", pk=booking.pk)
    return render(request, "social_services/booking.html", _booking_context(request, booking, assign_form=form),
                  status=400)


@login_required
@require_POST
def booking_deliver(request, pk):
    booking = _booking(request, pk, "record a delivery")
    if not access.can_record_delivery(request.user, booking):
        raise PermissionDenied
    form = forms.DeliveryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        started_at, ended_at = form.times()
        record = _apply_service(form, lambda: services.delivery_record(
            actor=request.user, booking=booking, started_at=started_at, ended_at=ended_at, units=data["units"] or None,
            code=data["code"], signature=data["signature"], note=data["note"]))
        if record is not None:
            messages.success(request, _("The delivery is recorded."))
            for warning in record.warnings:
                messages.warning(request, warning)
            return redirect("social_services:booking", pk=booking.pk)
    return render(request, "social_services/booking.html", _booking_context(request, booking, delivery_form=form),
                  status=400)


# --- Provider workspace ----------------------------------------------------------------------------------------------

def _with_consumption(contracts):
    """Each contract's used (delivered and booked) units, percent and warning level, in two queries for all."""
    used = selectors.consumption_many([c.pk for c in contracts])
    for c in contracts:
        delivered, booked = used[c.pk]
        c.used_units = delivered + booked
        ratio = (c.used_units / c.current_volume) if c.current_volume else Decimal(1)
        c.percent = int(ratio * 100)
        c.level = selectors.level_for(ratio)
    return contracts


def _providers(user):
    if is_platform_admin(user):
        return Organization.objects.filter(pk__in=Contract.objects.values("provider")).order_by("name")
    return Organization.objects.filter(pk__in=access.provider_ids(user)).order_by("name")


def _provider(request):
    providers = list(_providers(request.user))
    if not providers:
        raise PermissionDenied
    raw = request.GET.get("org", "")
    if raw.isdigit():
        for p in providers:
            if p.pk == int(raw):
                return p, providers
        raise Http404(_("No such provider."))
    return providers[0], providers


def _with_hours_text(staff):
    names = dict(forms.WEEKDAYS)
    staff = list(staff)
    for s in staff:
        s.hours_text = "; ".join(f"{names[h.weekday]} {h.starts:%H:%M}–{h.ends:%H:%M}" for h in s.hours.all())
    return staff


@login_required
def provider(request):
    """A provider's day per staff member, the requests to assign, utilisation this week, staff and contracts."""
    org, providers = _provider(request)
    day = _day(request.GET.get("day"))
    schedule = selectors.provider_schedule(org, day)
    shown = [b.person for _s, bookings in schedule for b in bookings]
    access_record_many(actor=request.user, subjects=shown, purpose="provider schedule", path=request.get_full_path())
    staff = list(ProviderStaff.objects.filter(provider=org, active=True).select_related("user")
                 .order_by("user__full_name", "pk"))
    unassigned = []
    for member, bookings in schedule:
        if member is None:
            for b in bookings:
                b.assign_form = forms.AssignForm(staff=[s for s in staff if s.role == b.service_type.staff_role],
                                                 auto_id=f"id_b{b.pk}_%s")
                unassigned.append(b)
    week_start = day - dt.timedelta(days=day.weekday())
    contracts = list(Contract.objects.filter(provider=org).select_related("service_type", "region", "customer"))
    _with_consumption(contracts)
    for c in contracts:
        if c.status == Contract.Status.ACTIVE:
            c.burndown, c.chart_id = selectors.contract_burndown(c), f"burndown-{c.pk}"
            c.chart = burndown_chart(c.burndown, c.current_volume, unit=c.service_type.get_unit_display(),
                                     title=_("Burn-down of contract %(number)s") % {"number": c.number})
    return render(request, "social_services/provider.html", {
        "org": org, "providers": providers, "day": day, "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1), "schedule": [(m, b) for m, b in schedule if m is not None],
        "unassigned": unassigned, "week_start": week_start, "week_end": week_start + dt.timedelta(days=6),
        "utilisation": selectors.utilisation(org, start=week_start, end=week_start + dt.timedelta(days=6)),
        "staff": _with_hours_text(selectors.staff_with_hours(org).order_by("user__full_name", "pk")),
        "contracts": contracts,
        "manages": access.can_manage_staff(request.user, org),
        "my_schedule": selectors.staff_schedule(request.user, start=day)})


@login_required
def staff_new(request, org):
    provider_org = Organization.objects.filter(pk=org).first()
    if provider_org is None or not access.can_manage_staff(request.user, provider_org):
        raise PermissionDenied
    form = forms.StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(email__iexact=form.cleaned_data["email"], is_active=True).first()
        if user is None:
            form.add_error("email", _("No active account has this e-mail. Ask the person to sign up first."))
        else:
            staff = _apply_service(form, lambda: services.staff_add(actor=request.user, provider=provider_org,
                                                                    user=user, role=form.cleaned_data["role"]))
            if staff is not None:
                messages.success(request, _("The staff member is added. Set their working hours."))
                return redirect("social_services:staff_hours", pk=staff.pk)
    return render(request, "social_services/form.html", {"form": form, "title": _("Add a staff member"),
                                                         "org": provider_org}, status=400 if form.errors else 200)


@login_required
def staff_hours(request, pk):
    staff = access.visible_staff(request.user).prefetch_related("hours").filter(pk=pk).first()
    if staff is None:
        raise Http404(_("No such staff member."))
    if not access.can_manage_staff(request.user, staff.provider):
        raise PermissionDenied
    form = forms.HoursForm(request.POST or None, initial=forms.HoursForm.initial_from(staff))
    if request.method == "POST" and form.is_valid():
        if _apply_service(form, lambda: services.staff_set_hours(actor=request.user, staff=staff,
                                                                 hours=form.hours())) is not None:
            messages.success(request, _("The working hours are saved."))
            return redirect(f"/services/provider/?org={staff.provider_id}")
    return render(request, "social_services/form.html", {
        "form": form, "title": _("Working hours of %(name)s") % {"name": staff.user.full_name or staff.user.email},
        "org": staff.provider}, status=400 if form.errors else 200)


# --- Contracts and acts ----------------------------------------------------------------------------------------------

def _works_with_contracts(user):
    return (is_platform_admin(user) or bool(access.customer_ids(user)) or bool(access.provider_ids(user))
            or bool(coordinator_region_ids(user)))


@login_required
def contracts(request):
    if not _works_with_contracts(request.user):
        raise PermissionDenied
    rows = list(access.visible_contracts(request.user).select_related("customer", "provider", "service_type",
                                                                     "region"))
    _with_consumption(rows)
    return render(request, "social_services/contracts.html", {
        "contracts": rows, "can_create": access.can_create_contracts(request.user)})


@login_required
def contract_new(request):
    """The customer records a signed state social order contract."""
    if not access.can_create_contracts(request.user):
        raise PermissionDenied
    customers = access.contract_customers(request.user)
    form = forms.ContractForm(request.POST if request.method == "POST" else None, customers=customers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contract = _apply_service(form, lambda: services.contract_create(
            actor=request.user, customer=data["customer"], provider=data["provider"],
            service_type=data["service_type"], region=data["region"], number=data["number"],
            starts_on=data["starts_on"], ends_on=data["ends_on"], volume=data["volume"],
            unit_price=data["unit_price"], budget=data["budget"] or None, allows_overrun=data["allows_overrun"]))
        if contract is not None:
            messages.success(request, _("Contract %(number)s is recorded.") % {"number": contract.number})
            return redirect("social_services:contract", pk=contract.pk)
    return render(request, "social_services/form.html", {"form": form, "title": _("Record a contract"),
                                                         "back": ("social_services:contracts",
                                                                  _("State social order contracts"))},
                  status=400 if form.errors else 200)


def _contract(request, pk):
    contract = (access.visible_contracts(request.user).select_related("customer", "provider", "service_type",
                                                                     "region").filter(pk=pk).first())
    if contract is None:
        raise Http404(_("No such contract."))
    return contract


def burndown_chart(rows, volume, *, title, unit):
    """A server-drawn bar (delivered each month) and line (volume left) chart: the numbers of the table beside it."""
    width, height, left, bottom, top = 640, 260, 56, 40, 30
    plot_h = height - bottom - top
    top_value = max([volume] + [r["delivered"] for r in rows] + [Decimal(1)])
    step = (width - left - 10) / max(len(rows), 1)

    def y(value):
        return round(top + plot_h - float(value) / float(top_value) * plot_h, 1)

    bars, points = [], []
    for i, r in enumerate(rows):
        x = left + i * step
        bars.append({"x": round(x + step * 0.2, 1), "y": y(r["delivered"]), "width": round(step * 0.6, 1),
                     "height": round(top + plot_h - y(r["delivered"]), 1), "label": r["month"].strftime("%m.%y"),
                     "label_x": round(x + step / 2, 1)})
        points.append(f"{round(x + step / 2, 1)},{y(max(r['left'], Decimal(0)))}")
    last = rows[-1] if rows else None
    desc = _("Volume %(volume)s %(unit)s; delivered %(delivered)s, %(left)s left after %(month)s.") % {
        "volume": volume, "unit": unit, "delivered": last["delivered_cumulative"] if last else 0,
        "left": last["left"] if last else volume, "month": last["month"].strftime("%m.%Y") if last else "-"}
    return {"width": width, "height": height, "bars": bars, "points": " ".join(points), "title": title,
            "desc": desc, "axis_y": top + plot_h, "label_y": top + plot_h + 18, "left": left,
            "top_label": top_value, "top": top}


@login_required
def contract_detail(request, pk):
    contract = _contract(request, pk)
    month = forms.parse_month(request.GET.get("month", "")) or selectors.month_start(timezone.localdate())
    consumption = selectors.contract_consumption(contract)
    rows = selectors.contract_burndown(contract)
    return render(request, "social_services/contract.html", {
        "contract": contract, "consumption": consumption, "amendments": selectors.amendments_of(contract),
        "burndown": rows, "chart": burndown_chart(rows, contract.current_volume,
                                                  title=_("Burn-down of contract %(number)s") % {
                                                      "number": contract.number},
                                                  unit=contract.service_type.get_unit_display()),
        "reconciliation": selectors.reconciliation(contract, month), "month": month,
        "acts": contract.acts.order_by("-month"),
        "can_amend": access.can_manage_contract(request.user, contract),
        "can_generate": access.can_generate_act(request.user, contract),
        "act_form": forms.MonthForm(initial={"month": month.strftime("%Y-%m")})})


@login_required
def contract_amend(request, pk):
    contract = _contract(request, pk)
    if not access.can_manage_contract(request.user, contract):
        raise PermissionDenied
    form = forms.AmendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _apply_service(form, lambda: services.contract_amend(
                actor=request.user, contract=contract, signed_on=data["signed_on"], reason=data["reason"],
                volume=data["volume"] or None, unit_price=data["unit_price"] or None, ends_on=data["ends_on"],
                budget=data["budget"] or None)) is not None:
            messages.success(request, _("The amendment is recorded."))
            return redirect("social_services:contract", pk=contract.pk)
    return render(request, "social_services/form.html", {"form": form, "contract": contract,
                                                         "title": _("Amend contract %(number)s") % {
                                                             "number": contract.number}},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def act_generate(request, pk):
    contract = _contract(request, pk)
    if not access.can_generate_act(request.user, contract):
        raise PermissionDenied
    form = forms.MonthForm(request.POST)
    if form.is_valid():
        act = _apply_service(form, lambda: services.act_generate(actor=request.user, contract=contract,
                                                                 month=form.cleaned_data["month"]))
        if act is not None:
            messages.success(request, _("The act is drawn up. Check it, then issue it."))
            return redirect("social_services:act", pk=act.pk)
    messages.error(request, _errors_text(form))
    return redirect("social_services:contract", pk=contract.pk)


def _act(request, pk):
    act = Act.objects.select_related("contract__customer", "contract__provider", "contract__service_type",
                                     "issued_by", "generated_by").filter(pk=pk).first()
    if act is None or not access.can_view_contract(request.user, act.contract):
        raise Http404(_("No such act."))
    return act


@login_required
def act_detail(request, pk):
    act = _act(request, pk)
    lines = list(selectors.act_lines(act))
    # The provider and platform admins see whom each unit was delivered to; the customer and coordinators see
    # numbers only (no persons).
    names = access.is_provider_of(request.user, act.contract)
    if names:
        access_record_many(actor=request.user, subjects=[line.delivery.booking.person for line in lines],
                           purpose="act of services rendered", path=request.path)
    return render(request, "social_services/act.html", {
        "act": act, "lines": lines, "names": names,
        "can_issue": act.status == Act.Status.DRAFT and access.can_issue_act(request.user, act.contract)})


@login_required
@require_POST
def act_issue(request, pk):
    act = _act(request, pk)
    try:
        services.act_issue(actor=request.user, act=act)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The act is issued. It can no longer change."))
    return redirect("social_services:act", pk=act.pk)


# --- Customer totals -------------------------------------------------------------------------------------------------

def totals_chart(rows, *, title, desc):
    width, label_w, bar_h, gap = 640, 220, 22, 10
    top_value = max([r["services"] for r in rows] + [1])
    bars = []
    for i, r in enumerate(rows):
        w = round((width - label_w - 60) * r["services"] / top_value, 1)
        y = 10 + i * (bar_h + gap)
        bars.append({"y": y, "width": w, "text_y": y + 16, "label": r["label"], "value": r["services"],
                     "value_x": label_w + w + 6})
    return {"width": width, "height": 20 + len(rows) * (bar_h + gap), "label_w": label_w, "bar_h": bar_h,
            "bars": bars, "title": title, "desc": desc}


@login_required
def totals(request):
    if not access.can_view_totals(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    form = forms.TotalsForm(request.GET or {"start": dt.date(today.year, 1, 1).isoformat(),
                                            "end": today.isoformat()})
    context = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        result = selectors.customer_totals(scope=access.totals_scope(request.user), start=data["start"],
                                           end=data["end"], region=data["region"], service_type=data["service_type"])
        from qamqor.core.models import Region
        from .models import ServiceType

        regions = {r.pk: r.name for r in Region.objects.filter(pk__in={r["contract__region"] for r in result["rows"]})}
        kinds = {t.pk: t for t in ServiceType.objects.filter(pk__in={r["contract__service_type"]
                                                                       for r in result["rows"]})}
        rows = []
        for r in result["rows"]:
            kind = kinds[r["contract__service_type"]]
            rows.append({"region": regions[r["contract__region"]], "service_type": kind.name,
                         "unit": kind.get_unit_display(), "services": r["services"], "units": r["delivered_units"],
                         "amount": r["amount"], "label": f"{regions[r['contract__region']]}: {kind.name}"})
        context.update(result=result, rows=rows,
                       chart=totals_chart(rows, title=_("Services delivered by region and service"),
                                          desc=result["sentence"]))
    return render(request, "social_services/totals.html", context, status=400 if form.errors else 200)


# --- Representatives -------------------------------------------------------------------------------------------------

def _represented(request, pk):
    """A person whose representatives this user manages: 404 when they may not see the person, 403 when they may
    see but not manage (a coordinator)."""
    from qamqor.registry import access as registry_access

    person = registry_access.visible_persons(request.user).select_related("owner").filter(pk=pk).first()
    if person is None:
        raise Http404(_("No such person."))
    if not access.can_manage_representatives(request.user, person):
        raise PermissionDenied
    return person


@login_required
def representatives(request, pk):
    """Who may book and cancel for a person, on which consent document; add one, or revoke."""
    person = _represented(request, pk)
    access_record(actor=request.user, subject=person, purpose="representatives", path=request.path)
    form = forms.RepresentativeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = User.objects.filter(email__iexact=data["email"], is_active=True).first()
        if user is None:
            form.add_error("email", _("No active account has this e-mail. Ask the representative to sign up "
                                      "first."))
        elif _apply_service(form, lambda: services.representative_add(
                actor=request.user, person=person, user=user, consent_reference=data["consent_reference"],
                relationship=data["relationship"]), fields={"user": "email"}) is not None:
            messages.success(request, _("%(name)s may now book and cancel services for %(person)s.") % {
                "name": user.full_name or user.email, "person": person.full_name})
            return redirect("social_services:representatives", pk=person.pk)
    return render(request, "social_services/representatives.html", {
        "person": person, "form": form, "representatives": selectors.representatives_of(person)},
        status=400 if form.errors else 200)


@login_required
@require_POST
def representative_revoke(request, pk):
    from .models import Representative

    rep = Representative.objects.select_related("person", "user").filter(pk=pk).first()
    if rep is None:
        raise Http404(_("No such representative."))
    person = _represented(request, rep.person_id)
    try:
        services.representative_revoke(actor=request.user, representative=rep)
    except ServicePermissionDenied:
        raise PermissionDenied from None
    messages.success(request, _("%(name)s no longer represents %(person)s.") % {
        "name": rep.user.full_name or rep.user.email, "person": person.full_name})
    return redirect("social_services:representatives", pk=person.pk)
