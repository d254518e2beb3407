"""The runs of the spreadsheet machinery: one import (upload → check → confirm → write) or
one background export of a ledger, each kept as the evidence of who moved which rows."""

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ImportRun(models.Model):
    """One spreadsheet import: who, when, which file, what it would do and what it did.

    The uploaded file is kept (outside the public media path) so a large file can be
    previewed and then written by a background worker, and so the run stays evidence.
    """

    class Kind(models.TextChoices):
        INSTITUTIONS = "institutions", _("培训机构")
        # Each register describes its kind in an ImportSpec from its AppConfig (specs.py).
        STAFF = "staff", _("从业人员")
        CHECK_RESULTS = "check_results", _("犯罪记录查询结果")
        FEES = "fees", _("收费记录")
        COMPLAINTS = "complaints", _("投诉举报")
        ACCOUNTS = "accounts", _("账号")

    class Status(models.TextChoices):
        PENDING = "pending", _("等待处理")
        CHECKING = "checking", _("检查中")
        CHECKED = "checked", _("待确认")
        WRITING = "writing", _("写入中")
        DONE = "done", _("已导入")
        FAILED = "failed", _("导入失败")

    # Audit events name it as they did while it lived in institutions/ (accounts.audit).
    audit_label = "institutions.ImportRun"

    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("导入人")
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64, db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    # When a worker took the run; a run still "checking" long after is taken again (the
    # worker died and Celery redelivered the task).
    claimed_at = models.DateTimeField(_("开始处理时间"), null=True, blank=True)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变化"), default=0)
    error_count = models.PositiveIntegerField(_("错误行"), default=0)
    # {"errors": [{"row", "column", "reason"}...], "creates": [...], "updates": [...]}
    report = models.JSONField(_("检查结果"), default=dict, blank=True)
    message = models.TextField(_("说明"), blank=True)

    # The tables keep the names they had while these models lived in institutions/.
    history = HistoricalRecords(
        excluded_fields=["processed_rows", "report"], table_name="institutions_historicalimportrun"
    )

    class Meta:
        db_table = "institutions_importrun"
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def is_busy(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.CHECKING, self.Status.WRITING}


class ExportRun(models.Model):
    """One ledger exported in the background: who asked, which ledger, with what filters.

    The rows are scoped again from the user's grants when the run starts, never from what
    they could see when they asked. The file is kept for `KEEP` and then purged with the
    row (tabular/export_runs.py); it is served only to its owner.
    """

    KEEP = dt.timedelta(days=7)
    # Audit events name it as they did while it lived in institutions/ (accounts.audit).
    audit_label = "institutions.ExportRun"

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导出中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("导出失败")

    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="+", verbose_name=_("导出人")
    )
    ledger = models.CharField(_("台账"), max_length=32)
    # The query string as given (region, period, sector, status, format ...).
    query = models.TextField(_("筛选条件"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    # When a worker took the run; a run still "running" long after is taken again.
    claimed_at = models.DateTimeField(_("开始导出时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("保留至"), db_index=True)
    rows_written = models.PositiveIntegerField(_("已写入行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    message = models.TextField(_("说明"), blank=True)

    class Meta:
        db_table = "institutions_exportrun"
        verbose_name = _("后台导出")
        verbose_name_plural = _("后台导出")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="export_run_owner")]

    def __str__(self) -> str:
        return f"{self.ledger} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_total))

    @property
    def is_busy(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}
