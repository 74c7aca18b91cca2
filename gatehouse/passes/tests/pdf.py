"""Reading back the PDFs reportlab writes, enough to check pages and text (no PDF library needed)."""

import base64
import re
import zlib


def pdf_page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?![s\w])", pdf))


def pdf_text(pdf: bytes) -> bytes:
    """The decoded content streams, concatenated (reportlab writes ASCII85 over Flate)."""
    out = []
    for header, body in re.findall(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        data = body
        if b"ASCII85Decode" in header:
            data = base64.a85decode(b"<~" + data.strip(), adobe=True)
        if b"FlateDecode" in header:
            data = zlib.decompress(data)
        out.append(data)
    return b"\n".join(out)
