"""Donor receipts as PDF in Kazakh, Russian and English (fpdf2, with the PT Sans font installed from PyPI).

A receipt is a document handed to a donor, in the language they ask for whatever the site's language is, so its
words are kept here in the three languages (as the registry's import templates are), not in the site's catalogue.
PT Sans was drawn by ParaType for the Cyrillic alphabets of Russia and its neighbours and has every Kazakh letter
(ә ғ қ ң ө ұ ү һ і); it has no tenge sign (₸), so the currency is written as a word.
"""

from __future__ import annotations

from decimal import Decimal

from qamqor.lib.pdf import new_document

LANGUAGES = ("kk", "ru", "en")

TEXT = {
    "title": {"kk": "Қайырымдылық көмек туралы түбіртек",
              "ru": "Квитанция о благотворительном пожертвовании",
              "en": "Receipt for a charitable donation"},
    "number": {"kk": "Түбіртек нөмірі", "ru": "Номер квитанции", "en": "Receipt number"},
    "organization": {"kk": "Алушы ұйым", "ru": "Получатель", "en": "Received by"},
    "bin": {"kk": "БСН", "ru": "БИН", "en": "BIN"},
    "donor": {"kk": "Қайырымдылық жасаушы", "ru": "Жертвователь", "en": "Donor"},
    "anonymous": {"kk": "аты көрсетілмеген", "ru": "не указан", "en": "not named"},
    "amount": {"kk": "Сомасы", "ru": "Сумма", "en": "Amount"},
    "currency": {"kk": "теңге", "ru": "тенге", "en": "KZT"},
    "date": {"kk": "Алынған күні", "ru": "Дата получения", "en": "Date received"},
    "campaign": {"kk": "Науқан", "ru": "Кампания", "en": "Campaign"},
    "unrestricted": {"kk": "ұйымның жарғылық мақсаттарына (шектеусіз)",
                     "ru": "на уставные цели организации (без ограничений)",
                     "en": "the organisation's general purposes (not restricted)"},
    "restricted": {"kk": "Бұл қаражат тек осы науқанға жұмсалады.",
                   "ru": "Эти средства расходуются только на эту кампанию.",
                   "en": "This money is spent on this campaign only."},
    "issued": {"kk": "Түбіртек берілген күні", "ru": "Дата выдачи квитанции", "en": "Receipt issued on"},
    "reversed": {"kk": "Назар аударыңыз: бұл жазба {date} күні кері қайтарылды (сторно).",
                 "ru": "Внимание: эта запись сторнирована {date}.",
                 "en": "Note: this donation was reversed on {date}."},
    "thanks": {"kk": "Қайырымдылығыңыз үшін рақмет! Көмегіңіздің кімге жеткенін Qamqor жүйесінде көре аласыз.",
               "ru": "Спасибо за вашу помощь! В системе Qamqor вы можете увидеть, кому она помогла.",
               "en": "Thank you for your gift! In Qamqor you can follow where your help went."},
    "footer": {"kk": "Qamqor — Қазақстандағы көмекті үйлестіру жүйесі",
               "ru": "Qamqor — система координации помощи в Казахстане",
               "en": "Qamqor — coordinating help in Kazakhstan"},
}


def format_amount(amount: Decimal, lang: str) -> str:
    """Figures as each language writes them: 150 000,00 in Kazakh and Russian, 150,000.00 in English."""
    text = f"{amount:,.2f}"
    if lang in ("kk", "ru"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


def receipt_pdf(txn, lang: str, *, issued_on) -> bytes:
    """The receipt of one donation transaction, as PDF bytes."""
    if lang not in LANGUAGES:
        lang = "kk"

    def t(key):
        return TEXT[key][lang]

    organization = txn.organization
    pdf = new_document(title=f"{t('title')} {txn.receipt_number}", author=organization.name, lang=lang, margin=20)
    pdf.add_page()
    pdf.set_font("PTSans", "B", 16)
    pdf.multi_cell(0, 9, t("title"), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)
    pdf.set_font("PTSans", "", 12)
    pdf.multi_cell(0, 7, f"{t('number')}: {txn.receipt_number}", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(4)

    rows = [
        (t("organization"), organization.name),
        (t("bin"), organization.bin),
        (t("donor"), txn.donor_name or t("anonymous")),
        (t("amount"), f"{format_amount(txn.amount, lang)} {t('currency')}"),
        (t("date"), txn.date.strftime("%d.%m.%Y")),
        (t("campaign"), txn.campaign.title if txn.campaign_id else t("unrestricted")),
    ]
    label_width = 55
    for label, value in rows:
        y = pdf.get_y()
        pdf.set_font("PTSans", "B", 12)
        pdf.multi_cell(label_width, 7, label, new_x="RIGHT", new_y="TOP", align="L")
        pdf.set_font("PTSans", "", 12)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_y(max(pdf.get_y(), y + 7) + 1)
    pdf.ln(3)
    if txn.campaign_id:
        pdf.multi_cell(0, 7, t("restricted"), new_x="LMARGIN", new_y="NEXT", align="L")
    reversal = getattr(txn, "reversed_by", None)
    if reversal is not None:
        pdf.set_font("PTSans", "B", 12)
        pdf.multi_cell(0, 7, t("reversed").format(date=reversal.date.strftime("%d.%m.%Y")),
                       new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_font("PTSans", "", 12)
    pdf.ln(3)
    pdf.multi_cell(0, 7, t("thanks"), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(6)
    pdf.multi_cell(0, 7, f"{t('issued')}: {issued_on.strftime('%d.%m.%Y')}", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_y(-25)
    pdf.set_font("PTSans", "", 9)
    pdf.multi_cell(0, 5, t("footer"), new_x="LMARGIN", new_y="NEXT", align="L")
    return bytes(pdf.output())
