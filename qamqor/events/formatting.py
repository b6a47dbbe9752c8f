"""Numbers and money as people in each language write them: 2 300 000 ₸ in Kazakh and Russian, 2,300,000 ₸ in
English; dates as DD.MM.YYYY (DESIGN.md section 8).

Django has no Kazakh number formats and the site does not turn on USE_THOUSAND_SEPARATOR everywhere, so the
statistics pages format their own numbers here.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation

NBSP = "\u00a0"
# (thousands separator, decimal mark) by language.
SEPARATORS = {"kk": (NBSP, ","), "ru": (NBSP, ","), "en": (",", ".")}


def _separators(lang=None):
    lang = (lang or translation.get_language() or "kk")[:2]
    return SEPARATORS.get(lang, SEPARATORS["kk"])


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


def format_number(value, *, decimals: int = 0, lang=None) -> str:
    """A whole number (or `decimals` places) with the language's thousands separator."""
    if value is None:
        return "—"
    thousands, mark = _separators(lang)
    number = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    text = f"{abs(number):.{decimals}f}"
    whole, _dot, fraction = text.partition(".")
    out = _group(whole, thousands)
    if fraction:
        out += mark + fraction
    return sign + out


def format_tenge(value, *, lang=None) -> str:
    """Money in tenge: whole tenge without decimals, otherwise with the tiyn: "2 300 000 ₸", "1 250,50 ₸"."""
    if value is None:
        return "—"
    value = Decimal(value)
    decimals = 0 if value == value.to_integral_value() else 2
    return f"{format_number(value, decimals=decimals, lang=lang)}{NBSP}₸"
