"""Staff vetting test data, and the scanner that fails a test on any unmasked ID number."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile

import factory
from stdnum.cn import ric

from personnel.models import StaffMember

from .factories import InstitutionFactory

_rng = random.Random(7)


def id_number(rng: random.Random = _rng, county: str = "140105", born: dt.date | None = None,
              female: bool | None = None) -> str:  # fmt: skip
    """A valid resident ID number (GB 11643 check digit) for someone born in `county`."""
    born = born or dt.date(1998, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 7))
    sequence = rng.randrange(0, 1000)
    if female is not None and (sequence % 2 == 0) != female:
        sequence = (sequence + 1) % 1000
    body = f"{county}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"员工{n}")
    post = "administrative"

    @classmethod
    def _create(cls, model_class, *args, number=None, **kwargs):
        staff = model_class(*args, **kwargs)
        staff.set_id_number(number or id_number())
        staff.save()
        return staff


# -- the scanner -----------------------------------------------------------------------

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


# Responses allowed to carry whole numbers: the audited reveal and public security's sheet.
REVEAL_PATHS = re.compile(r"^/staff/(\d+/reveal|checks/\d+/export-full)/$")


class ScanningClient:
    """Wraps the test client: every response it gets is scanned for whole ID numbers."""

    def __init__(self, client):
        self._client = client
        self.responses: list[tuple[str, object]] = []

    def __getattr__(self, name):
        return getattr(self._client, name)

    def _record(self, path, response):
        self.responses.append((path, response))
        return response

    def get(self, path, *args, **kwargs):
        return self._record(path, self._client.get(path, *args, **kwargs))

    def post(self, path, *args, **kwargs):
        return self._record(path, self._client.post(path, *args, **kwargs))

    def check(self) -> None:
        from accounts.models import AuditEvent

        for path, response in self.responses:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            leaked = unmasked_ids(body)
            if not leaked:
                continue
            assert REVEAL_PATHS.match(path.split("?")[0]), f"unmasked ID number in {path}"
            assert AuditEvent.objects.filter(kind="reveal").exists(), f"unlogged reveal {path}"


def scanning(client):
    """For a test module's `scanned` fixture: the test client, scanned. The test fails if
    any response showed a whole ID number outside an audited reveal."""
    wrapped = ScanningClient(client)
    yield wrapped
    wrapped.check()
