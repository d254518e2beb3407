"""批量开通机构账号: the county opens one account for every operating institution of the
county that has none, from the register, and gets the one-time passwords once as a sheet.

Hashing a password takes about half a second, so a county of a thousand institutions is a
worker's job (`tasks.account_batch_task`); a handful is opened at once in the request. The
worker acts for the requester with the scope re-derived when it runs, so a grant withdrawn
meanwhile opens nothing, and each account goes through `accounts.institution_account_open`
(audited, the limit of accounts kept). The passwords are sealed on the batch as it goes
(Fernet, core/crypto.py), so a worker stopped halfway loses none it made; the requester
downloads the sheet once, within 24 hours, after which the hourly purge wipes it.
"""

from __future__ import annotations

import datetime as dt
import json

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent
from accounts.roles import Department
from accounts.scope import Scope
from core import crypto
from core.models import Region
from tabular.export import ListExporter

from .accounts import MANAGE, institution_account_open
from .models import AccountBatch, Institution, InstitutionAccount

# A county this small is opened within the request (a few seconds of hashing).
INLINE_AT_MOST = 5
KEEP = dt.timedelta(hours=24)
SAVE_EVERY = 10
ACTIVE = (AccountBatch.Status.QUEUED, AccountBatch.Status.RUNNING)
# A batch with no progress for this long was interrupted (its task lost with the broker, its
# worker killed): the county may start another, and the passwords sealed so far are
# downloadable. Ten accounts take about five seconds; an hour of silence is not a slow run.
STALE = dt.timedelta(hours=1)


def stale(batch: AccountBatch, *, now: dt.datetime | None = None) -> bool:
    last = batch.touched_at or batch.created_at
    return batch.status in ACTIVE and last < (now or timezone.now()) - STALE


def candidates(county_code: str) -> QuerySet[Institution]:
    """The county's operating institutions without any account of their own: one whose
    account the county switched off is the county's to open again, on its page."""
    any_account = InstitutionAccount.objects.filter(institution=OuterRef("pk"))
    return (
        Institution.objects.filter(county_id=county_code, status=Institution.Status.OPERATING)
        .exclude(Exists(any_account))
        .order_by("name", "pk")
    )


def manageable_counties(*, scope: Scope) -> QuerySet[Region]:
    """The counties whose institutions' accounts the user opens (the rule of may_manage)."""
    return Region.objects.filter(
        scope.q(MANAGE, region="code", departments={Department.EDUCATION}),
        level=Region.Level.COUNTY,
    ).order_by("code")


def batch_list(*, scope: Scope, actor) -> QuerySet[AccountBatch]:
    """The batches the user started (the sheet is theirs alone), in their reach still."""
    return AccountBatch.objects.filter(
        created_by=actor, county__in=manageable_counties(scope=scope)
    ).select_related("county")


