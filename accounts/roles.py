"""Roles, departments, checklist sections and the permission strings each role grants.

This is data, not logic: the scope module (accounts/scope.py) reads it. A permission
string that is not listed in PERMISSIONS is a programming error and raises, so a typo in
a view's `permission = "..."` fails loudly instead of quietly denying everyone.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_OFFICER = "county_officer", _("县级检查人员")
    CITY_STAFF = "city_staff", _("市级工作人员")
    PROVINCE_STAFF = "province_staff", _("省级工作人员")
    DEPARTMENT_USER = "department_user", _("部门用户")
    # The county education officer who handles staff vetting (§三): the one county role that
    # may reveal a whole ID number, one record at a time. Granted beside county_officer.
    VETTING_OFFICER = "vetting_officer", _("县级从业人员审查专员")
    ADMIN = "admin", _("系统管理员")
    AUDITOR = "auditor", _("审计员")
    # A training institution's own account (机构账号), opened by its county for exactly one
    # institution (institutions.InstitutionAccount): the institution side, nothing of officials.
    INSTITUTION = "institution", _("培训机构")


class Department(models.TextChoices):
    EDUCATION = "education", _("教育")
    SCIENCE = "science", _("科技")
    CULTURE_TOURISM = "culture_tourism", _("文化和旅游")
    SPORTS = "sports", _("体育")
    PUBLIC_SECURITY = "public_security", _("公安")
    FIRE = "fire", _("消防救援")


class Section(models.TextChoices):
    """The six key tasks of the notice (三、重点任务), in its order."""

    SAFETY = "一", _("一、机构安全管理")
    FIRE = "二", _("二、消防安全")
    STAFF = "三", _("三、从业人员准入")
    MINORS = "四", _("四、打击侵害未成年人违法犯罪")
    FEES = "五", _("五、收费安全监管")
    PUBLICITY = "六", _("六、安全教育宣传")


class Sector(models.TextChoices):
    """The trade a non-subject institution belongs to; it decides the supervising department."""

    SPORTS = "sports", _("体育")
    CULTURE_ART = "culture_art", _("文化艺术")
    SCIENCE = "science", _("科技")
    OTHER = "other", _("其他")


# Which sections each department owns (MISSION.md, "The six checklist sections").
# Education leads the campaign and sees every section.
SECTIONS_BY_DEPARTMENT: dict[str, frozenset[str]] = {
    Department.EDUCATION: frozenset(Section.values),
    Department.FIRE: frozenset({Section.FIRE}),
    Department.PUBLIC_SECURITY: frozenset({Section.STAFF, Section.MINORS}),
    Department.SPORTS: frozenset({Section.SAFETY, Section.PUBLICITY}),
    Department.CULTURE_TOURISM: frozenset({Section.SAFETY, Section.PUBLICITY}),
    Department.SCIENCE: frozenset({Section.SAFETY, Section.PUBLICITY}),
}

# Sector departments supervise only the institutions of their own trade.
SECTOR_BY_DEPARTMENT: dict[str, str] = {
    Department.SPORTS: Sector.SPORTS,
    Department.CULTURE_TOURISM: Sector.CULTURE_ART,
    Department.SCIENCE: Sector.SCIENCE,
}

PERMISSIONS: dict[str, str] = {
    "dashboard.view": "查看工作台",
    "notifications.view": "查看通知",
    "institutions.view": "查看培训机构",
    "institutions.change": "新增、修改培训机构",
    "institutions.import": "导入培训机构",
    "inspections.view": "查看检查记录",
    "inspections.change": "填写、提交检查记录",
    "rectification.change": "整改、复查销号",
    "sampling.view": "查看抽样",
    "sampling.draw": "组织抽样",
    "staff.view": "查看从业人员",
    "staff.change": "维护从业人员、发起犯罪记录查询",
    "staff.reveal": "查看完整身份证号",
    "checks.record": "录入犯罪记录查询结果",
    "fees.view": "查看收费记录",
    "fees.change": "维护收费记录、退费",
    "complaints.view": "查看投诉举报",
    "complaints.change": "受理投诉、移送公安",
    "complaints.audit": "审计辖区内全部投诉举报，含涉未成年人案件详情（只读）",
    "enforcement.view": "查看处理措施",
    "enforcement.record": "登记处理措施（约谈、责令整改、停业整顿、罚款、移送、问责）",
    "summary.view": "查看工作总结",
    "summary.change": "编写、报送工作总结",
    "summary.review": "审核工作总结",
    "summary.section": "编写本部门工作总结内容",
    "campaign.manage": "管理专项行动",
    "accounts.manage": "管理用户",
    "institution_accounts.manage": "开通、管理辖区内培训机构的账号",
    "portal.use": "机构端：本机构的信息、问题与整改",
    "audit.view": "查看审计日志",
}

_READ = {
    "dashboard.view",
    "notifications.view",
    "institutions.view",
    "inspections.view",
    "sampling.view",
    "staff.view",
    "fees.view",
    "complaints.view",
    "summary.view",
    "enforcement.view",
}

PERMISSIONS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.COUNTY_OFFICER: frozenset(
        _READ
        | {
            "institutions.change",
            "institutions.import",
            "inspections.change",
            "rectification.change",
            "staff.change",
            "fees.change",
            "complaints.change",
            "enforcement.record",
            # The county opens each institution's account (notice §三(二): the county has
            # its institutions self-inspect; they do it on the system).
            "institution_accounts.manage",
        }
    ),
    Role.CITY_STAFF: frozenset(
        _READ
        | {
            "inspections.change",
            "rectification.change",
            "sampling.draw",
            "complaints.change",
            "summary.change",
            "enforcement.record",
        }
    ),
    Role.PROVINCE_STAFF: frozenset(
        _READ | {"inspections.change", "sampling.draw", "summary.review", "enforcement.record"}
    ),
    # A city's department users add their department's part to the city's work summary
    # (the city education bureau gathers them, see SUMMARY_SECTION_DEPARTMENTS) and read it.
    Role.DEPARTMENT_USER: frozenset(
        {
            "dashboard.view",
            "notifications.view",
            "institutions.view",
            "inspections.view",
            "inspections.change",
            "summary.view",
            "summary.section",
            # Department officers act on what they find (查处): fire rescue on fire-safety
            # violations, public security on vetting failures, sector departments on their
            # trades; which triggers follows their sections (enforcement/selectors.py).
            "enforcement.view",
            "enforcement.record",
            # They follow up their own department's rectification tasks (报整改、复查销号):
            # fire rescue closes fire rescue's problems, never education's or another
            # department's (Scope.covers_task).
            "rectification.change",
        }
    ),
    Role.VETTING_OFFICER: frozenset(
        {
            "dashboard.view",
            "notifications.view",
            "institutions.view",
            "staff.view",
            "staff.change",
            "staff.reveal",
            "checks.record",
        }
    ),  # fmt: skip
    # The admin loads the registers (institutions, staff, fee lists) from spreadsheets.
    Role.ADMIN: frozenset(
        _READ
        | {
            "institutions.change",
            "institutions.import",
            "staff.change",
            "fees.change",
            "campaign.manage",
            "accounts.manage",
            "institution_accounts.manage",
        }
    ),  # fmt: skip
    # The auditor reads every complaint in its region, a minor-offence case's details too
    # (complaints/access.py), and acts on none: no `complaints.view`, so no other page opens.
    Role.AUDITOR: frozenset({"audit.view", "complaints.audit"}),
    # An institution's own account holds the institution side and its bell alone: no
    # official's permission, so every officials' page and API answers it 403, and the scope's
    # region filters never count its grant (Scope.own_institution names its institution).
    Role.INSTITUTION: frozenset({"portal.use", "notifications.view"}),
}

# What an institution's own account does for its own institution alone (Scope.acts_for):
# keep its staff list and enter its fee records (#21), through the same services as the
# county, never anything of another institution and nothing officials decide (a check, a
# dismissal, a refund or a violation's outcome).
OWN_INSTITUTION_PERMISSIONS: frozenset[str] = frozenset({"staff.change", "fees.change"})

# Public security handles criminal-record checks and sees ID numbers whole.
EXTRA_PERMISSIONS_BY_DEPARTMENT: dict[str, frozenset[str]] = {
    Department.PUBLIC_SECURITY: frozenset(
        {"staff.view", "staff.reveal", "checks.record", "complaints.view"}
    ),
}

# The city work summary (工作总结): "各市教育行政部门要协调相关部门汇总梳理专项行动工作总结，
# 于12月20日前报送省教育厅". Education receives it at the province; the city's other
# departments each add their own part, which the city education bureau sends up with its own.
SUMMARY_RECEIVING_DEPARTMENT = Department.EDUCATION
# The city's education bureau writes and submits the summary; its other departments'
# city staff hold summary.change for their own part only (Scope.writes_summary).
SUMMARY_WRITING_DEPARTMENT = Department.EDUCATION
SUMMARY_SECTION_DEPARTMENTS: tuple[str, ...] = (
    Department.SCIENCE,
    Department.CULTURE_TOURISM,
    Department.SPORTS,
    Department.PUBLIC_SECURITY,
    Department.FIRE,
)  # the notice's order (科技、文旅、体育、公安、消防), which the documents follow

# The level of the region tree each role is granted on.
LEVEL_BY_ROLE: dict[str, str] = {
    Role.COUNTY_OFFICER: "county",
    Role.VETTING_OFFICER: "county",
    Role.CITY_STAFF: "city",
    Role.PROVINCE_STAFF: "province",
    Role.AUDITOR: "province",
    Role.INSTITUTION: "county",
}

for _perms in (*PERMISSIONS_BY_ROLE.values(), *EXTRA_PERMISSIONS_BY_DEPARTMENT.values()):
    assert _perms <= PERMISSIONS.keys(), _perms - PERMISSIONS.keys()
