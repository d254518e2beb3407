"""PDFs for upload tests: a plain one-page document and hostile ones, built with pikepdf or,
where pikepdf will not write the trick (an object stream under an unusual filter), by hand
with a correct cross-reference stream, so qpdf reads them without repairing anything."""

from __future__ import annotations

import binascii
import io
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Name, String

JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"


def _saved(pdf: pikepdf.Pdf, **options) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)
    return out.getvalue()


def _one_page() -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    page.Resources = Dictionary(
        Font=Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    )
    page.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 770 Td (dismissal notice) Tj ET")
    return pdf


def plain() -> bytes:
    """A one-page PDF with a compressed page and its objects in an object stream."""
    return _saved(_one_page(), object_stream_mode=pikepdf.ObjectStreamMode.generate)


def with_catalog(**entries) -> bytes:
    pdf = _one_page()
    for key, value in entries.items():
        pdf.Root[f"/{key}"] = value
    return _saved(pdf)


def open_action_in_object_stream() -> bytes:
    """The catalog's /OpenAction runs JavaScript; pikepdf packs both into a Flate object
    stream, so neither name is in the file's clear text."""
    pdf = _one_page()
    pdf.Root.OpenAction = pdf.make_indirect(
        Dictionary(S=Name.JavaScript, JS=String("app.alert(1)"))
    )
    data = _saved(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert b"OpenAction" not in data and b"JavaScript" not in data
    return data


def packed(objects: dict[int, bytes], *, filters: list[bytes], extra: bytes = b"") -> bytes:
    """A PDF 1.5 whose objects all sit in one object stream encoded with `filters`
    (b"ASCIIHexDecode", b"FlateDecode"), indexed by an uncompressed cross-reference stream.
    Object 1 is the catalog; `extra` goes into the object stream's dictionary."""
    numbers = sorted(objects)
    header, body = b"", b""
    for number in numbers:
        header += b"%d %d " % (number, len(body))
        body += objects[number] + b"\n"
    data = header + body
    for name in reversed(filters):
        data = {b"ASCIIHexDecode": lambda d: binascii.hexlify(d) + b">",
                b"FlateDecode": zlib.compress}[name](data)  # fmt: skip
    stm, xref = max(numbers) + 1, max(numbers) + 2
    filter_ = b"[" + b" ".join(b"/" + f for f in filters) + b"]"
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    stm_at = len(out)
    out += (
        b"%d 0 obj\n<< /Type /ObjStm %s/N %d /First %d /Filter %s /Length %d >>\nstream\n"
        % (stm, extra + b" " if extra else b"", len(numbers), len(header), filter_, len(data))
        + data + b"\nendstream\nendobj\n"
    )  # fmt: skip
    xref_at = len(out)
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    index = {number: i for i, number in enumerate(numbers)}
    for number in range(1, xref + 1):
        if number in index:
            rows.append(b"\x02" + stm.to_bytes(4, "big") + index[number].to_bytes(2, "big"))
        elif number == stm:
            rows.append(b"\x01" + stm_at.to_bytes(4, "big") + b"\x00\x00")
        elif number == xref:
            rows.append(b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00")
        else:
            rows.append(b"\x00\x00\x00\x00\x00\x00\x00")
    table = b"".join(rows)
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % (xref, xref + 1, len(table))
        + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    )  # fmt: skip
    return bytes(out)


PAGE_OBJECTS = {
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>",
}


def open_action_in_hex_object_stream() -> bytes:
    """/OpenAction → JavaScript inside an object stream under /ASCIIHexDecode (not Flate)."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", 4: JS_ACTION}
    return packed(objects | PAGE_OBJECTS, filters=[b"ASCIIHexDecode"])


def open_action_behind_literal_obj() -> bytes:
    """A Flate object stream whose dictionary holds the string (obj): a scan that looks for
    the last 'obj' before 'stream' to find the dictionary misses /Type /ObjStm."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", 4: JS_ACTION}
    return packed(objects | PAGE_OBJECTS, filters=[b"FlateDecode"], extra=b"/Note (obj)")


def page_with(**entries) -> bytes:
    pdf = _one_page()
    for key, value in entries.items():
        pdf.pages[0].obj[f"/{key}"] = value
    return _saved(pdf)


def additional_action_on_page() -> bytes:
    """/AA on the page: an action run when the page opens (here only a web link)."""
    opened = Dictionary(S=Name.URI, URI=String("https://example.com/"))
    return page_with(AA=Dictionary(O=opened))


def link_with(action: Dictionary, subtype=Name.Link) -> bytes:
    annotation = Dictionary(
        Type=Name.Annot, Subtype=subtype, Rect=Array([0, 0, 100, 100]), A=action
    )
    return page_with(Annots=Array([annotation]))


def launch_action() -> bytes:
    return link_with(Dictionary(S=Name.Launch, F=String("cmd.exe")))


def embedded_file() -> bytes:
    pdf = _one_page()
    pdf.attachments["工具.exe"] = pikepdf.AttachedFileSpec(
        pdf, b"MZ\x90\x00", mime_type="application/octet-stream"
    )
    return _saved(pdf)


def encrypted(user: str = "secret") -> bytes:
    """Encrypted with AES-256; with user='' any reader opens it without asking."""
    return _saved(_one_page(), encryption=pikepdf.Encryption(owner="owner-pw", user=user))


def lzw_bomb(rounds: int) -> bytes:
    """LZW codes that each repeat the last string one byte longer: about 7.4 MB of 'a' for
    every 5.4 KB round (the decoder's table fills, then a clear code starts again)."""
    out, acc, bits, width = bytearray(), 0, 0, 9

    def emit(code: int) -> None:
        nonlocal acc, bits
        acc, bits = (acc << width) | code, bits + width
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
        acc &= (1 << bits) - 1

    for _ in range(rounds):
        emit(256)  # clear, in the width of the codes before it
        width = 9
        emit(ord("a"))
        for code in range(258, 4094):
            emit(code)
            if code + 2 >= 1 << width and width < 12:  # EarlyChange: one code early
                width += 1
    emit(257)
    return bytes(out) + (bytes([(acc << (8 - bits)) & 0xFF]) if bits else b"")
