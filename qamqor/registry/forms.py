from django import forms
from django.utils.translation import gettext_lazy as _

from qamqor.core.forms import AccessibleFormMixin
from qamqor.core.models import DisabilityCategory, Region
from qamqor.organizations.forms import RegionChoiceField

from .models import Category, CategoryAssignment, Consent, HouseholdMember, Person


class NameChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class SearchForm(forms.Form):
    q = forms.CharField(label=_("IIN or name"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search"}),
                        help_text=_("Any script or spelling: Кусаинова Ляззат, Kussainova Lyazzat, Kusainova L."))
    birth_year = forms.IntegerField(label=_("Birth year"), required=False, min_value=1900, max_value=2100)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.all(), required=False, empty_label=_("All regions"))
    category = NameChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False,
                               empty_label=_("All categories"))


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonForm(AccessibleFormMixin, forms.ModelForm):
    owner = forms.ModelChoiceField(label=_("Registered by"), queryset=None, empty_label=None)
    disability = NameChoiceField(label=_("Disability"), queryset=DisabilityCategory.objects.all(), required=False,
                                 empty_label=_("None"))
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.all(), empty_label="—")
    confirmed_new = forms.BooleanField(label=_("I have checked: this is a different person, register them"),
                                       required=False)

    class Meta:
        model = Person
        fields = ["iin", "surname", "given_name", "patronymic", "birth_date", "sex", "citizenship", "phone", "email",
                  "region", "district", "locality", "address", "disability", "disability_cause", "disability_set_on",
                  "disability_review_on", "disability_indefinite", "uses_wheelchair", "needs_escort", "has_guide_dog",
                  "deaf_sign_language", "blind_low_vision"]
        widgets = {"birth_date": DATE, "disability_set_on": DATE, "disability_review_on": DATE,
                   "iin": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})}

    def __init__(self, *args, owners=None, show_confirm=False, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners
        if not show_confirm:
            del self.fields["confirmed_new"]
        self.fields["iin"].max_length = 20
        self.fields["iin"].validators = []

    def _post_clean(self):
        # The model's own validation would duplicate (and pre-empt) the service's checks and messages.
        pass


class ConsentForm(AccessibleFormMixin, forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices, widget=forms.RadioSelect)
    given_by = forms.ChoiceField(label=_("Given by"), choices=Consent.GivenBy.choices, widget=forms.RadioSelect)
    representative_name = forms.CharField(label=_("Representative's name"), required=False, max_length=200)
    given_on = forms.DateField(label=_("Given on"), widget=DATE)
    source = forms.ChoiceField(label=_("Source"), choices=Consent.Source.choices)
    document_reference = forms.CharField(label=_("Document"), required=False, max_length=200)


class CategoryForm(AccessibleFormMixin, forms.Form):
    category = NameChoiceField(label=_("Category"), queryset=Category.objects.filter(derived=False))
    evidence = forms.ChoiceField(label=_("Evidence"), choices=CategoryAssignment.Evidence.choices)
    evidence_reference = forms.CharField(label=_("Document or source"), max_length=200)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_to = forms.DateField(label=_("Valid until"), required=False, widget=DATE)

    def __init__(self, *args, applies_to=None, **kwargs):
        super().__init__(*args, **kwargs)
        if applies_to:
            self.fields["category"].queryset = Category.objects.filter(derived=False, applies_to=applies_to)


class MemberForm(AccessibleFormMixin, forms.Form):
    iin = forms.CharField(label=_("IIN of the member"), max_length=20,
                          help_text=_("The member must be registered already."))
    relationship = forms.ChoiceField(label=_("Relationship"), choices=[
        c for c in HouseholdMember.Relationship.choices if c[0] != "head"])
    in_full_time_study = forms.BooleanField(label=_("In full-time study"), required=False)
    monthly_income = forms.DecimalField(label=_("Monthly income, ₸"), min_value=0, max_digits=12, decimal_places=2,
                                        initial=0)


class CoordinationForm(AccessibleFormMixin, forms.Form):
    iin = forms.CharField(label=_("IIN"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
