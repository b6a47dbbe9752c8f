"""The size of an act's document, for the text of its download link: {{ lines|length|document_size:"pdf" }}."""

from django import template

from qamqor.social_services import act_documents

register = template.Library()


@register.filter
def document_size(lines: int, fmt: str) -> str:
    return act_documents.size_hint(fmt, int(lines or 0))
