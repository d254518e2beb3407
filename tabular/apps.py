from django.apps import AppConfig


class TabularConfig(AppConfig):
    """Spreadsheets in and out, for every register: upload checks, reading, the import flow
    (ImportRun: one flow, one set of pages for every kind) and the ledgers' exports (ExportRun,
    background runs, downloads). Below the registers: each app registers its import kinds'
    specs from its own AppConfig.ready() (specs.py), and reporting its list of ledgers
    (registry.py)."""

    name = "tabular"
    verbose_name = "导入导出"
