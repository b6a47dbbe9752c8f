import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from qamqor.core.forms import AccessibleFormMixin
from qamqor.core.models import Region
from qamqor.organizations.forms import RegionChoiceField

from .models import Purpose, ServiceType, StaffRole

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]
DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class NameChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


# Numbers are CharFields: the service says what is wrong with "-1" or "1,5" in a whole sentence, and the number is
# never silently rounded by the browser or the form.
def number_field(label, *, required=True, help_text=""):
    return forms.CharField(label=label, max_length=16, required=required, help_text=help_text,
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))


def minutes_of(form, name="minutes"):
    raw = (form.cleaned_data.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= 24 * 60:
        raise forms.ValidationError(_("Enter the duration in minutes, from 1 to 1440, such as 90."))
    return int(raw)


def bookable_types():
    """Services booked on the services pages: not those with no staff, nor rides (a driver's service), which are
    booked as rides in the transport app (a ride needs its places and goes into the day's plan)."""
    return ServiceType.objects.filter(active=True).exclude(staff_role="").exclude(staff_role=StaffRole.DRIVER) \
        .order_by("code")


class _ForPerson(AccessibleFormMixin, forms.Form):
    person = PersonChoiceField(label=_("For whom"), queryset=None, empty_label=None)
    service_type = NameChoiceField(label=_("Service"), queryset=ServiceType.objects.none(), empty_label="—")

    def __init__(self, *args, persons=None, **kwargs):
        super().__init__(*args, **kwargs)
        from qamqor.registry.models import Person

        persons = list(persons or ())
        self.fields["person"].queryset = Person.objects.filter(pk__in=[p.pk for p in persons]).order_by("surname", "pk")
        self.fields["service_type"].queryset = bookable_types()
        if len(persons) == 1:
            # Only oneself: nothing to choose, so the question is not asked.
            self.fields["person"].widget = forms.HiddenInput()
            self.fields["person"].initial = persons[0].pk


class BookForm(_ForPerson):
    date = forms.DateField(label=_("Date"), widget=DATE)
    start = forms.TimeField(label=_("Start time"), widget=TIME)
    minutes = forms.CharField(label=_("Duration, minutes"), max_length=12, required=False,
                              widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                              help_text=_("Leave empty for the service's usual duration, or give the end time."))
    end = forms.TimeField(label=_("End time"), required=False, widget=TIME)
    place = forms.CharField(label=_("Address"), max_length=300, required=False,
                            help_text=_("Where the staff member should come, such as the court's address."))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices, initial=Purpose.OTHER)
    note = forms.CharField(label=_("Note for the provider"), max_length=300, required=False)

    def clean_minutes(self):
        return minutes_of(self)

    def times(self):
        """The start and end (None: the service's usual duration) as aware moments."""
        from . import selectors

        data = self.cleaned_data
        starts_at = selectors.at(data["date"], data["start"])
        if data.get("minutes"):
            return starts_at, starts_at + dt.timedelta(minutes=data["minutes"])
        if data.get("end"):
            return starts_at, selectors.at(data["date"], data["end"])
        return starts_at, None


class SeriesForm(_ForPerson):
    weekdays = forms.TypedMultipleChoiceField(label=_("Days of the week"), choices=WEEKDAYS, coerce=int,
                                              widget=forms.CheckboxSelectMultiple)
    start_time = forms.TimeField(label=_("Start time"), widget=TIME)
    minutes = forms.CharField(label=_("Duration, minutes"), max_length=12,
                              widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    first_date = forms.DateField(label=_("First day"), widget=DATE)
    until = forms.DateField(label=_("Until"), widget=DATE)
    place = forms.CharField(label=_("Address"), max_length=300, required=False)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices, initial=Purpose.HOME)
    note = forms.CharField(label=_("Note for the provider"), max_length=300, required=False)

    def clean_minutes(self):
        minutes = minutes_of(self)
        if minutes is None:
            raise forms.ValidationError(_("Enter the duration in minutes, from 1 to 1440, such as 90."))
        return minutes


class CancelForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False)


class AssignForm(AccessibleFormMixin, forms.Form):
    staff = forms.ModelChoiceField(label=_("Staff member"), queryset=None, empty_label="—")

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import ProviderStaff

        if isinstance(staff, list):
            staff = ProviderStaff.objects.filter(pk__in=[s.pk for s in staff]).select_related("user")
        self.fields["staff"].queryset = staff
        self.fields["staff"].label_from_instance = lambda s: f"{s.user.full_name or s.user.email} " \
                                                             f"({s.get_role_display()})"


