from django import forms
from django.utils.translation import gettext_lazy as _

from qamqor.accounts.models import ORGANISATION_ROLES, Role
from qamqor.core.forms import AccessibleFormMixin
from qamqor.core.models import Region
from qamqor.lib.validators import bin_validator

from .models import Organization


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class OrganizationForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=250)
    kind = forms.ChoiceField(label=_("Type"), choices=[("", "—")] + list(Organization.Kind.choices))
    bin = forms.CharField(label=_("BIN"), max_length=20, validators=[bin_validator],
                          help_text=_("12 digits, from the registration certificate."),
                          widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.all(), empty_label="—")
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.EmailField(label=_("E-mail"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    description = forms.CharField(label=_("What the organisation does"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_bin(self):
        return "".join(ch for ch in self.cleaned_data["bin"] if ch.isdigit())


class OrganizationEditForm(OrganizationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["bin"]


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Name or BIN"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.all(), required=False, empty_label=_("All regions"))
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types"))] + list(Organization.Kind.choices))


class RejectForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("The organisation will see this and can correct its registration."))


class MemberForm(AccessibleFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail of the person"), help_text=_("The person must already have a Qamqor account."))
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, r.label) for r in Role if r in ORGANISATION_ROLES])
