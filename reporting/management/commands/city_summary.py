"""Write a city's current work summary as Word: the last submission's snapshot when it is
submitted or accepted, else the draft with live figures.

    python manage.py city_summary --city 140100 --out 太原市工作总结.docx [--campaign ID]
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaign.models import Campaign
from core.models import Region
from reporting import documents_summary as documents
from reporting.selectors_summary import summary_for


class Command(BaseCommand):
    help = "Write a city's work summary (工作总结) as a .docx file"

    def add_arguments(self, parser):
        parser.add_argument("--city", required=True, help="the city's GB/T 2260 code, e.g. 140100")
        parser.add_argument("--out", required=True, help="the .docx file to write")
        parser.add_argument("--campaign", type=int, help="campaign id (default: the active one)")

    def handle(self, *args, city, out, campaign=None, **options):
        region = Region.objects.filter(code=city.strip(), level=Region.Level.CITY).first()
        if region is None:
            raise CommandError(f"未找到市级行政区划 {city}")
        campaigns = Campaign.objects.filter(province_id=region.code[:2] + "0000")
        if campaign is not None:
            found = campaigns.filter(pk=campaign).first()
        else:
            found = campaigns.filter(is_active=True).order_by("-starts_on", "-pk").first()
        if found is None:
            raise CommandError(f"{region.name}所在省份没有该专项行动")
        summary = summary_for(found, region)
        doc = documents.document_for(summary, campaign=found, city=region)
        path = Path(out)
        data = documents.summary_docx(doc)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"无法写入 {path}：{exc.strerror or exc}") from None
        source = f"第 {doc.revision} 次报送的快照" if doc.frozen else "实时数据（草稿）"
        self.stdout.write(f"{path}：{region.name}工作总结，{source}")
