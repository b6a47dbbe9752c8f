"""Forms of the InvaTaxi pages: a ride request (by the passenger or taken by phone), the dispatcher's manual
assignment, the fleet (depots, vehicles, shifts with a break). Numbers and coordinates are text fields checked here,
so that "43,25" or "-1" gets a whole sentence in the user's language and nothing is rounded by the browser."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from qamqor.core.forms import AccessibleFormMixin

from .models import Vehicle

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]
SIX_PLACES = Decimal("0.000001")


def _number_input(**attrs):
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", **attrs})


def coordinate(raw, *, low, high, message):
    """A latitude or longitude typed with a point or a comma, as a Decimal of 6 places; ValidationError otherwise."""
    text = (raw or "").strip().replace(",", ".").replace("\u2212", "-")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise forms.ValidationError(message) from None
    if not value.is_finite() or not low <= value <= high:
        raise forms.ValidationError(message)
    return value.quantize(SIX_PLACES)


LATITUDE_MESSAGE = _("Enter the latitude in degrees, from -90 to 90, such as 43.238949.")
LONGITUDE_MESSAGE = _("Enter the longitude in degrees, from -180 to 180, such as 76.889709.")


def latitude_field(label):
    return forms.CharField(label=label, max_length=20, widget=_number_input(),
                           help_text=_("Degrees north, such as 43.238949."))


def longitude_field(label):
    return forms.CharField(label=label, max_length=20, widget=_number_input(),
                           help_text=_("Degrees east, such as 76.889709."))


class _Coordinates:
    """clean_<prefix>_latitude / _longitude for the coordinate pairs a form declares in `points`."""

    points: tuple[str, ...] = ()

    def _clean_coordinates(self):
        for prefix in self.points:
            for axis, (low, high, message) in (("latitude", (-90, 90, LATITUDE_MESSAGE)),
                                               ("longitude", (-180, 180, LONGITUDE_MESSAGE))):
                name = f"{prefix}_{axis}" if prefix else axis
                if name in self.cleaned_data:
                    try:
                        self.cleaned_data[name] = coordinate(self.cleaned_data[name], low=low, high=high,
                                                             message=message)
                    except forms.ValidationError as exc:
                        self.add_error(name, exc)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


class NameChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class RideForm(_Coordinates, AccessibleFormMixin, forms.Form):
    """One ride, with an optional return trip the same day and an optional weekly repetition."""

    points = ("pickup", "dropoff")

    person = PersonChoiceField(label=_("Passenger"), queryset=None, empty_label=None)
    provider = NameChoiceField(label=_("InvaTaxi service"), queryset=None, empty_label=None)
    date = forms.DateField(label=_("Day of the ride"), widget=DATE)
    time_kind = forms.ChoiceField(
        label=_("The time given is"), widget=forms.RadioSelect, initial="pickup",
        choices=[("pickup", _("when to be picked up")), ("arrive", _("when to arrive (an appointment)"))])
    time = forms.TimeField(label=pgettext_lazy("ride", "Time"), widget=TIME)
    pickup_place = forms.ChoiceField(label=_("Pick-up from a place you rode from or to before"), required=False)
    pickup_address = forms.CharField(label=_("Pick-up address"), max_length=300, required=False,
                                     help_text=_("Street, house, entrance; such as Abay avenue 10, entrance 2."))
    pickup_latitude = latitude_field(_("Pick-up point: latitude"))
    pickup_longitude = longitude_field(_("Pick-up point: longitude"))
    dropoff_place = forms.ChoiceField(label=_("Drop-off at a place you rode from or to before"), required=False)
    dropoff_address = forms.CharField(label=_("Drop-off address"), max_length=300, required=False)
    dropoff_latitude = latitude_field(_("Drop-off point: latitude"))
    dropoff_longitude = longitude_field(_("Drop-off point: longitude"))
    wheelchair = forms.BooleanField(label=_("The passenger travels in a wheelchair"), required=False)
    escorts = forms.TypedChoiceField(label=_("Escorts travelling along"), coerce=int, initial=0,
                                     choices=[(n, str(n)) for n in range(4)])
    guide_dog = forms.BooleanField(label=_("With a guide dog"), required=False)
    needs_note = forms.CharField(label=_("What the driver should know"), max_length=300, required=False,
                                 help_text=_("Such as: help down the stairs from the 3rd floor."))
    return_time = forms.TimeField(label=_("Return trip: pick-up time"), required=False, widget=TIME,
                                  help_text=_("Leave empty for a one-way ride. The return trip goes from the "
                                              "drop-off address back to the pick-up address the same day."))
    repeat_weekdays = forms.TypedMultipleChoiceField(
        label=_("Repeat every week on"), choices=WEEKDAYS, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("For regular trips, such as dialysis. Leave empty for once."))
    repeat_until = forms.DateField(label=_("Repeat until"), required=False, widget=DATE)

    def __init__(self, *args, persons=None, providers=None, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Known places: chosen from a list; the address and point fields are then left empty. Without any, the
        # question is not asked.
        self.places = list(places)
        for prefix in self.points:
            for axis in ("latitude", "longitude"):
                self.fields[f"{prefix}_{axis}"].required = False
        if self.places:
            choices = [("", _("Another address (give it below)"))] + [
                (str(i), place["address"]) for i, place in enumerate(self.places)]
            for prefix in self.points:
                self.fields[f"{prefix}_place"].choices = choices
        else:
            for prefix in self.points:
                del self.fields[f"{prefix}_place"]
        from qamqor.organizations.models import Organization
        from qamqor.registry.models import Person

        persons = list(persons or ())
        providers = list(providers or ())
        self.fields["person"].queryset = Person.objects.filter(pk__in=[p.pk for p in persons]).order_by("surname",
                                                                                                       "pk")
        self.fields["provider"].queryset = Organization.objects.filter(pk__in=[p.pk for p in providers]).order_by(
            "name")
        # Nothing to choose: the question is not asked.
        for name, options in (("person", persons), ("provider", providers)):
            if len(options) == 1:
                self.fields[name].widget = forms.HiddenInput()
                self.fields[name].initial = options[0].pk
        if not self.is_bound and "date" not in self.initial:
            self.initial["date"] = timezone.localdate() + dt.timedelta(days=1)

    def _clean_places(self, data):
        """A chosen place gives the address and point; otherwise all three are needed."""
        missing = {"pickup": _("Give the pick-up address, or choose a place from the list."),
                   "dropoff": _("Give the drop-off address, or choose a place from the list.")}
        for prefix in self.points:
            choice = data.get(f"{prefix}_place") or ""
            if choice.isdigit() and int(choice) < len(self.places):
                place = self.places[int(choice)]
                for name in ("address", "latitude", "longitude"):
                    self.errors.pop(f"{prefix}_{name}", None)
                    data[f"{prefix}_{name}"] = place[name] if name == "address" else str(place[name])
                continue
            if not (data.get(f"{prefix}_address") or "").strip() and f"{prefix}_address" not in self.errors:
                self.add_error(f"{prefix}_address", missing[prefix])
            for axis in ("latitude", "longitude"):
                name = f"{prefix}_{axis}"
                if not (data.get(name) or "").strip() and name not in self.errors:
                    self.add_error(name, LATITUDE_MESSAGE if axis == "latitude" else LONGITUDE_MESSAGE)
                    data.pop(name, None)

    def clean(self):
        data = super().clean()
        self._clean_places(data)
        self._clean_coordinates()
        weekdays, until = data.get("repeat_weekdays"), data.get("repeat_until")
        if weekdays and not until:
            self.add_error("repeat_until", _("Give the last day of the repetition, or tick no weekday."))
        if until and not weekdays and "repeat_weekdays" not in self.errors:
            self.add_error("repeat_weekdays", _("Tick the weekdays to repeat on, or leave the last day empty."))
        if until and data.get("date") and until < data["date"]:
            self.add_error("repeat_until", _("The repetition must end on or after the day of the first ride."))
        back, time = data.get("return_time"), data.get("time")
        if back and time and data.get("time_kind") == "pickup" and back <= time:
            self.add_error("return_time", _("The return trip must be later than the pick-up time."))
        return data

    def moments(self):
        """(pickup_at, arrive_by, return_pickup_at) as aware moments."""
        data = self.cleaned_data
        moment = timezone.make_aware(dt.datetime.combine(data["date"], data["time"]))
        back = data.get("return_time")
        back = timezone.make_aware(dt.datetime.combine(data["date"], back)) if back else None
        if data["time_kind"] == "arrive":
            return None, moment, back
        return moment, None, back

    def request_arguments(self) -> dict:
        """The keyword arguments of services.ride_request_create (without actor and source)."""
        data = self.cleaned_data
        pickup_at, arrive_by, back = self.moments()
        return {"person": data["person"], "provider": data["provider"],
                "pickup_address": data["pickup_address"], "pickup_latitude": data["pickup_latitude"],
                "pickup_longitude": data["pickup_longitude"], "dropoff_address": data["dropoff_address"],
                "dropoff_latitude": data["dropoff_latitude"], "dropoff_longitude": data["dropoff_longitude"],
                "pickup_at": pickup_at, "arrive_by": arrive_by, "wheelchair": data["wheelchair"],
                "escorts": data["escorts"], "guide_dog": data["guide_dog"], "needs_note": data["needs_note"],
                "return_pickup_at": back, "repeat_weekdays": tuple(data.get("repeat_weekdays") or ()),
                "repeat_until": data.get("repeat_until")}


class PassengerSearchForm(forms.Form):
    q = forms.CharField(label=_("Passenger's IIN or name"), max_length=200, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
                        help_text=_("The 12 digits of the IIN find anyone registered; a name finds the persons "
                                    "your organisation registered."))


class CancelForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False)


class AssignForm(AccessibleFormMixin, forms.Form):
    """A choice among the day's shifts, given as a list: the board renders one per ride left over, all from the
    same list (a queryset would be read again for every form)."""

    shift = forms.TypedChoiceField(label=_("Vehicle and shift"), coerce=int, empty_value=None)

    def __init__(self, *args, shifts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.shifts = {s.pk: s for s in shifts}
        self.fields["shift"].choices = [("", "—")] + [(s.pk, shift_label(s)) for s in shifts]

    def clean_shift(self):
        return self.shifts[self.cleaned_data["shift"]]


def shift_label(shift):
    local_start, local_end = timezone.localtime(shift.starts_at), timezone.localtime(shift.ends_at)
    return (f"{shift.vehicle.plate} {local_start:%H:%M}–{local_end:%H:%M}, "
            f"{shift.driver.user.full_name or shift.driver.user.email}")


class PlanForm(AccessibleFormMixin, forms.Form):
    time_limit = forms.TypedChoiceField(label=_("Time to search for a better plan"), coerce=int, initial=30,
                                        choices=[(10, _("10 seconds")), (30, _("30 seconds")), (60, _("1 minute")),
                                                 (120, _("2 minutes"))])


class DepotForm(_Coordinates, AccessibleFormMixin, forms.Form):
    points = ("",)

    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), max_length=300)
    latitude = latitude_field(_("Latitude"))
    longitude = longitude_field(_("Longitude"))

    def clean(self):
        data = super().clean()
        self._clean_coordinates()
        return data


class VehicleForm(AccessibleFormMixin, forms.Form):
    plate = forms.CharField(label=_("Plate number"), max_length=20, help_text=_("Such as 123 ABC 02."))
    model_name = forms.CharField(label=_("Make and model"), max_length=100, required=False)
    seats = forms.TypedChoiceField(label=_("Passenger seats"), coerce=int, initial=4,
                                   choices=[(n, str(n)) for n in range(1, 21)])
    wheelchair_places = forms.TypedChoiceField(label=_("Wheelchair places"), coerce=int, initial=0,
                                               choices=[(n, str(n)) for n in range(7)])
    access = forms.ChoiceField(label=_("Ramp or lift"), choices=Vehicle.Access.choices, widget=forms.RadioSelect,
                               initial=Vehicle.Access.NONE)
    depot = NameChoiceField(label=_("Depot"), queryset=None, empty_label="—")

    def __init__(self, *args, depots=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Depot

        self.fields["depot"].queryset = Depot.objects.filter(pk__in=[d.pk for d in depots]).order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("wheelchair_places") and data.get("access") == Vehicle.Access.NONE:
            self.add_error("access", _("A vehicle with wheelchair places needs a ramp or a lift."))
        return data


class ShiftForm(AccessibleFormMixin, forms.Form):
    vehicle = forms.ModelChoiceField(label=_("Vehicle"), queryset=None, empty_label="—")
    driver = forms.ModelChoiceField(label=_("Driver"), queryset=None, empty_label="—")
    date = forms.DateField(label=_("Day"), widget=DATE)
    start = forms.TimeField(label=_("Starts at"), widget=TIME)
    end = forms.TimeField(label=_("Ends at"), widget=TIME, help_text=_("An end before the start means the shift "
                                                                          "goes on past midnight."))
    break_start = forms.TimeField(label=_("Break starts at"), required=False, widget=TIME)
    break_minutes = forms.CharField(label=_("Break, minutes"), max_length=4, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                                    help_text=_("Leave both break fields empty for a shift without a break."))

    def __init__(self, *args, vehicles=(), drivers=(), **kwargs):
        super().__init__(*args, **kwargs)
        from qamqor.social_services.models import ProviderStaff

        from .models import Vehicle as VehicleModel

        self.fields["vehicle"].queryset = VehicleModel.objects.filter(pk__in=[v.pk for v in vehicles]).order_by(
            "plate")
        self.fields["vehicle"].label_from_instance = lambda v: (
            f"{v.plate}" + (f" ({v.model_name})" if v.model_name else ""))
        self.fields["driver"].queryset = ProviderStaff.objects.filter(pk__in=[d.pk for d in drivers]).select_related(
            "user").order_by("user__full_name", "pk")
        self.fields["driver"].label_from_instance = lambda s: s.user.full_name or s.user.email

    def clean_break_minutes(self):
        raw = (self.cleaned_data.get("break_minutes") or "").strip()
        if not raw:
            return 0
        if not raw.isdigit() or not 0 <= int(raw) <= 240:
            raise forms.ValidationError(_("Enter the break in whole minutes, from 0 to 240, such as 30."))
        return int(raw)

    def clean(self):
        data = super().clean()
        if data.get("break_start") and not data.get("break_minutes") and "break_minutes" not in self.errors:
            self.add_error("break_minutes", _("Give the length of the break, or leave its start empty."))
        if data.get("break_minutes") and not data.get("break_start") and "break_start" not in self.errors:
            self.add_error("break_start", _("Give the time the break starts, or leave its length empty."))
        return data

    def moments(self):
        """(starts_at, ends_at, break_starts_at) as aware moments; a shift past midnight ends the next day."""
        data = self.cleaned_data

        def at(day, time):
            return timezone.make_aware(dt.datetime.combine(day, time))

        starts_at = at(data["date"], data["start"])
        ends_at = at(data["date"], data["end"])
        if ends_at <= starts_at:
            ends_at = at(data["date"] + dt.timedelta(days=1), data["end"])
        break_at = None
        if data.get("break_start"):
            break_at = at(data["date"], data["break_start"])
            if break_at < starts_at:
                break_at = at(data["date"] + dt.timedelta(days=1), data["break_start"])
        return starts_at, ends_at, break_at
