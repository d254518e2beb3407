"""Import an institution list from the shell, with the same checks as the web page."""

from tabular.command import ImportCommand
from tabular.models import ImportRun


class Command(ImportCommand):
    help = "从 .xlsx/.xls/.csv 导入培训机构名录；有错误时列出行号、列和原因并以非零状态退出"
    kind = ImportRun.Kind.INSTITUTIONS
    username_required = False
