"""Django validators around lib.iin, with messages that say what is wrong and what to do."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .iin import InvalidNumber, parse_iin, validate_bin

BIN_MESSAGES = {
    "length": _("A BIN has exactly 12 digits. Check the number on the registration certificate."),
    "digits": _("A BIN has digits only. Remove letters and other signs."),
    "checksum": _("This BIN's last digit does not match the others (check digit), so the number has a typo. "
                  "Check it against the registration certificate."),
    "month": _("Digits 3-4 of a BIN are the registration month (01-12). Check the number."),
    "entity_type": _("The 5th digit of a BIN gives the type of legal entity (4, 5 or 6). "
                  "This looks like an IIN: organisations are registered with their BIN."),
}
IIN_MESSAGES = {
    "length": _("An IIN has exactly 12 digits. Check the number on the identity document."),
    "digits": _("An IIN has digits only. Remove letters and other signs."),
    "checksum": _("This IIN's last digit does not match the others (check digit), so the number has a typo. "
                  "Check it against the identity document."),
    "century": _("The 7th digit of an IIN gives the century of birth and sex (1-6). Check the number."),
    "birth_date": _("The first 6 digits of an IIN are the birth date (YYMMDD), and this is not a real date. "
                    "Check the number."),
}


def bin_validator(value):
    try:
        return validate_bin(value)
    except InvalidNumber as exc:
        raise ValidationError(BIN_MESSAGES[exc.code], code=f"bin_{exc.code}") from None


def iin_validator(value):
    try:
        return parse_iin(value)
    except InvalidNumber as exc:
        raise ValidationError(IIN_MESSAGES[exc.code], code=f"iin_{exc.code}") from None
