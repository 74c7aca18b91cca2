"""The codes on printed QR posters and tags, and the sheets they are printed on.

A gate poster and a check-point tag each carry a URL with a signed id: scanning it with the phone's
camera opens the check-in (or scan) page; a forged or altered code does not verify. Signing, not a
stored random code, so a reprinted poster is always the same and nothing needs to be looked up.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from django.core import signing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

_GATE_SALT = "gatehouse.volunteers.gate-poster"
_TAG_SALT = "gatehouse.volunteers.checkpoint-tag"


def _sign(salt: str, value: uuid.UUID) -> str:
    return signing.Signer(salt=salt).sign(value.hex)


def _unsign(salt: str, code: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=signing.Signer(salt=salt).unsign((code or "").strip()[:120]))
    except (signing.BadSignature, ValueError):
        return None


def gate_code(gate_id: uuid.UUID) -> str:
    return _sign(_GATE_SALT, gate_id)


def gate_id_from_code(code: str) -> uuid.UUID | None:
    return _unsign(_GATE_SALT, code)


def checkpoint_code(checkpoint_id: uuid.UUID) -> str:
    return _sign(_TAG_SALT, checkpoint_id)


def checkpoint_id_from_code(code: str) -> uuid.UUID | None:
    return _unsign(_TAG_SALT, code)


def qr_svg(url: str, *, scale: int = 6) -> str:
    """An inline SVG of `url`, for a page that is printed from the browser."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True, border=2)
    return buffer.getvalue().decode("utf-8")


@dataclass(frozen=True)
class Label:
    title: str
    subtitle: str
    url: str


def _printable(text: str) -> str:
    # The built-in CJK font has no Latin middle dot (our "compound · gate" separator).
    return text.replace("·", " ")


def labels_pdf(labels: Sequence[Label], *, heading: str) -> bytes:
    """An A4 sheet of QR labels, two across, with Chinese titles (the built-in CID font needs no files)."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    cell_w, cell_h = width / 2, 80 * mm
    per_page = 2 * int((height - 25 * mm) // cell_h)
    for index, label in enumerate(labels):
        if index % per_page == 0:
            if index:
                pdf.showPage()
            pdf.setFont("STSong-Light", 11)
            pdf.drawString(15 * mm, height - 12 * mm, heading)
        slot = index % per_page
        x0 = (slot % 2) * cell_w
        y0 = height - 20 * mm - (slot // 2 + 1) * cell_h
        qr = segno.make(label.url, error="m")
        matrix = list(qr.matrix)
        size = 52 * mm
        module = size / (len(matrix) + 4)
        left = x0 + (cell_w - size) / 2 + 2 * module
        top = y0 + cell_h - 6 * mm - 2 * module
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    pdf.rect(left + c * module, top - (r + 1) * module, module, module, stroke=0, fill=1)
        pdf.setFont("STSong-Light", 13)
        pdf.drawCentredString(x0 + cell_w / 2, y0 + 12 * mm, _printable(label.title)[:40])
        pdf.setFont("STSong-Light", 9)
        pdf.drawCentredString(x0 + cell_w / 2, y0 + 6 * mm, _printable(label.subtitle)[:60])
    if not labels:
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(15 * mm, height - 12 * mm, heading)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