class DeliveryForm(AccessibleFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    start = forms.TimeField(label=_("Started at"), widget=TIME)
    end = forms.TimeField(label=_("Ended at"), widget=TIME)
    units = number_field(_("Units"), required=False,
                         help_text=_("Leave empty to count them from the times (hours, or one ride or visit)."))
    code = forms.CharField(label=_("The person's code"), max_length=12, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                           help_text=_("Six digits the person reads from their booking."))
    signature = forms.BooleanField(label=_("The person has no code and signed the paper record instead"),
                                   required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def times(self):
        from . import selectors

        data = self.cleaned_data
        starts_at = selectors.at(data["date"], data["start"])
        ends_at = selectors.at(data["date"], data["end"])
        if ends_at <= starts_at:  # past midnight
            ends_at += dt.timedelta(days=1)
        return starts_at, ends_at


class StaffForm(AccessibleFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail of the staff member's account"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=StaffRole.choices, widget=forms.RadioSelect)


class HoursForm(AccessibleFormMixin, forms.Form):
    """One working interval a day; both times empty for a day off."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, (_number, name) in zip(DAY_KEYS, WEEKDAYS):
            self.fields[f"{key}_starts"] = forms.TimeField(
                label=_("%(day)s: from") % {"day": name}, required=False, widget=TIME)
            self.fields[f"{key}_ends"] = forms.TimeField(
                label=_("%(day)s: until") % {"day": name}, required=False, widget=TIME)

    def clean(self):
        data = super().clean()
        for key in DAY_KEYS:
            if bool(data.get(f"{key}_starts")) != bool(data.get(f"{key}_ends")):
                self.add_error(f"{key}_ends", _("Give both times of the day, or neither for a day off."))
        return data

    def hours(self):
        data = self.cleaned_data
        return [(n, data[f"{key}_starts"], data[f"{key}_ends"]) for n, key in enumerate(DAY_KEYS)
                if data.get(f"{key}_starts") and data.get(f"{key}_ends")]

    @staticmethod
    def initial_from(staff):
        initial = {}
        for h in staff.hours.all():
            key = DAY_KEYS[h.weekday]
            if f"{key}_starts" not in initial:
                initial[f"{key}_starts"], initial[f"{key}_ends"] = h.starts, h.ends
        return initial


class AmendForm(AccessibleFormMixin, forms.Form):
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    volume = number_field(_("New volume in units"), required=False)
    unit_price = number_field(_("New unit price, ₸"), required=False)
    ends_on = forms.DateField(label=_("New end date"), required=False, widget=DATE)
    budget = number_field(_("New budget, ₸"), required=False,
                          help_text=_("Leave empty to count it from the volume and the price."))


def parse_month(raw):
    raw = (raw or "").strip()
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return None


class MonthForm(AccessibleFormMixin, forms.Form):
    month = forms.CharField(label=_("Month"), max_length=7,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
                            help_text=_("Year and month, such as 2026-11."))

    def clean_month(self):
        month = parse_month(self.cleaned_data["month"])
        if month is None:
            raise forms.ValidationError(_("Enter the month as year and month, such as 2026-11."))
        return month


class TotalsForm(AccessibleFormMixin, forms.Form):
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.all(), required=False,
                               empty_label=_("All regions"))
    service_type = NameChoiceField(label=_("Service"), queryset=ServiceType.objects.order_by("code"),
                                   required=False, empty_label=_("All services"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The period must end on or after the day it starts."))
        return data


class ChangeForm(AccessibleFormMixin, forms.Form):
    """Another time or place for a booking; its ids are prefixed, since the booking page holds other forms."""

    date = forms.DateField(label=_("New date"), widget=DATE)
    start = forms.TimeField(label=_("New start time"), widget=TIME)
    minutes = forms.CharField(label=_("Duration, minutes"), max_length=12, required=False,
                              widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                              help_text=_("Leave empty to keep the booking's duration."))
    place = forms.CharField(label=_("Address"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_change_%s")
        super().__init__(*args, **kwargs)

    def clean_minutes(self):
        return minutes_of(self)

    def times(self):
        """The new start and end (None: the booking's duration) as aware moments."""
        from . import selectors

        data = self.cleaned_data
        starts_at = selectors.at(data["date"], data["start"])
        return starts_at, (starts_at + dt.timedelta(minutes=data["minutes"]) if data.get("minutes") else None)

    @staticmethod
    def initial_from(booking):
        from . import selectors

        start = selectors.local(booking.starts_at)
        return {"date": start.date(), "start": start.time(), "place": booking.place}


class NoShowForm(AccessibleFormMixin, forms.Form):
    confirm = forms.BooleanField(label=_("Yes, the person did not come and did not cancel"),
                                 error_messages={"required": _("Tick the box to confirm that the person did not "
                                                               "come.")})


class ContractForm(AccessibleFormMixin, forms.Form):
    customer = NameChoiceField(label=_("Customer (state body)"), queryset=None, empty_label="—")
    provider = NameChoiceField(label=_("Provider"), queryset=None, empty_label="—",
                               help_text=_("A verified organisation that delivers the service."))
    service_type = NameChoiceField(label=_("Service"), queryset=None, empty_label="—")
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.all(), empty_label="—")
    number = forms.CharField(label=_("Contract number"), max_length=60)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    volume = number_field(_("Volume in units"), help_text=_("Rides, hours, visits, days or courses, such as 1200."))
    unit_price = number_field(_("Unit price, ₸"), help_text=_("Such as 4500 or 4500.50."))
    budget = number_field(_("Budget, ₸"), required=False,
                          help_text=_("Leave empty to count it from the volume and the price."))
    allows_overrun = forms.BooleanField(label=_("Bookings beyond the volume are allowed"), required=False)

    def __init__(self, *args, customers=None, **kwargs):
        super().__init__(*args, **kwargs)
        from qamqor.organizations.models import Organization

        self.fields["customer"].queryset = customers.order_by("name")
        self.fields["provider"].queryset = (Organization.objects.filter(status="verified")
                                            .exclude(kind=Organization.Kind.STATE_BODY).order_by("name"))
        self.fields["service_type"].queryset = ServiceType.objects.order_by("code")

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The contract must end on or after the day it starts."))
        return data


class RepresentativeForm(AccessibleFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail of the representative's account"), max_length=254,
                             help_text=_("The representative signs up in Qamqor first."))
    relationship = forms.CharField(label=_("Relationship"), max_length=100, required=False,
                                   help_text=_("Such as mother, guardian or trusted person."))
    consent_reference = forms.CharField(label=_("Consent document"), max_length=200,
                                        help_text=_("Such as “power of attorney No. 12 of 01.03.2026”."))
