"""The driver's manifest as a printable PDF (fpdf2 with PT Sans, as qamqor/ledger receipts): the shift, then each stop
in order with its planned time, address, passenger, phone and needs, in the language that is active when it is drawn
(the view activates the user's language, or the one asked for with ?lang=).

PT Sans has every Kazakh letter (ә ғ қ ң ө ұ ү һ і) but no tenge sign; a manifest has no money, so nothing here needs
one. The words come from the site's catalogue through gettext, like the page, so the page and the paper agree.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from qamqor.lib.pdf import new_document

LANGUAGES = ("kk", "ru", "en")


def _time(moment):
    return timezone.localtime(moment).strftime("%H:%M") if moment else "—"


def needs_text(ride) -> str:
    """The passenger's needs in one line, as on the page."""
    from django.utils.translation import ngettext

    parts = []
    if ride.wheelchair:
        parts.append(_("wheelchair"))
    if ride.escorts:
        parts.append(ngettext("%(n)s escort", "%(n)s escorts", ride.escorts) % {"n": ride.escorts})
    if ride.guide_dog:
        parts.append(_("guide dog"))
    if ride.needs_note:
        parts.append(ride.needs_note)
    return "; ".join(parts) or "—"


def manifest_pdf(data: dict, *, lang: str) -> bytes:
    """The manifest (selectors.manifest) of one shift as PDF bytes."""
    shift = data["shift"]
    driver = shift.driver.user.full_name or shift.driver.user.email
    title = _("Manifest: %(plate)s, %(day)s") % {"plate": shift.vehicle.plate, "day": shift.day.strftime("%d.%m.%Y")}
    pdf = new_document(title=title, author=shift.provider.name, lang=lang, margin=15, page_break=20)
    pdf.add_page()

    def line(text, *, size=11, bold=False, height=6):
        pdf.set_font("PTSans", "B" if bold else "", size)
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", align="L")

    line(title, size=16, bold=True, height=8)
    line(shift.provider.name)
    hours = f"{_time(shift.starts_at)}–{_time(shift.ends_at)}, {driver}"
    if shift.break_starts_at:
        hours += ". " + _("Break at %(time)s, %(minutes)s minutes.") % {"time": _time(shift.break_starts_at),
                                                                          "minutes": shift.break_minutes}
    line(hours)
    depot = shift.vehicle.depot
    line(f"{_('Depot')}: {depot.name}, {depot.address}")
    pdf.ln(3)
    stops = data["stops"]
    if not stops:
        line(_("No stops on this shift yet."))
    label_width = 38
    for number, stop in enumerate(stops, start=1):
        ride = stop["ride"]
        kind = _("Pick up") if stop["kind"] == "pickup" else _("Drop off")
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.set_draw_color(90, 90, 90)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.5)
        line(f"{number}. {_time(stop['planned_at'])}  {kind}: {stop['passenger']}", size=13, bold=True, height=7)
        rows = [(_("Address"), stop["address"])]
        if stop.get("phone"):
            rows.append((_("Phone"), stop["phone"]))
        rows.append((_("Needs"), needs_text(ride)))
        rows.append((_("Status"), str(ride.get_status_display())))
        for label, value in rows:
            y = pdf.get_y()
            pdf.set_font("PTSans", "B", 11)
            pdf.multi_cell(label_width, 6, label, new_x="RIGHT", new_y="TOP", align="L")
            pdf.set_font("PTSans", "", 11)
            pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.set_y(max(pdf.get_y(), y + 6))
        # On paper the driver writes the actual time, and at the drop-off the passenger signs: the record of a
        # delivered ride when the passenger has no one-time code to give.
        pdf.ln(1)
        if stop["kind"] == "pickup":
            line(_("Picked up at %(blank)s") % {"blank": "____ : ____"})
        else:
            line(_("Dropped off at %(blank)s    Passenger's signature %(line)s") % {
                "blank": "____ : ____", "line": "_" * 28}, height=8)
        pdf.ln(2)
    pdf.ln(2)
    line(_("Printed %(moment)s from Qamqor.") % {"moment": timezone.localtime().strftime("%d.%m.%Y %H:%M")}, size=9)
    return bytes(pdf.output())
