"""Demo data: one user per role (printed with their passwords) and a few thousand institutions."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from accounts.services import user_create
from campaign.models import Campaign
from core.models import Region
from ops.demo.complaints import complaint_demo_create
from ops.demo.departments import fire_problem_demo_create
from ops.demo.enforcement import enforcement_demo_create
from ops.demo.fees import fee_demo_create
from ops.demo.inspections import inspection_demo_create
from ops.demo.institution_accounts import institution_accounts_demo_create
from ops.demo.institutions import institution_demo_create
from ops.demo.personnel import staff_demo_create
from ops.demo.rectification import rectification_demo_states
from ops.demo.reporting import summary_demo_create
from ops.demo.sampling import sampling_demo_pools
from ops.demo.self_inspections import self_inspection_demo_create

# Printed on every run and in the README: demo data only, never a real deployment.
DEMO_PASSWORD = "Shouhu@2023"  # noqa: S105

# username, role, region, department, name shown in the menu
DEMO_USERS = [
    ("county_xiaodian", "county_officer", "140105", "education", "小店区教育局 王检查"),
    ("county_pingcheng", "county_officer", "140213", "education", "平城区教育局 李检查"),
    ("city_taiyuan", "city_staff", "140100", "education", "太原市教育局 张科长"),
    ("city_datong", "city_staff", "140200", "education", "大同市教育局 何科长"),
    ("province", "province_staff", "140000", "education", "省教育厅 赵处长"),
    ("dept_fire", "department_user", "140100", "fire", "太原市消防救援支队 刘参谋"),
    ("dept_police_taiyuan", "department_user", "140100", "public_security", "太原市公安局 马警官"),
    ("dept_police", "department_user", "140000", "public_security", "省公安厅 陈警官"),
    ("dept_sports", "department_user", "140000", "sports", "省体育局 周科员"),
    # Inspectors the city and province draw their spot-check teams from.
    ("county_yingze", "county_officer", "140106", "education", "迎泽区教育局 吴检查"),
    ("county_xinghualing", "county_officer", "140107", "education", "杏花岭区教育局 郑检查"),
    ("fire_yingze", "department_user", "140106", "fire", "迎泽区消防救援大队 钱参谋"),
    ("fire_wanbailin", "department_user", "140109", "fire", "万柏林区消防救援大队 冯参谋"),
    ("fire_datong", "department_user", "140200", "fire", "大同市消防救援支队 许参谋"),
    # The sector departments: a spot-check team holds its institution's supervising one.
    ("sports_taiyuan", "department_user", "140100", "sports", "太原市体育局 马科员"),
    ("sports_jinyuan", "department_user", "140110", "sports", "晋源区体育局 田科员"),
    (
        "culture_taiyuan",
        "department_user",
        "140100",
        "culture_tourism",
        "太原市文化和旅游局 林科员",
    ),
    ("science_taiyuan", "department_user", "140100", "science", "太原市科技局 高科员"),
    ("culture_province", "department_user", "140000", "culture_tourism", "省文化和旅游厅 韩科员"),
    ("science_province", "department_user", "140000", "science", "省科技厅 罗科员"),
    # Fire rescue of 小店区 closes its own problems there (ops/demo/departments.py).
    ("fire_xiaodian", "department_user", "140105", "fire", "小店区消防救援大队 孙参谋"),
    ("admin", "admin", "140000", "education", "系统管理员"),
    ("admin_taiyuan", "admin", "140100", "education", "太原市系统管理员"),
    ("auditor", "auditor", "140000", "education", "审计员 孙审计"),
]


class Command(BaseCommand):
    help = "创建演示数据：每个角色一个演示账号，以及数千家演示培训机构（可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument("--institutions", type=int, default=3000)

    def handle(self, *args, **opts):
        if not Region.objects.filter(code="140000").exists():
            call_command("load_regions", province="140000", stdout=self.stdout)
        # The campaign runs in the current season (the latest 1 Nov to 31 Dec that has begun),
        # so the clock's reminders and overdue flags fire while someone looks at the demo.
        today = timezone.localdate()
        year = today.year if today.month >= 11 else today.year - 1
        call_command("seed_campaign", province="140000", year=year, stdout=self.stdout)
        created = institution_demo_create(total=opts["institutions"])
        self.stdout.write(f"演示培训机构：新增 {created} 家")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role, region, department, full_name in DEMO_USERS:
            if not User.objects.filter(username=username).exists():
                user_create(
                    username=username,
                    role=role,
                    region_code=region,
                    department=department,
                    password=DEMO_PASSWORD,
                    full_name=full_name,
                    # The demo's logins are printed in the README: no forced change.
                    must_change_password=False,
                )
            self.stdout.write(f"  {username:<18} {DEMO_PASSWORD}  {role:<16} {region} {full_name}")
        added = sampling_demo_pools()
        self.stdout.write(f"抽查检查人员库：新增 {added} 人")
        campaign = Campaign.objects.filter(province_id="140000", is_active=True).first()
        if campaign is not None:
            made = inspection_demo_create(campaign=campaign)
            self.stdout.write(f"演示县级排查记录：新增 {made} 条")
            # Counties in each state of 排查整改 (done / screened, not rectified / in hand).
            rest = rectification_demo_states(campaign=campaign)
            self.stdout.write(f"演示排查整改：迎泽区、杏花岭区、万柏林区补充排查 {rest} 家")
            if fire_problem_demo_create(campaign=campaign):
                self.stdout.write(
                    "演示消防问题：小店区新增 1 个待整改的消防安全问题（fire_xiaodian 可复查销号）"
                )
            staff = staff_demo_create()
            self.stdout.write(f"演示从业人员：新增 {staff} 人（太原市各区）")
            charges = fee_demo_create(
                importer=User.objects.get(username="admin"),
                refunders=User.objects.filter(
                    username__in=["county_xiaodian", "county_yingze", "county_xinghualing"]
                ).order_by("username"),
            )
            self.stdout.write(f"演示收费记录：新增 {charges} 笔（按收费规则核查）")
            minors = complaint_demo_create()
            self.stdout.write(
                f"演示涉未成年人线索：新增 {minors} 件（一件已移送公安，一件经审核不移送）"
            )
            if summary_demo_create(campaign=campaign):
                self.stdout.write("演示工作总结：太原市（编写中）")
            actions = enforcement_demo_create(campaign=campaign)
            self.stdout.write(f"演示处理措施：新增 {actions} 项")
            for username, name in institution_accounts_demo_create(password=DEMO_PASSWORD):
                self.stdout.write(f"  机构账号 {username:<16} {DEMO_PASSWORD}  {name}")
            begun = self_inspection_demo_create(campaign=campaign)
            self.stdout.write(f"演示机构自查：新增 {begun} 份（已提交、填写中、提交后更正）")
