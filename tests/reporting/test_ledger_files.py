"""Ledger files as people open and print them.

- A control character stored in a text (an institution or staff name, a complaint, an
  activity's title), however it got there, never breaks a download: openpyxl refuses it
  in a cell (a 500 for every ledger holding the row), and a csv should not carry it raw.
  The formula escaping stays.
- Every xlsx ledger prints on A4, fitted to the page width, its header row repeated on
  each page, with a filter over the header and the rows.
"""

import csv
import io
import re

import pytest
from django.http import QueryDict
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from accounts.scope import scope_for
from campaign.models import PublicityActivity
from complaints.models import Case
from institutions.models import Institution
from reporting.ledgers import LEDGERS, ledgers_for
from tabular.export import ListExporter
from tests.factories_personnel import StaffFactory
from tests.reporting import test_summary

# The summary tests' world (太原市 with a little of everything), shared under its name.
campaign, world = test_summary.campaign, test_summary.world

# What XML 1.0 (hence an xlsx) cannot hold, DEL and C1: none of it may reach a file.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.fixture
def soiled(world, places):
    """太原市's data with Word's soft line break (U+000B) and other control characters
    stored past every form: in an institution's name, a staff member's name, a complaint
    and a publicity activity's title (which also starts like a formula)."""
    Institution.objects.filter(pk=places.xiaodian.pk).update(name="小店区博雅\x0b舞蹈培训学校")
    StaffFactory(institution=places.xiaodian, name="张\x0b三")
    Case.objects.filter(county_id="140105").update(description="反映\x0b安全隐患\x01")
    PublicityActivity.objects.update(title="=消防\x0b演示\x1f")
    return world


def xlsx_texts(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    return [
        c for ws in book for r in ws.iter_rows(values_only=True) for c in r if isinstance(c, str)
    ]


def csv_texts(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    assert not RAW_CONTROL.search(text)
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_ledger_downloads_rows_stored_with_control_characters(client, cast, soiled, fmt):
    client.force_login(cast.taiyuan)
    texts = []
    for ledger in ledgers_for(scope_for(cast.taiyuan)):
        response = client.get(reverse(ledger.url_name), {"format": fmt, "region": "140100"})
        assert response.status_code == 200, ledger.key
        found = (xlsx_texts if fmt == "xlsx" else csv_texts)(response.content)
        assert not any(RAW_CONTROL.search(t) for t in found), ledger.key
        texts += found
    # A soft line break stays a line break; any other control character goes.
    assert "小店区博雅\n舞蹈培训学校" in texts and "张\n三" in texts
    assert "反映\n安全隐患" in texts
    assert "'=消防\n演示" in texts and not any(t.startswith("=") for t in texts)


def test_a_control_character_before_a_formula_start_does_not_unmask_the_formula():
    class Ledger(ListExporter):
        headers = ["内容"]

        def rows(self):
            yield ['\x01=HYPERLINK("http://x")']
            yield ["\x00+1"]
            yield ["\x9f-1\x85行"]  # a C1 control, and NEL: a line break

    expected = ['\'=HYPERLINK("http://x")', "'+1", "'-1\n行"]
    assert xlsx_texts(Ledger().to_xlsx())[1:] == expected
    assert csv_texts(Ledger().to_csv())[1:] == expected


# -- printing ------------------------------------------------------------------------------


def assert_prints_well(sheet, *, header_row: int, columns: int, last_row: int) -> None:
    last = get_column_letter(columns)
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.auto_filter.ref == f"A{header_row}:{last}{last_row}"
    setup = sheet.page_setup
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert setup.paperSize == 9  # A4


@pytest.mark.parametrize("key", [ledger.key for ledger in LEDGERS])
def test_every_ledger_prints_on_a4_fitted_to_width_with_its_header_on_each_page(
    client, cast, world, key
):
    ledger = next(entry for entry in LEDGERS if entry.key == key)
    client.force_login(cast.province)
    response = client.get(reverse(ledger.url_name), {"format": "xlsx"})
    assert response.status_code == 200
    headers = ledger.build(
        scope=scope_for(cast.province), user=cast.province, params=QueryDict()
    ).headers
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header_row = 1 + next(i for i, r in enumerate(rows) if list(r[: len(headers)]) == headers)
    assert_prints_well(sheet, header_row=header_row, columns=len(headers), last_row=len(rows))
    # Every registered ledger is wider than an A4 page stood upright.
    assert sheet.page_setup.orientation == "landscape"


def test_a_narrow_record_with_parameters_prints_upright_filtering_only_its_rows():
    class Record(ListExporter):
        headers = ["序号", "名称"]
        widths = [8, 30]

        def title_line(self):
            return "抽样记录"

        def summary(self):
            return [("随机种子", "abc"), ("抽样框机构数", 3)]

        def rows(self):
            yield from ([n, f"机构{n}"] for n in range(1, 4))

    sheet = load_workbook(io.BytesIO(Record().to_xlsx())).active
    # title, two parameters, a blank line, then the header on row 5 and three rows.
    assert_prints_well(sheet, header_row=5, columns=2, last_row=8)
    assert sheet.page_setup.orientation == "portrait"
