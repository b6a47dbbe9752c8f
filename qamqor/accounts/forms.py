from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from qamqor.core.forms import AccessibleFormMixin

from .models import SELF_SERVICE_ROLES, Role


class LoginForm(AccessibleFormMixin, AuthenticationForm):
    username = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    error_messages = {
        "invalid_login": _("The e-mail or password is not right. Check both and try again; after several failed "
                           "tries, log-in is paused for a while."),
        "inactive": _("This account is switched off. Ask the platform administrators for help."),
    }


class SignUpForm(AccessibleFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("At least 10 characters; not a common password and not only digits."))
    role = forms.ChoiceField(label=_("I join as"), choices=[(r.value, r.label) for r in SELF_SERVICE_ROLES],
                             widget=forms.RadioSelect,
                             help_text=_("Staff of organisations are added by their organisation's administrator."))


class ProfileForm(AccessibleFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False, widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("As my browser says"))] + list(settings.LANGUAGES),
                                 required=False)


class CodeForm(AccessibleFormMixin, forms.Form):
    code = forms.CharField(label=_("6-digit code"), max_length=12,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
                           help_text=_("Open your authenticator app and type the code it shows for Qamqor."))


class TokenForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("For example: reporting script"))
    expires_at = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Leave empty for a token that lasts until you revoke it."))


class AccessiblePasswordResetForm(AccessibleFormMixin, PasswordResetForm):
    pass


class AccessibleSetPasswordForm(AccessibleFormMixin, SetPasswordForm):
    pass


class AccessiblePasswordChangeForm(AccessibleFormMixin, PasswordChangeForm):
    pass


ROLE_CHOICES = Role.choices


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or e-mail"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("All roles"))] + list(Role.choices))


class RoleGrantForm(AccessibleFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—")] + list(Role.choices))
    organization_bin = forms.CharField(label=_("Organisation's BIN"), required=False, max_length=20,
                                       help_text=_("For organisation roles: administrator, staff, dispatcher, driver."))
    region = forms.ModelChoiceField(label=_("Region"), required=False, queryset=None, empty_label="—",
                                    help_text=_("For coordinators."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from qamqor.core.models import Region

        self.fields["region"].queryset = Region.objects.all()
        self.fields["region"].label_from_instance = lambda r: r.name
