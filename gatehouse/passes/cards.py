"""Printed pass cards: an A6 PDF page per card, for people without a phone.

What is printed is what a gate volunteer may see: the compound, a masked name, the static serial (as a
QR code and in large letters to type) and the version; never an identity number, phone or address.
Chinese text uses reportlab's built-in CID font STSong-Light, so no font file is needed.
"""

from __future__ import annotations

import functools
import io

import segno
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from gatehouse.passes.models import Card

CJK_FONT = "STSong-Light"
SERIAL_FONT = "Courier-Bold"
_BRAND = Color(0xA4 / 255, 0x16 / 255, 0x1A / 255)


@functools.cache
def _register_fonts() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _fit(text: str, font: str, size: float, width: float) -> float:
    """The largest size up to `size` at which `text` fits in `width`."""
    while size > 6 and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _qr(canvas: Canvas, data: str, x: float, y: float, side: float) -> None:
    qr = segno.make(data, error="q", micro=False)
    matrix = qr.matrix
    border = 2
    modules = len(matrix) + 2 * border
    unit = side / modules
    canvas.setFillColor(black)
    for row_index, row in enumerate(matrix):
        top = y + side - (row_index + border + 1) * unit
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                canvas.rect(x + (start + border) * unit, top, (col - start) * unit, unit, stroke=0, fill=1)
            else:
                col += 1


def _page(canvas: Canvas, card: Card) -> None:
    width, height = A6
    margin = 7 * mm
    inner = width - 2 * margin
    resident = card.pass_record.resident
    compound = resident.compound
    neighbourhood = compound.neighbourhood
    district = neighbourhood.street.district

    canvas.setFillColor(_BRAND)
    canvas.rect(0, height - 20 * mm, width, 20 * mm, stroke=0, fill=1)
    canvas.setFillColor(white)
    canvas.setFont(CJK_FONT, 9)
    canvas.drawString(margin, height - 8 * mm, district.name_zh)
    title = _("Gate pass card")
    canvas.setFont(CJK_FONT, _fit(title, CJK_FONT, 16, inner))
    canvas.drawString(margin, height - 16 * mm, title)

    canvas.setFillColor(black)
    size = _fit(compound.name, CJK_FONT, 15, inner)
    canvas.setFont(CJK_FONT, size)
    canvas.drawString(margin, height - 29 * mm, compound.name)
    canvas.setFont(CJK_FONT, 22)
    canvas.drawString(margin, height - 39 * mm, resident.masked_name)

    side = 58 * mm
    qr_y = height - 41 * mm - side
    _qr(canvas, card.serial, (width - side) / 2, qr_y, side)

    canvas.setFont(SERIAL_FONT, _fit(card.serial, SERIAL_FONT, 22, inner))
    canvas.drawCentredString(width / 2, qr_y - 7 * mm, card.serial)
    canvas.setFont(CJK_FONT, 10)
    version = _("Version %(version)s, printed %(date)s") % {
        "version": card.version,
        "date": timezone.localdate().isoformat(),
    }
    canvas.drawCentredString(width / 2, qr_y - 13 * mm, version)

    canvas.setFont(CJK_FONT, 7.5)
    lines = [
        _("Show this card at the gate. A newer card cancels this one."),
        _("Lost it? Tell %(neighbourhood)s at once.") % {"neighbourhood": neighbourhood.name},
    ]
    for i, line in enumerate(lines):
        canvas.drawString(margin, 11 * mm - i * 4 * mm, line[:60])
    canvas.setStrokeColor(Color(0.6, 0.6, 0.6))
    canvas.rect(2 * mm, 2 * mm, width - 4 * mm, height - 4 * mm, stroke=1, fill=0)


def cards_pdf(cards: list[Card]) -> bytes:
    """One A6 page per card, in order. `cards` come with their resident, compound and places loaded."""
    _register_fonts()
    buffer = io.BytesIO()
    # invariant: no timestamps or random ids in the file, so the same cards give the same bytes.
    canvas = Canvas(buffer, pagesize=A6, invariant=1)
    canvas.setTitle(_("Gate pass cards"))
    canvas.setCreator("Gatehouse")
    for card in cards:
        _page(canvas, card)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def cards_response(cards: list[Card]) -> HttpResponse:
    response = HttpResponse(cards_pdf(cards), content_type="application/pdf")
    # No name in the file name: it ends up in download folders and print queues.
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'inline; filename="pass-cards-{stamp}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
