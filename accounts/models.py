from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .roles import Department, Role


class User(AbstractUser):
    """A person who logs in. What they may see comes from their grants, not from this row."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    # The region the account belongs to (所属地区): the admins of that region and of the
    # regions above it manage it (accounts/delegation.py). Set from its first grant.
    region = models.ForeignKey(
        "core.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属地区"),
    )
    # Set when someone else chose the password (a new account, an admin's reset): the next
    # sign-in leads to the password change page before anything else.
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)
    # Routine and urgent messages always land in the bell; e-mail only when the user wants it.
    notify_by_email = models.BooleanField(_("同时发送邮件通知"), default=True)

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("onboarding:user", args=[self.pk])


class RoleGrant(models.Model):
    """A role held on one node of the region tree, on behalf of one department."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("地区"),
    )
    department = models.CharField(
        _("部门"), max_length=32, choices=Department.choices, default=Department.EDUCATION
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region", "department"], name="unique_role_grant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}@{self.region_id}/{self.get_department_display()}"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("审计日志不可修改")

    def delete(self):
        raise PermissionError("审计日志不可删除")


class AuditEvent(models.Model):
    """A security event: logins, lock-outs, reveals of sensitive data, redraws.

    Append-only: the model refuses updates and deletes, and on PostgreSQL a trigger
    refuses them too, so not even a raw UPDATE from the application can rewrite history.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录")
        LOGOUT = "logout", _("退出")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKED_OUT = "locked_out", _("账号锁定")
        USER_CREATED = "user_created", _("创建用户")
        USER_CHANGED = "user_changed", _("修改账号")
        GRANT_CHANGED = "grant_changed", _("授权变更")
        PASSWORD_RESET = "password_reset", _("重置密码")
        PASSWORD_CHANGED = "password_changed", _("修改密码")
        REVEAL = "reveal", _("查看敏感信息")
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")
        DRAW = "draw", _("抽样")
        SUMMARY = "summary", _("工作总结")
        API_TOKEN = "api_token", _("API 令牌")
        OTHER = "other", _("其他")

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("事件"), max_length=32, choices=Kind.choices, db_index=True)
    # PROTECT: the log is append-only, so a user who appears in it is deactivated, never
    # deleted (SET_NULL would be an UPDATE, which the database refuses).
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    # Kept as text too: a failed login names a user that may not exist.
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    reason = models.TextField(_("事由"), blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计日志不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志不可删除")


class Notification(models.Model):
    """A message to one user, in the bell: why they got it is part of the message.

    `key` makes sending idempotent: the same (user, key) is stored once, however often the
    job or the action that sends it runs ([clock] sends reminders and escalations this way).
    """

    class Kind(models.TextChoices):
        MAJOR_HAZARD = "major_hazard", _("重大隐患")
        REMINDER = "reminder", _("截止提醒")
        OVERDUE = "overdue", _("逾期")
        ESCALATION = "escalation", _("逾期上报")
        ASSIGNMENT = "assignment", _("抽查任务")
        SUMMARY = "summary", _("工作总结")
        OTHER = "other", _("其他")
        DIGEST = "digest", _("每日汇总")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    reason = models.CharField(_("收到原因"), max_length=300, blank=True)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # The e-mail outbox (accounts/outbox.py): written with the row, in the same transaction,
    # so a broker or mail server that is down loses nothing. Pending = an address and no
    # `email_sent_at`; a sender claims a row by moving `email_claimed_until` forward with a
    # conditional UPDATE, so two workers never send the same row.
    email_to = models.EmailField(_("邮件地址"), blank=True)
    email_sent_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("邮件发送次数"), default=0)
    email_claimed_until = models.DateTimeField(null=True, blank=True)
    # Routine messages are gathered into one digest per person per day (accounts/
    # notifications.py): an item points at its digest and stays out of the bell; the digest
    # is e-mailed once, by the outbox's sweep, not before `email_after` (the day's end).
    digest = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="items",
        verbose_name=_("所属汇总"),
    )  # fmt: skip
    email_after = models.DateTimeField(_("邮件不早于"), null=True, blank=True)

    history = HistoricalRecords(
        excluded_fields=["read_at", "email_to", "email_sent_at", "email_attempts",
                         "email_claimed_until", "digest", "email_after"]
    )  # fmt: skip

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_notification")]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="notification_email_pending",
                condition=models.Q(email_sent_at__isnull=True) & ~models.Q(email_to=""),
            )
        ]

    def __str__(self) -> str:
        return self.title
