from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import Department, Role
from accounts.services import user_create


class Command(BaseCommand):
    help = "创建用户并授予一个地区上的角色（批量开通账号用）"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--region", required=True, help="行政区划代码，如 140105")
        parser.add_argument("--department", default=Department.EDUCATION, choices=Department.values)
        parser.add_argument("--password", help="不填则随机生成并打印")
        parser.add_argument("--full-name", default="")

    def handle(self, *args, **opts):
        try:
            user, password = user_create(
                username=opts["username"],
                role=opts["role"],
                region_code=opts["region"],
                department=opts["department"],
                password=opts["password"],
                full_name=opts["full_name"],
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(f"{user.username}\t{password}")
