"""Judges one PDF read from standard input and prints one word (see VERDICTS).

`pdf_check` runs this file in a process of its own, under memory and CPU limits: qpdf
decodes a file's cross-reference streams while opening it and has no limit for LZW, so
only a separate process bounds what a hostile file can cost. No Django here, and nothing
from the project: the child imports the standard library and pikepdf only.

usage: python -I pdf_probe.py MAX_OBJECTS MAX_DECODED_BYTES MAX_MEMORY_BYTES MAX_CPU_SECONDS
"""

from __future__ import annotations

import io
import logging
import resource
import sys

VERDICTS = ("ok", "script", "embedded", "encrypted", "unreadable", "too_big")

# Names that run something: scripts, actions run on opening or on page and field events
# (/AA; refused whatever it holds, scanned evidence needs none), launching a program,
# sending or importing form data, opening another file.
SCRIPT_NAMES = frozenset(
    {"/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/SubmitForm", "/ImportData",
     "/GoToR", "/GoToE"}
)  # fmt: skip
# Names that carry another file or a program of their own: embedded files (/EF is a file
# specification's embedded copy), file attachment annotations, rich media, XFA forms.
FILE_NAMES = frozenset(
    {"/EmbeddedFiles", "/EmbeddedFile", "/EF", "/FileAttachment", "/RichMedia", "/XFA"}
)
# Dictionary entries and array items looked at, at most: bounds the walk's CPU time well
# below the process limit.
MAX_ITEMS = 2_000_000


def judge(data: bytes, *, max_objects: int, max_decoded: int) -> str:
    import pikepdf
    from pikepdf.settings import set_qpdf_limits

    # Per stream, for every filter qpdf can bound (Flate, RunLength, predictors).
    set_qpdf_limits(
        flate_max_memory=max_decoded, run_length_max_memory=max_decoded,
        png_max_memory=max_decoded, tiff_max_memory=max_decoded, max_stream_filters=5,
    )  # fmt: skip
    # qpdf's warnings reach Python's logging; when opening fails, only they say why.
    logged = _Collect()
    qpdf_log = logging.getLogger("pikepdf._core")
    qpdf_log.addHandler(logged)
    qpdf_log.propagate = False
    try:
        pdf = pikepdf.open(io.BytesIO(data), suppress_warnings=False)
    except pikepdf.PasswordError:
        return "encrypted"
    except Exception as exc:  # qpdf's errors for a file it cannot make sense of
        return _failure(exc, logged.messages)
    with pdf:
        if pdf.is_encrypted:
            return "encrypted"
        opened = pdf.get_warnings()
        if any("limit" in w or "error decoding" in w for w in opened):
            return _failure(None, opened)
        try:
            verdict = _inspect(pdf, pikepdf, max_objects=max_objects, max_decoded=max_decoded)
        except Exception as exc:  # qpdf refuses a stream past its limit, or cannot read one
            return _failure(exc, pdf.get_warnings())
        # A warning while reading objects means one could not be read, so was not checked.
        if verdict == "ok" and len(pdf.get_warnings()) > len(opened):
            return _failure(None, pdf.get_warnings()[len(opened) :])
        return verdict


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _failure(exc: Exception | None, warnings: list[str]) -> str:
    """A limit reached (qpdf's, or the process's memory: std::bad_alloc) is too_big;
    anything else is unreadable."""
    said = " ".join([str(exc or ""), *warnings])
    if isinstance(exc, MemoryError) or "limit" in said or "bad_alloc" in said:
        return "too_big"
    return "unreadable"


def _inspect(pdf, pikepdf, *, max_objects: int, max_decoded: int) -> str:
    xref = pdf.get_xref_table()
    if len(xref) > max_objects:
        return "too_big"
    # Object streams are decoded here first, counted against the budget, before qpdf
    # unpacks the objects in them (a decoding error raises: nothing is skipped).
    decoded = 0
    for number in sorted({e.obj_stream_number for e in xref.values() if e.type == 2}):
        stream = pdf.get_object((number, 0))
        if not isinstance(stream, pikepdf.Stream):
            return "unreadable"
        decoded += len(stream.read_bytes())
        if decoded > max_decoded:
            return "too_big"
    return _walk([pdf.trailer, *pdf.objects], pikepdf)


def _walk(stack: list, pikepdf) -> str:
    """Every name in every object, keys included; references are not followed (each
    indirect object is on the stack already). Content streams are not decoded: a name in
    page content draws, it runs nothing. Numbers and booleans arrive as Python values."""

    def direct(value) -> bool:
        return isinstance(value, pikepdf.Object) and not value.is_indirect

    items = 0
    while stack:
        obj = stack.pop()
        items += 1
        if items > MAX_ITEMS:
            return "too_big"
        if isinstance(obj, pikepdf.Name):
            verdict = _name_verdict(str(obj))
            if verdict:
                return verdict
        elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            for key, value in obj.items():
                verdict = _name_verdict(key)
                if verdict:
                    return verdict
                if direct(value):
                    stack.append(value)
        elif isinstance(obj, pikepdf.Array):
            stack.extend(item for item in obj if direct(item))
    return "ok"


def _name_verdict(name: str) -> str:
    if name in SCRIPT_NAMES:
        return "script"
    if name in FILE_NAMES:
        return "embedded"
    return ""


def main(argv: list[str]) -> None:
    max_objects, max_decoded, max_memory, max_cpu = (int(a) for a in argv[1:5])
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    resource.setrlimit(resource.RLIMIT_CPU, (max_cpu, max_cpu + 1))
    data = sys.stdin.buffer.read()
    sys.stdout.write(judge(data, max_objects=max_objects, max_decoded=max_decoded))


if __name__ == "__main__":
    main(sys.argv)
