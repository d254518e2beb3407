"""Spreadsheet import and export machinery, shared by every register that comes from Excel.

- `upload`   — is this upload safe to open at all (size, real type, zip bombs, XML entities)?
- `reading`  — rows out of .xlsx / .xls / .csv, the header found, cells normalised.
- `importer` — a column spec, row validation, preview (create / update / unchanged /
               errors) and an all-or-nothing write; subclassed per register.
- `export`   — one base that yields rows and renders them to xlsx or csv, never a formula.
"""
