"""The scanner that fails a test on any unmasked resident ID number in a response."""

from __future__ import annotations

import io
import re
import zipfile

from stdnum.cn import ric

from personnel.models import StaffMember

_CANDIDATE = re.compile(rb"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")


def unmasked_ids(body: bytes) -> list[str]:
    """Whole, valid resident ID numbers in a page, an API response or a spreadsheet."""
    texts = [body]
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            texts = [archive.read(name) for name in archive.namelist()]
    found = []
    for text in texts:
        for match in _CANDIDATE.finditer(text):
            number = match.group().decode().upper()
            if ric.is_valid(number):
                found.append(number)
    return found


# Responses allowed to carry whole numbers: the audited reveal of one record and public
# security's sheet of one batch.
REVEAL_PATHS = re.compile(r"^/staff/(?:(?P<staff>\d+)/reveal|checks/(?P<batch>\d+)/export-full)/$")


def _last_audit_id() -> int:
    from accounts.models import AuditEvent

    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _numbers_of(staff_ids) -> set[str]:
    return {s.reveal_id_number() for s in StaffMember.objects.filter(pk__in=staff_ids)}


def reveal_refusal(path: str, response, leaked, *, since: int, until: int) -> str | None:
    """Why a response with whole numbers is not an audited reveal, or None when it is: a
    reveal URL, a reveal event written during that very request by its user for that
    record (or batch), and no number but the ones that event names."""
    from accounts.models import AuditEvent

    match = REVEAL_PATHS.match(path.split("?")[0])
    if match is None:
        return f"unmasked ID number in {path}"
    request = getattr(response, "wsgi_request", None)
    user = getattr(request, "user", None)
    events = AuditEvent.objects.filter(
        kind="reveal", id__gt=since, id__lte=until, actor_id=getattr(user, "pk", None)
    )
    if match["staff"]:
        events = events.filter(object_type="personnel.StaffMember", object_id=match["staff"])
        allowed = _numbers_of([match["staff"]])
    else:
        events = events.filter(object_type="personnel.CheckBatch", object_id=match["batch"])
        event = events.last()
        allowed = _numbers_of(event.detail.get("staff", [])) if event else set()
    if not events.exists():
        return f"unlogged reveal {path}"
    if not set(leaked) <= allowed:
        return f"{path} shows ID numbers its reveal event does not name"
    return None


class ScanningClient:
    """Wraps the test client: every response it gets is scanned for whole ID numbers."""

    def __init__(self, client):
        self._client = client
        self.responses: list[tuple[str, object, int, int]] = []

    def __getattr__(self, name):
        return getattr(self._client, name)

    def _send(self, method, path, *args, **kwargs):
        since = _last_audit_id()
        response = getattr(self._client, method)(path, *args, **kwargs)
        self.responses.append((path, response, since, _last_audit_id()))
        return response

    def get(self, path, *args, **kwargs):
        return self._send("get", path, *args, **kwargs)

    def post(self, path, *args, **kwargs):
        return self._send("post", path, *args, **kwargs)

    def check(self) -> None:
        for path, response, since, until in self.responses:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            leaked = unmasked_ids(body)
            if not leaked:
                continue
            refusal = reveal_refusal(path, response, leaked, since=since, until=until)
            assert refusal is None, refusal


def scanning(client):
    """For a test module's `scanned` fixture: the test client, scanned. The test fails if
    any response showed a whole ID number outside the audited reveal it came from."""
    wrapped = ScanningClient(client)
    yield wrapped
    wrapped.check()
