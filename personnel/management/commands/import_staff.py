"""Import a staff list from the shell, with the same checks as the web page."""

from institutions.tabular.command import ImportCommand

from ... import imports


class Command(ImportCommand):
    help = "从 .xlsx/.xls/.csv 导入从业人员名录；有错误时列出行号、列和原因并以非零状态退出"
    kind = imports.STAFF

    # Staff runs go through personnel's own functions: they delete the file (whole ID
    # numbers) as soon as a run is done, failed or has errors.
    def create_run(self, *, actor, file_name, data):
        return imports.run_create(actor=actor, kind=self.kind, file_name=file_name, data=data)

    def check_run(self, run_id):
        return imports.run_check(run_id=run_id)

    def write_run(self, run_id):
        return imports.run_write(run_id=run_id)

    def after_dry_run(self, run):
        imports.purge_upload_now(run)
