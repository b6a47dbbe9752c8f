from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AccessibilityPreference as Pref


class AccessibleFormMixin:
    """Forms render with the error-summary pattern (templates/includes/form_errors.html)."""

    template_name = template_name_div = "includes/form_div.html"

    def full_clean(self):
        super().full_clean()
        # Tie each error message to its input, so a screen reader reads it with the field.
        for name, errors in (self._errors or {}).items():
            if name in self.fields and errors:
                bound = self[name]
                ids = [f"{bound.auto_id}_error"] + ([f"{bound.auto_id}_helptext"] if self.fields[name].help_text else [])
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)

    def add_service_error(self, exc):
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, exc.message)


class AccessibilityForm(AccessibleFormMixin, forms.Form):
    font_size = forms.TypedChoiceField(label=_("Text size"), choices=Pref.FontSize.choices, coerce=int,
                                       widget=forms.RadioSelect)
    letter_spacing = forms.ChoiceField(label=_("Letter spacing"), choices=Pref.Spacing.choices, widget=forms.RadioSelect)
    line_height = forms.ChoiceField(label=_("Line height"), choices=Pref.LineHeight.choices, widget=forms.RadioSelect)
    scheme = forms.ChoiceField(label=_("Colour scheme"), choices=Pref.Scheme.choices, widget=forms.RadioSelect)
    images = forms.TypedChoiceField(label=_("Images"), choices=[("1", _("Show images")), ("0", _("Hide images"))],
                                    coerce=lambda v: v == "1", widget=forms.RadioSelect)
