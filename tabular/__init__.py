"""Spreadsheet import and export machinery, shared by every register that comes from Excel.

- `upload`   — is this upload safe to open at all (size, real type, zip bombs, XML entities)?
- `reading`  — rows out of .xlsx / .xls / .csv, the header found, cells normalised.
- `importer` — a column spec, row validation, preview (create / update / unchanged /
               errors) and an all-or-nothing write; subclassed per register.
- `export`   — one base that yields rows and renders them to xlsx or csv, never a formula.
- `runs`, `views`, `specs` — the one import flow every register shares: upload → check
               (preview) → confirm → write, the same pages and templates for every kind
               (`templates/tabular/`), told what differs by the kind's `ImportSpec`.

Adding a register's import (accounts, an institution's own lists …):
1. an `Importer` subclass with its column spec (importer.py), and a function returning the
   template sheet's bytes;
2. an `ImportSpec` in the app (see `fees/imports.py`): kind, importer, URL namespace, the
   permissions every page needs (and `import_permissions` / `may_import` for uploading and
   confirming, where reading is not enough), title and help steps, the template sheet, where
   its rows are seen afterwards, the preview tables' columns, and `purge_upload=True` when the
   file holds personal data in clear;
3. `register_import(SPEC)` in the app's AppConfig.ready();
4. `*import_urls("<kind>")` in the app's urlpatterns (its app_name the spec's namespace):
   import/, import/template/, import/<pk>/ with confirm/ and errors/;
5. the kind in `ImportRun.Kind` (a migration here), and its URLs in tests/walk/.
Runs are their uploader's own; large files go to the worker tasks in tasks.py by themselves.
"""
