"""A horizontal bar chart drawn by the server as inline SVG: no script, readable with images of text off, and always
beside the table of its numbers (DESIGN.md section 7).

Each row (the money, then each item) is drawn to its own scale, since tenge and kilograms cannot share an axis; the
value is written at the end of every bar, so colour and length are never the only way to read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .formatting import format_number, format_tenge

LABEL_WIDTH = 230
BAR_AREA = 380
VALUE_WIDTH = 220
BAR_HEIGHT = 18
BAR_GAP = 4
GROUP_GAP = 22
TOP = 34


@dataclass
class Bar:
    x: int
    y: int
    width: int
    height: int
    opacity: str
    text_x: int
    text_y: int
    text: str
    series: str


@dataclass
class Group:
    label: str
    label_y: int
    bars: list[Bar]


@dataclass
class Chart:
    width: int
    height: int
    groups: list[Group]
    legend: list[tuple[int, str, str]]  # x, opacity, name
    title: str
    desc: str


SERIES = (("target", "0.35"), ("raised", "0.65"), ("delivered", "1"))


def series_names():
    return {"target": _("target"), "raised": _("raised"), "delivered": _("delivered")}


def formatted(line, value) -> str:
    if value is None:
        return "—"
    if line.is_money:
        return format_tenge(value)
    return f"{format_number(value)} {line.unit_label}"


def campaign_chart(report) -> Chart:
    """The target, raised and delivered of each line of a campaign report."""
    names = series_names()
    groups = []
    y = TOP
    for line in report.lines:
        values = {"target": line.target, "raised": line.raised, "delivered": line.delivered}
        top = max((v or 0) for v in values.values()) or 1
        bars = []
        for i, (series, opacity) in enumerate(SERIES):
            value = values[series] or 0
            width = round(BAR_AREA * float(value) / float(top)) if value else 0
            by = y + i * (BAR_HEIGHT + BAR_GAP)
            bars.append(Bar(x=LABEL_WIDTH, y=by, width=max(width, 1 if value else 0), height=BAR_HEIGHT,
                            opacity=opacity, text_x=LABEL_WIDTH + width + 6, text_y=by + BAR_HEIGHT - 4,
                            text=f"{names[series]}: {formatted(line, values[series])}", series=series))
        groups.append(Group(label=line.label, label_y=y + BAR_HEIGHT + 8, bars=bars))
        y += 3 * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP
    legend = [(LABEL_WIDTH + i * 130, opacity, names[series]) for i, (series, opacity) in enumerate(SERIES)]
    title = _("Target, raised and delivered: %(campaign)s") % {"campaign": report.campaign.title}
    desc = _("For the money and for each item, three bars: the target, what was raised and what was delivered. Each "
             "row has its own scale. The same numbers are in the table below.")
    return Chart(width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH + 40, height=y + 4, groups=groups, legend=legend,
                 title=title, desc=desc)
