"""The release notice (解除隔离告知书) as a one-page A4 PDF, in the active language.

Uses reportlab's built-in CID font STSong-Light: Chinese renders with no font file to ship, and any
PDF reader substitutes its own Song typeface.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gatehouse.observation.models import ObservationCase

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=12.5, leading=22, wordWrap="CJK", firstLineIndent=25)
_PLAIN = ParagraphStyle("plain", parent=_BODY, firstLineIndent=0)
_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=20, leading=30, alignment=TA_CENTER)
_RIGHT = ParagraphStyle("right", parent=_PLAIN, alignment=TA_RIGHT)
_SMALL = ParagraphStyle("small", parent=_PLAIN, fontSize=9.5, leading=14)


def _date(value: object) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else "—"


def release_notice_pdf(*, case: ObservationCase, compress: bool = True) -> bytes:
    """Render the notice for a released `case`. `compress=False` keeps text searchable in tests."""
    resident = case.resident
    neighbourhood = case.compound.neighbourhood
    district = neighbourhood.street.district
    released_on = timezone.localdate(case.closed_at) if case.closed_at else timezone.localdate()
    kind_title = (
        _("Notice of release from home observation")
        if case.kind == ObservationCase.Kind.HOME_OBSERVATION
        else _("Notice of the end of health monitoring")
    )
    facts = [
        [_("Name"), resident.name],
        [_("Identity number"), resident.id_number_masked or "—"],
        [_("Address"), f"{case.compound.name} {case.household.address_label}"],
        [_("Period"), f"{_date(case.starts_on)} — {_date(case.ends_on)}"],
        [_("Released on"), _date(released_on)],
        [_("Notice number"), str(case.id).split("-")[0].upper()],
    ]
    table = Table(
        [[Paragraph(escape(str(k)), _PLAIN), Paragraph(escape(str(v)), _PLAIN)] for k, v in facts],
        colWidths=[38 * mm, 120 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, "#555555"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (0, -1), "#f0f0f0"),
            ]
        )
    )
    body = _(
        "You have been under %(kind)s at home since %(start)s. The period ended on %(end)s and the "
        "neighbourhood's follow-ups found no reason to continue. In line with the epidemic prevention "
        "and control rules of %(district)s, the %(kind)s ends from %(released)s, and your pass returns "
        "to green."
    ) % {
        "kind": case.get_kind_display(),
        "start": _date(case.starts_on),
        "end": _date(case.ends_on),
        "district": district.name_zh,
        "released": _date(released_on),
    }
    advice = _(
        "Please keep protecting yourself: wear a mask in public, wash your hands often, avoid crowds. "
        "If you develop a fever, a cough or other symptoms, see a doctor at a fever clinic at once and "
        "tell the neighbourhood committee."
    )
    story = [
        Paragraph(escape(kind_title), _TITLE),
        Spacer(1, 8 * mm),
        Paragraph(escape(_("Dear %(name)s,") % {"name": resident.name}), _PLAIN),
        Spacer(1, 3 * mm),
        Paragraph(escape(body), _BODY),
        Paragraph(escape(advice), _BODY),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 18 * mm),
        Paragraph(
            escape(_("%(neighbourhood)s neighbourhood committee") % {"neighbourhood": neighbourhood.name}),
            _RIGHT,
        ),
        Paragraph(escape(_("(stamp)")), _RIGHT),
        Paragraph(escape(_date(released_on)), _RIGHT),
        Spacer(1, 20 * mm),
        Paragraph(
            escape(_("Keep this notice. Issued by Gatehouse; the neighbourhood committee can confirm it.")),
            _SMALL,
        ),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=28 * mm,
        bottomMargin=20 * mm,
        title=kind_title,
        author=neighbourhood.name,
        pageCompression=1 if compress else 0,
        invariant=1,
    )
    document.build(story)
    return buffer.getvalue()
