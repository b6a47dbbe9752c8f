from django import forms
from django.utils.translation import gettext_lazy as _

from qamqor.core.forms import AccessibleFormMixin
from qamqor.core.models import Holiday, Region
from qamqor.organizations.forms import RegionChoiceField
from qamqor.registry.models import Category

from .models import Campaign, Item, Need, Offer

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NameChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class NameMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class RegionMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _items(kinds=None):
    qs = Item.objects.filter(active=True).order_by("help_kind", "code")
    return qs.filter(kind__in=kinds) if kinds else qs


# Quantities are CharFields: the service says what is wrong with "2.5" or "-1" in a whole sentence, and the
# number is never silently rounded by the browser or the form.
def quantity_field(label=_("Quantity")):
    return forms.CharField(label=label, max_length=12,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class NeedForm(AccessibleFormMixin, forms.Form):
    item = NameChoiceField(label=_("What is needed"), queryset=_items(), empty_label="—")
    quantity = quantity_field()
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Need.Urgency.choices, coerce=int,
                                     initial=Need.Urgency.NORMAL)
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False,
                                      empty_label=_("None"))
    evidence = forms.CharField(label=_("Evidence"), max_length=300, required=False,
                               help_text=_("A document, a social worker's visit, a doctor's note."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns if campaigns is not None else Campaign.objects.none()


class InstitutionNeedForm(NeedForm):
    institution_name = forms.CharField(label=_("Institution"), max_length=200)
    institution_kind = forms.ChoiceField(label=_("Kind of institution"), choices=Need.InstitutionKind.choices)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.all(), empty_label="—")
    owner = forms.ModelChoiceField(label=_("Recorded by"), queryset=None, empty_label=None)
    field_order = ["institution_name", "institution_kind", "region", "owner", "item", "quantity", "urgency",
                   "campaign", "evidence", "description"]

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class ApplyForm(AccessibleFormMixin, forms.Form):
    item = NameChoiceField(label=_("What do you need?"), queryset=_items(), empty_label="—")
    quantity = quantity_field(_("How many"))
    urgency = forms.TypedChoiceField(label=_("How urgent is it?"), choices=Need.Urgency.choices, coerce=int,
                                     initial=Need.Urgency.NORMAL)
    description = forms.CharField(label=_("What happened, and why do you need it?"),
                                  widget=forms.Textarea(attrs={"rows": 4}))
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    region = RegionChoiceField(label=_("Your region"), queryset=Region.objects.all(), required=False,
                               empty_label="—")

    def __init__(self, *args, registered=False, **kwargs):
        super().__init__(*args, **kwargs)
        if registered:
            # The registry record already says who and where they are.
            for name in ("name", "region"):
                del self.fields[name]
            self.fields["phone"].help_text = _("Optional: a number to call about this request.")


class CancelForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class LinkPersonForm(AccessibleFormMixin, forms.Form):
    iin = forms.CharField(label=_("IIN of the registry record"), max_length=20,
                          widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class GiveForm(AccessibleFormMixin, forms.Form):
    quantity = quantity_field()
    organization = forms.ModelChoiceField(label=_("Given by"), queryset=None, empty_label=None)

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class HandOverForm(AccessibleFormMixin, forms.Form):
    code = forms.CharField(label=_("The recipient's code"), max_length=12, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                           help_text=_("Six digits the recipient reads from their page or slip."))
    signature = forms.BooleanField(label=_("The recipient has no code and signed the paper list instead"),
                                   required=False)


class CampaignForm(AccessibleFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    organizer = forms.ModelChoiceField(label=_("Organiser"), queryset=None, empty_label=None)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    holiday = forms.ModelChoiceField(label=_("Holiday"), queryset=Holiday.objects.order_by("date"), required=False,
                                     empty_label=_("None"))
    regions = RegionMultipleChoiceField(label=_("Regions"), queryset=Region.objects.all(), required=False,
                                        widget=forms.CheckboxSelectMultiple,
                                        help_text=_("Leave empty for the whole country."))
    categories = NameMultipleChoiceField(label=_("For whom"), queryset=Category.objects.all(), required=False,
                                         widget=forms.CheckboxSelectMultiple,
                                         help_text=_("Leave empty for anyone in need."))
    budget_kzt = forms.CharField(label=_("Budget, ₸"), max_length=20, required=False,
                                 widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    item = NameChoiceField(label=_("What it gives"), queryset=_items(), empty_label="—")
    target_quantity = quantity_field(_("Target quantity"))

    def __init__(self, *args, organizers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizer"].queryset = organizers
        self.fields["holiday"].label_from_instance = lambda h: f"{h.date:%d.%m.%Y} — {h.name}"


class LotForm(AccessibleFormMixin, forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=None, empty_label=None)
    item = NameChoiceField(label=_("Item"), queryset=Item.objects.none(), empty_label=None)
    quantity = quantity_field()
    restricted_to = NameMultipleChoiceField(label=_("Only for these people"), queryset=Category.objects.all(),
                                            required=False, widget=forms.CheckboxSelectMultiple,
                                            help_text=_("Leave empty if anyone in need may receive it."))

    def __init__(self, *args, warehouses=None, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses
        self.fields["warehouse"].label_from_instance = lambda w: f"{w.name} ({w.organization.name}, {w.region.name})"
        self.fields["item"].queryset = Item.objects.filter(pk__in=campaign.items.values("item"))


class AllocateForm(AccessibleFormMixin, forms.Form):
    cross_region = forms.BooleanField(label=_("Lots may serve needs in other regions"), required=False)
    excluded_needs = forms.CharField(label=_("Leave out these needs"), required=False, max_length=2000,
                                     help_text=_("Need numbers, separated by commas."))
    excluded_lots = forms.CharField(label=_("Leave out these lots"), required=False, max_length=2000,
                                    help_text=_("Lot numbers, separated by commas."))
    locks = forms.CharField(label=_("Fixed amounts"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("One per line: need number, lot number, quantity. 0 forbids the pair."))

    def clean_excluded_needs(self):
        return self._numbers("excluded_needs")

    def clean_excluded_lots(self):
        return self._numbers("excluded_lots")

    def _numbers(self, name):
        raw = self.cleaned_data.get(name, "")
        parts = [p for p in raw.replace(";", ",").replace(" ", ",").split(",") if p]
        if any(not p.isdigit() for p in parts):
            raise forms.ValidationError(_("Write numbers separated by commas, such as 12, 15."))
        return [int(p) for p in parts]

    def clean_locks(self):
        locks = []
        for n, line in enumerate(self.cleaned_data.get("locks", "").splitlines(), start=1):
            parts = [p for p in line.replace(";", ",").replace(" ", ",").split(",") if p]
            if not parts:
                continue
            if len(parts) != 3 or any(not p.isdigit() for p in parts):
                raise forms.ValidationError(_("Line %(line)s: write the need number, the lot number and the quantity, "
                                              "such as 12, 3, 2.") % {"line": n})
            locks.append(tuple(int(p) for p in parts))
        return locks


class OfferForm(AccessibleFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What you give"), choices=Offer.Kind.choices, widget=forms.RadioSelect)
    recipient = forms.ModelChoiceField(label=_("Given to"), queryset=None, empty_label="—")
    donor_organization = forms.ModelChoiceField(label=_("In the name of"), queryset=None, required=False,
                                                empty_label=_("Myself"))
    campaign = forms.ModelChoiceField(label=_("For the campaign"), queryset=None, required=False,
                                      empty_label=_("No campaign: where it is needed most"))
    amount_kzt = forms.CharField(label=_("Amount, ₸"), max_length=20, required=False,
                                 widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    item = NameChoiceField(label=_("Goods"), queryset=_items(["goods", "kit"]), required=False, empty_label="—")
    quantity = forms.CharField(label=_("Quantity"), max_length=12, required=False,
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    hours = forms.CharField(label=_("Hours of volunteer time"), max_length=6, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    available_from = forms.DateField(label=_("Available from"), required=False, widget=DATE)
    available_to = forms.DateField(label=_("Available until"), required=False, widget=DATE)
    restricted_regions = RegionMultipleChoiceField(label=_("Only in these regions"), queryset=Region.objects.all(),
                                                   required=False, widget=forms.CheckboxSelectMultiple)
    restricted_categories = NameMultipleChoiceField(label=_("Only for these people"), queryset=Category.objects.all(),
                                                    required=False, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, recipients=None, donor_organizations=None, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = recipients
        self.fields["donor_organization"].queryset = donor_organizations
        if not donor_organizations.exists():
            del self.fields["donor_organization"]
        self.fields["campaign"].queryset = campaigns


class ReceiveForm(AccessibleFormMixin, forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse the goods arrived at"), queryset=None, required=False,
                                       empty_label="—")

    def __init__(self, *args, warehouses=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class WarehouseForm(AccessibleFormMixin, forms.Form):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=160)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.all(), empty_label="—")
    address = forms.CharField(label=_("Address"), max_length=300, required=False)

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