def account_batch_request(*, county: Region, actor, scope: Scope) -> AccountBatch:
    """Start a batch for the county; opened at once when it is small, else by the worker."""
    scope.require(MANAGE)
    if (
        county.level != Region.Level.COUNTY
        or not manageable_counties(scope=scope).filter(pk=county.pk).exists()
    ):
        raise ValidationError(_("%(county)s不在您管理的地区内") % {"county": county.name})
    with transaction.atomic():
        # One batch at a time per county: two would open the same institutions twice.
        Region.objects.select_for_update().get(pk=county.pk)
        running = AccountBatch.objects.filter(county=county, status__in=ACTIVE)
        interrupted = [b.pk for b in running if stale(b)]
        if interrupted:
            AccountBatch.objects.filter(pk__in=interrupted).update(
                status=AccountBatch.Status.FAILED,
                error=_("开通中断（超过 1 小时没有进展），已开通的账号保留，其初始密码仍可下载"),
                finished_at=timezone.now(),
            )
        if running.exclude(pk__in=interrupted).exists():
            raise ValidationError(
                _("%(county)s已有正在开通的批次，请稍候") % {"county": county.name}
            )
        waiting = candidates(county.pk).count()
        if not waiting:
            raise ValidationError(_("%(county)s的在营机构都已开通账号") % {"county": county.name})
        batch = AccountBatch.objects.create(county=county, created_by=actor)
        audit_log(
            kind=AuditEvent.Kind.OTHER, actor=actor, obj=batch,
            detail={"change": "institution_accounts_batch", "county": county.pk,
                    "institutions": waiting},
        )  # fmt: skip
        if waiting > INLINE_AT_MOST:
            # Robust: a broker that is down leaves the batch queued, not the request a 500; it
            # counts as interrupted after STALE and the county starts it again.
            transaction.on_commit(
                lambda: current_app.send_task(
                    "institutions.tasks.account_batch_task", args=[batch.pk]
                ),
                robust=True,
            )
    if waiting <= INLINE_AT_MOST:
        account_batch_run(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch


def _seal(rows: list[dict]) -> str:
    return crypto.encrypt_id(json.dumps(rows, ensure_ascii=False))


def account_batch_run(*, batch_id: int) -> None:
    """Open the accounts of a queued batch; a redelivered task finds it claimed and stops."""
    claimed = AccountBatch.objects.filter(pk=batch_id, status=AccountBatch.Status.QUEUED).update(
        status=AccountBatch.Status.RUNNING
    )
    if not claimed:
        return
    batch = AccountBatch.objects.select_related("created_by", "county").get(pk=batch_id)
    actor = batch.created_by
    scope = Scope.for_user(actor)
    rows: list[dict] = []
    skipped = 0

    def keep(**fields) -> None:
        AccountBatch.objects.filter(pk=batch.pk).update(
            opened=len(rows), skipped=skipped, sheet=_seal(rows) if rows else "",
            sheet_until=timezone.now() + KEEP if rows else None, touched_at=timezone.now(),
            **fields,
        )  # fmt: skip

    if not manageable_counties(scope=scope).filter(pk=batch.county_id).exists():
        # The requester's grant was withdrawn meanwhile: nothing is opened in their name.
        keep(
            status=AccountBatch.Status.FAILED,
            error=_("发起人已不再负责%(county)s的机构账号，未开通任何账号")
            % {"county": batch.county.name},
            finished_at=timezone.now(),
        )
        return
    try:
        for institution in candidates(batch.county_id):
            if institution.accounts.exists():
                continue  # opened on its page meanwhile
            try:
                account, password = institution_account_open(
                    institution=institution, actor=actor, scope=scope
                )
            except ValidationError:
                skipped += 1  # no longer in the requester's reach, or at its limit meanwhile
                continue
            rows.append({
                "name": institution.name, "credit_code": institution.credit_code,
                "username": account.user.username, "password": password,
            })  # fmt: skip
            if len(rows) % SAVE_EVERY == 0:
                keep()
    except Exception as exc:
        keep(status=AccountBatch.Status.FAILED, error=str(exc)[:500], finished_at=timezone.now())
        raise
    keep(status=AccountBatch.Status.DONE, finished_at=timezone.now())


class BatchSheet(ListExporter):
    sheet_title = "机构账号初始密码"
    headers = ["机构名称", "统一社会信用代码", "用户名", "初始密码"]
    widths = [36, 22, 22, 18]

    def __init__(self, batch: AccountBatch, rows: list[dict]):
        self.batch, self._rows = batch, rows

    def title_line(self) -> str:
        return _(
            "%(county)s机构账号初始密码（仅可下载一次，请逐一告知机构，首次登录须修改密码）"
        ) % {"county": self.batch.county.name}

    def rows(self):
        for r in self._rows:
            yield [r["name"], r["credit_code"], r["username"], r["password"]]


def batch_sheet_take(*, batch: AccountBatch, actor) -> bytes:
    """The sheet's bytes, once, to the requester: wiped in the same transaction."""
    with transaction.atomic():
        locked = AccountBatch.objects.select_for_update().select_related("county").get(pk=batch.pk)
        if locked.created_by_id != actor.pk:
            raise Http404
        if locked.status in ACTIVE and not stale(locked):
            raise ValidationError(_("账号还在开通中，完成后再下载"))
        if not locked.sheet or (locked.sheet_until and locked.sheet_until <= timezone.now()):
            raise ValidationError(
                _(
                    "初始密码表只能下载一次，已经下载过或已超过 24 小时被删除；如有遗失，请到机构页面逐个重置密码"
                )
            )
        rows = json.loads(crypto.decrypt_id(locked.sheet))
        AccountBatch.objects.filter(pk=locked.pk).update(sheet="", sheet_until=None)
        audit_log(
            kind=AuditEvent.Kind.EXPORT, actor=actor, obj=locked,
            detail={"change": "institution_accounts_batch_sheet", "rows": len(rows)},
        )  # fmt: skip
    return BatchSheet(locked, rows).to_xlsx()


def batch_sheets_purge(*, now: dt.datetime | None = None) -> int:
    """Hourly: sheets nobody downloaded within 24 hours are wiped."""
    return AccountBatch.objects.filter(sheet_until__lte=now or timezone.now()).update(
        sheet="", sheet_until=None
    )
