"""PDF documents in Kazakh, Russian and English (donor receipts, acts of services rendered, drivers' manifests).

fpdf2 with the PT Sans font installed from PyPI (fontpkg-pt-sans): ParaType drew it for the Cyrillic alphabets of
Russia and its neighbours and it has every Kazakh letter (ә ғ қ ң ө ұ ү һ і); it has no tenge sign (₸), so money is
written with the word. A document states its language, so a screen reader reads it in the right voice.
"""

from __future__ import annotations

import datetime as dt

import fontpkg_pt_sans
from fpdf import FPDF

FONT = "PTSans"
FONT_DIR = fontpkg_pt_sans.ROOT / "files"


def new_document(*, title: str, author: str, lang: str, margin: float, cls: type[FPDF] = FPDF,
                 created: dt.datetime | None = None, page_break: float | None = None) -> FPDF:
    """An A4 document with its metadata and the regular and bold PT Sans registered as FONT; no page added yet.
    `created` fixes the creation date (a document that must come out the same bytes every time)."""
    pdf = cls(format="A4")
    if created is not None:
        pdf.set_creation_date(created)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("Qamqor")
    pdf.set_lang(lang)
    pdf.add_font(FONT, "", str(FONT_DIR / "PT_Sans-Web-Regular.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "PT_Sans-Web-Bold.ttf"))
    pdf.set_margins(margin, margin, margin)
    if page_break is not None:
        pdf.set_auto_page_break(True, margin=page_break)
    return pdf
