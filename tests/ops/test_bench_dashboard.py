"""The dashboard benchmark runs end to end on a small scale and leaves nothing behind."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from inspections.models import Finding, Inspection
from institutions.models import Institution


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bn"}
    }


def test_the_benchmark_reports_both_medians_and_rolls_everything_back(regions):
    before = (Institution.objects.count(), Inspection.objects.count(), User.objects.count())
    out = io.StringIO()
    call_command("bench_dashboard", institutions=400, inspections=1500, requests=3, stdout=out)
    text = out.getvalue()
    assert "institutions=400, inspections=1,500, problems=" in text
    assert "province dashboard: median" in text and "bare SQL aggregates: median" in text
    assert "ratio" in text and text.strip().endswith("rolled back: nothing generated was kept")
    after = (Institution.objects.count(), Inspection.objects.count(), User.objects.count())
    assert after == before and not Finding.objects.exists()


def test_the_benchmark_refuses_nonsense_sizes(regions):
    with pytest.raises(CommandError, match="机构数、请求次数须为正整数"):
        call_command("bench_dashboard", institutions=0, stdout=io.StringIO())
