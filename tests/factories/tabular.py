"""Runs of the spreadsheet machinery: an import and a background export."""

import hashlib

import factory
from django.utils import timezone

from tabular.models import ExportRun, ImportRun
from tests.factories.accounts import UserFactory

_SHEET = "机构名称,统一社会信用代码,所在县区\n小店区博雅舞蹈培训学校,52140105MJY0000001,小店区\n".encode()


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRun

    kind = ImportRun.Kind.INSTITUTIONS
    created_by = factory.SubFactory(UserFactory, grant=("county_officer", "140105"))
    file = factory.django.FileField(filename="培训机构名单.csv", data=_SHEET)
    file_name = "培训机构名单.csv"
    file_sha256 = hashlib.sha256(_SHEET).hexdigest()


class ExportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExportRun

    created_by = factory.SubFactory(UserFactory, grant=("city_staff", "140100"))
    ledger = "institutions"
    query = "region=140100&format=xlsx"
    expires_at = factory.LazyFunction(lambda: timezone.now() + ExportRun.KEEP)
