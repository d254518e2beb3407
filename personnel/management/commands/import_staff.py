"""Import a staff list from the shell, with the same checks as the web page."""

from tabular.command import ImportCommand

from ... import imports


class Command(ImportCommand):
    # The file (whole ID numbers) goes as soon as a run is done, failed or has errors, and at
    # once after a dry run: the kind's spec says so (personnel/imports.py).
    help = "从 .xlsx/.xls/.csv 导入从业人员名录；有错误时列出行号、列和原因并以非零状态退出"
    kind = imports.STAFF
