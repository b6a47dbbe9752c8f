import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from qamqor.core.forms import AccessibleFormMixin

from .models import Transaction

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_unit_display()})"


class KeyedForm(AccessibleFormMixin, forms.Form):
    """A form that records something once: a new key each time the form is shown, the same key when a double click
    or a reload sends it again (the service then answers with what was already recorded)."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)


class MoneyField(forms.CharField):
    """Tenge as people type them: "150 000,50" or "150000.50". The services check the value (more than zero, at most
    two decimals) and name this field when they refuse it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("help_text", _("In tenge, with tiyn after a comma or a point if there are any: 150000 or "
                                         "1500,50."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\u00a0", "").replace(" ", "").replace(",", ".")


class DonationForm(KeyedForm):
    amount = MoneyField(label=_("Amount, ₸"))
    campaign = forms.ModelChoiceField(label=_("Restricted to the campaign"), queryset=None, required=False,
                                      empty_label=_("Not restricted"),
                                      help_text=_("Money given for a campaign is kept for it and spent only on it."))
    donor_name = forms.CharField(label=_("Donor"), max_length=200, required=False,
                                 help_text=_("A person's or an organisation's name, as it should appear on the "
                                             "receipt. Leave empty for an anonymous gift."))
    received_on = forms.DateField(label=_("Received on"), widget=DATE)

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns


class SpendForm(KeyedForm):
    purpose = forms.ChoiceField(label=_("Spent on"), widget=forms.RadioSelect,
                                choices=[(Transaction.Kind.PURCHASE, _("a purchase (goods, services)")),
                                         (Transaction.Kind.CASH_ASSISTANCE, _("cash assistance paid to people"))])
    amount = MoneyField(label=_("Amount, ₸"))
    campaign = forms.ModelChoiceField(label=_("From the money of the campaign"), queryset=None, required=False,
                                      empty_label=_("Unrestricted money"),
                                      help_text=_("Money restricted to a campaign is spent only on that campaign."))
    description = forms.CharField(label=_("What for"), max_length=300,
                                  help_text=_("For example: 200 food packages from a supplier, invoice No. 15."))

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns


class ReverseForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why is it reversed?"), max_length=300,
                             help_text=_("For example: recorded twice, wrong amount, the bank returned the payment."))


class StockReceiveForm(KeyedForm):
    item = ItemChoiceField(label=_("Item"), queryset=None, empty_label="—")
    quantity = forms.CharField(label=_("Quantity"), max_length=12, help_text=_("Whole units."),
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def __init__(self, *args, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


class WriteOffForm(StockReceiveForm):
    reason = forms.CharField(label=_("Reason"), max_length=300,
                             help_text=_("Spoiled, expired, lost or damaged; with the act's number if there is one."))
