"""The one check for an uploaded PDF (complaint attachments, dismissal evidence).

qpdf, through pikepdf, reads the file as a viewer does: object streams unpacked, every
filter decoded, escaped names spelt out. Every object is walked and the file is refused
when it holds a script or an action (/JavaScript, /JS, /OpenAction, /AA, /Launch,
/SubmitForm, /ImportData, /GoToR, /GoToE), carries a file or a program (/EmbeddedFiles,
/EF, file attachments, /RichMedia, /XFA), is encrypted, or cannot be read. Refused, never
cleaned: a scan or a letter needs none of it.

The reading happens in a child process (`pdf_probe.py`) with its own address-space and
CPU limits, and within caps on objects and decoded bytes, so a decompression bomb costs
the server a refusal, not its memory. What many uploads may cost together is bounded too:
a web process runs at most settings.PDF_CHECK_SLOTS probes at once (a request that waits
PDF_CHECK_WAIT_SECONDS for a slot is told the server is busy), and all the PDFs of one
request share one deadline (PDF_CHECK_REQUEST_SECONDS; a file left when it is spent is
refused, not passed).
"""

from __future__ import annotations

import logging
import math
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

MAX_OBJECTS = 100_000
# Object streams decoded, in all; qpdf also refuses any one stream decoding to more.
MAX_DECODED_BYTES = 64 * 1024 * 1024
MAX_MEMORY_BYTES = 768 * 1024 * 1024
# Per file. A plain 100,000-object file takes about 5 s to walk; a request's deadline
# (settings.PDF_CHECK_REQUEST_SECONDS) lowers both for the files that come late.
MAX_CPU_SECONDS = 10
MAX_WALL_SECONDS = 15
_PROBE = Path(__file__).with_name("pdf_probe.py")

# gthread workers run several requests side by side, each of which may start a probe of
# MAX_MEMORY_BYTES: this caps how many one process runs at once.
SLOTS = threading.BoundedSemaphore(settings.PDF_CHECK_SLOTS)

MESSAGES = {
    "script": _("PDF 含有脚本或自动执行的动作，不能上传；请另存为普通 PDF 或拍照后上传"),
    "embedded": _("PDF 含有嵌入的文件、多媒体或动态表单，不能上传；请另存为普通 PDF 或拍照后上传"),
    "encrypted": _("PDF 已加密或设有密码，无法检查内容，不能上传；请取消密码后重新上传"),
    "unreadable": _(
        "PDF 文件已损坏或格式不正确，无法检查内容，不能上传；请另存为普通 PDF 或拍照后上传"
    ),
    "too_big": _(
        "PDF 结构过于复杂（对象或压缩数据过多），无法检查内容，不能上传；请另存为普通 PDF 或拍照后上传"
    ),
    "busy": _("服务器正忙，请稍后再上传"),
    "out_of_time": _(
        "本次上传的 PDF 检查用时已达上限，未能检查完，不能上传；请减少 PDF 的数量或分几次上传"
    ),
}
_CHILD_VERDICTS = frozenset(MESSAGES) - {"busy", "out_of_time"}
# The probe stopped at its CPU limit: SIGXCPU at the soft one, SIGKILL at the hard one.
_CPU_SIGNALS = frozenset({-signal.SIGXCPU, -signal.SIGKILL})


def request_deadline() -> float:
    """The time.monotonic() by which all the PDFs of one request must have been checked."""
    return time.monotonic() + settings.PDF_CHECK_REQUEST_SECONDS


def check_pdf(data: bytes, *, deadline: float | None = None) -> None:
    """Return if the PDF is plain, else raise ValidationError with a Chinese reason.

    A request checking several files passes one request_deadline() to every call."""
    verdict = pdf_verdict(data, deadline=request_deadline() if deadline is None else deadline)
    if verdict != "ok":
        raise ValidationError(str(MESSAGES[verdict]), code=f"pdf_{verdict}")


def pdf_verdict(data: bytes, *, deadline: float) -> str:
    """A key of MESSAGES, or "ok". The time spent waiting for a slot counts too."""
    left = deadline - time.monotonic()
    if left <= 0:
        return "out_of_time"
    if not SLOTS.acquire(timeout=min(settings.PDF_CHECK_WAIT_SECONDS, left)):
        return "busy"
    try:
        return _probe(data, deadline - time.monotonic())
    finally:
        SLOTS.release()


def _probe(data: bytes, left: float) -> str:
    """Run pdf_probe.py on the data. The child gets no environment (no keys, no database)."""
    if left <= 0:
        return "out_of_time"
    wall = min(MAX_WALL_SECONDS, left)
    cpu = min(MAX_CPU_SECONDS, max(1, math.ceil(left)))  # RLIMIT_CPU counts whole seconds
    # Stopped by the request's deadline rather than by the file's own limits: the file was
    # not judged, and is refused as out of time, not as too complex.
    cut_short = wall < MAX_WALL_SECONDS or cpu < MAX_CPU_SECONDS
    limits = (MAX_OBJECTS, MAX_DECODED_BYTES, MAX_MEMORY_BYTES, cpu)
    try:
        done = subprocess.run(  # noqa: S603 - our interpreter and our own script, no shell
            [sys.executable, "-I", str(_PROBE), *map(str, limits)],
            input=data, capture_output=True, timeout=wall, env={}, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "out_of_time" if cut_short else "too_big"
    verdict = done.stdout.decode("ascii", "replace").strip()
    if done.returncode == 0 and (verdict == "ok" or verdict in _CHILD_VERDICTS):
        return verdict
    if done.returncode < 0:  # killed at its memory or CPU limit
        return "out_of_time" if cut_short and done.returncode in _CPU_SIGNALS else "too_big"
    # Not an answer: refuse, and say why in the log (a broken install refuses every PDF).
    logger.error("pdf_probe failed (%s): %s", done.returncode, done.stderr[-2000:])
    return "unreadable"
