from django import template

from qamqor.events.formatting import format_number, format_tenge

register = template.Library()


@register.filter
def num(value):
    """{{ n|num }}: 1 200 in Kazakh and Russian, 1,200 in English."""
    return format_number(value)


@register.filter
def tenge(value):
    """{{ amount|tenge }}: 2 300 000 ₸."""
    return format_tenge(value)
