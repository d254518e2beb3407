"""Import a fee list from the shell, with the same checks as the web page."""

from fees.importer import KIND
from tabular.command import ImportCommand


class Command(ImportCommand):
    help = "从 .xlsx/.xls/.csv 导入收费记录并按收费规则核查；有错误时列出行号、列和原因并以非零状态退出"
    kind = KIND
