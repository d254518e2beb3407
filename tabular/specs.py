"""What one kind of spreadsheet import is: its importer, who may use it, and what its pages say.

Every register's import goes through the same pages (tabular/views.py) and the same run
functions (runs.py); an app describes its kind once in an `ImportSpec` and registers it from
its AppConfig.ready(), so this package never imports the apps above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    """A column of a preview table: its heading and the key of the importer's `describe()`."""

    label: str
    key: str
    code: bool = False  # shown as <code> (credit codes, masked ID numbers)
    nowrap: bool = False


@dataclass(frozen=True)
class Preview:
    """One preview table on the run page, over the report's planned creates, updates or both
    (a row to be created then says 新增 in the changes column)."""

    rows: str  # "creates", "updates" or "both"
    columns: tuple[Column, ...]
    title: str = ""
    testid: str = ""
    changes: bool = False  # a last column with the field-by-field changes


@dataclass(frozen=True)
class Count:
    """A figure card on the run page: a field of the run, labelled before and after writing."""

    testid: str
    label: str
    field: str
    label_done: str = ""


CREATED = Count("count-created", _("将新增"), "created_count", _("已新增"))
UPDATED = Count("count-updated", _("将更新"), "updated_count", _("已更新"))
UNCHANGED = Count("count-unchanged", _("无变化"), "unchanged_count")


@dataclass(frozen=True)
class ImportSpec:
    kind: str  # the ImportRun.kind
    importer: str  # dotted path of its tabular.importer.Importer subclass
    namespace: str  # the app's URL namespace: its run pages are <namespace>:import_run…
    # Every page of the kind needs all of these (403 without); runs are their uploader's own.
    permissions: tuple[str, ...]
    title: str  # the upload page's <title>
    heading: str
    # The help steps above and below the shared line on file types and size.
    help: tuple[str, ...]
    help_after: tuple[str, ...]
    sample: str  # dotted path of a function returning the template (sample) sheet's bytes
    sample_file: str  # its download name
    done_link: tuple[str, str]  # (label, URL name) where a finished import's rows are seen
    # Upload, the sample sheet and confirm need these too (e.g. staff.change for a staff
    # list), and `may_import(scope)` true where given (dotted path).
    import_permissions: tuple[str, ...] = ()
    may_import: str | None = None
    back: tuple[str, str] | None = None  # breadcrumb: (label, URL name) of the register
    tabs: tuple[str, str] | None = None  # or the register's tabs: (template, active tab)
    upload_name: str = "import"  # URL names inside `namespace`
    sample_name: str = "import_template"
    sample_label: str = _("下载导入模板")
    counts: tuple[Count, ...] = (CREATED, UPDATED, UNCHANGED)
    previews: tuple[Preview, ...] = field(default_factory=tuple)
    # The upload holds personal data in clear (ID numbers, reporters' phones): delete it as
    # soon as the run no longer needs it (done, failed, or has errors).
    purge_upload: bool = False
    # A template included in the finished run's notice (gets `run` and `spec`), e.g. the
    # accounts' one-time download of their initial passwords.
    done_include: str = ""
    # Write in a worker, not the request, above this many rows, whatever the file's size
    # (accounts: each row hashes a password, about half a second in production).
    write_inline_rows: int | None = None

    def url(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    @property
    def upload_url(self) -> str:
        return self.url(self.upload_name)

    @property
    def sample_url(self) -> str:
        return self.url(self.sample_name)

    @property
    def run_url(self) -> str:
        return self.url("import_run")

    @property
    def confirm_url(self) -> str:
        return self.url("import_run_confirm")

    @property
    def errors_url(self) -> str:
        return self.url("import_run_errors")

    def allows_import(self, scope) -> bool:
        if not all(scope.can(permission) for permission in self.import_permissions):
            return False
        return self.may_import is None or bool(import_string(self.may_import)(scope))

    def sample_bytes(self) -> bytes:
        return import_string(self.sample)()


_SPECS: dict[str, ImportSpec] = {}


def register_import(spec: ImportSpec) -> None:
    """Called by the app that owns the kind, from its AppConfig.ready()."""
    _SPECS[spec.kind] = spec


def import_spec(kind: str) -> ImportSpec | None:
    return _SPECS.get(kind)
