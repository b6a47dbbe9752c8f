import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from qamqor.core.forms import AccessibleFormMixin
from qamqor.core.models import Holiday, Region

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]
FIRST_YEAR, LAST_YEAR = 2019, 2031


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EventForm(AccessibleFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200,
                            help_text=_("For example: Caravan of Mercy before Nauryz."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=_("What will happen and who it is for. Do not name the people helped."))
    organizer = forms.ModelChoiceField(label=_("Organiser"), queryset=None,
                                       error_messages={"invalid_choice": _("Choose one of the organisations in the "
                                                                           "list.")})
    partners = forms.ModelMultipleChoiceField(label=_("Partner organisations"), queryset=None, required=False,
                                              help_text=_("Hold Ctrl (or Cmd) to choose several."))
    starts_at = forms.DateTimeField(label=_("Starts"), input_formats=DATETIME_FORMATS, widget=LocalDateTimeInput(),
                                    help_text=_("Date and time in Almaty time, for example 20.03.2027 10:00."))
    ends_at = forms.DateTimeField(label=_("Ends"), input_formats=DATETIME_FORMATS, widget=LocalDateTimeInput())
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.order_by("kato_code"),
                               error_messages={"invalid_choice": _("There is no such region. Choose one of the 20 "
                                                                   "regions in the list.")})
    place = forms.CharField(label=_("Place"), max_length=300, help_text=_("The address or the venue."))
    accessible_venue = forms.BooleanField(label=_("The venue is step-free (wheelchair accessible)"), required=False)
    volunteers_needed = forms.IntegerField(label=_("Volunteers needed"), min_value=0, max_value=10000, initial=0)
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None, required=False,
                                      help_text=_("The collection this event hands out, if any."))
    holiday = forms.ModelChoiceField(label=_("Public holiday"), queryset=None, required=False,
                                     help_text=_("Leave empty to link the holiday within three days of the event, if "
                                                 "there is one."))

    def __init__(self, *args, organizers, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        from qamqor.organizations.models import Organization

        self.fields["organizer"].queryset = organizers
        self.fields["partners"].queryset = Organization.objects.filter(status="verified").order_by("name")
        self.fields["campaign"].queryset = campaigns
        today = timezone.localdate()
        self.fields["holiday"].queryset = Holiday.objects.filter(
            date__gte=today - dt.timedelta(days=370), date__lte=today + dt.timedelta(days=740))
        self.fields["holiday"].label_from_instance = lambda h: f"{h.date:%d.%m.%Y} {h.name}"


class CancelForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Volunteers and visitors will read it."))


class HoursForm(AccessibleFormMixin, forms.Form):
    hours = forms.CharField(label=_("Hours"), max_length=6, help_text=_("From 0 to 24, for example 3.5."))


def _month_choices():
    return [(str(n), name) for n, name in MONTHS.items()]


def _year_choices():
    return [(str(y), str(y)) for y in range(FIRST_YEAR, LAST_YEAR + 1)]


class CalendarFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"), required=False)
    month = forms.TypedChoiceField(label=_("Month"), coerce=int, required=False)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All regions"))] + [
            (r.kato_code, r.name) for r in Region.objects.order_by("kato_code")]
        self.fields["month"].choices = _month_choices()
        self.fields["year"].choices = _year_choices()


class SummaryForm(AccessibleFormMixin, forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    quarter = forms.TypedChoiceField(label=_("Quarter"), coerce=int, required=False, empty_value=None,
                                     choices=[("", _("The whole year"))] + [(str(q), f"Q{q}") for q in range(1, 5)])
    month = forms.TypedChoiceField(label=_("Month"), coerce=int, required=False, empty_value=None)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.order_by("kato_code"), required=False,
                                    empty_label=_("All regions"), to_field_name="kato_code")
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=None, required=False,
                                          empty_label=_("All organisations"))
    group_by = forms.ChoiceField(label=_("Table by"), choices=[("region", _("region")),
                                                               ("organization", _("organisation"))],
                                 initial="region", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from qamqor.organizations.models import Organization

        self.fields["year"].choices = _year_choices()
        self.fields["month"].choices = [("", _("No month: the quarter or the year"))] + _month_choices()
        self.fields["organization"].queryset = Organization.objects.filter(status="verified").order_by("name")
        self.fields["region"].label_from_instance = lambda r: r.name

    def clean(self):
        data = super().clean()
        if data.get("quarter") and data.get("month"):
            self.add_error("month", _("Choose a quarter or a month, not both."))
        data["group_by"] = data.get("group_by") or "region"
        return data
